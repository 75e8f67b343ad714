"""shopperlens as a shop owner gets it: a wheel or an sdist, installed away from the repository.

The package reads SQL migrations, Jinja2 templates, the pop-up's JavaScript, the question bank
and the default thresholds from its own folder: a file type missing from the package data
works from the repository and fails only once installed. The sdist shipped the test modules
without their conftest.py, helpers and data, a suite that cannot run.
"""

from __future__ import annotations

import email
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import shopperlens

ROOT = Path(__file__).resolve().parents[1]

#: builds the sdist and the wheel into the folder argv[1], as ``python -m build`` does
_BUILD = """
import sys
import setuptools.build_meta as backend
out = sys.argv[1]  # (the backend rewrites sys.argv)
backend.build_sdist(out)
backend.build_wheel(out)
"""


def _package_files() -> set[str]:
    """Every file of the package in the repository, as the wheel names it."""
    src = ROOT / "src"
    return {
        p.relative_to(src).as_posix()
        for p in (src / "shopperlens").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def _project_copy(tmp_path: Path) -> Path:
    """The files a build reads, copied: a build writes into the tree it builds."""
    copy = tmp_path / "project"
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "src", copy / "src", ignore=skip)
    shutil.copytree(ROOT / "tests", copy / "tests", ignore=skip)
    for name in ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, copy / name)
    return copy


def _build(tmp_path: Path) -> tuple[Path, Path]:
    """(sdist, wheel) of the project, built by the setuptools its pyproject.toml asks for."""
    backend = tmp_path / "backend"
    got = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--target", str(backend)]
        + ["setuptools>=77"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if got.returncode != 0:
        pytest.skip(f"setuptools>=77 (the build backend) cannot be installed: {got.stderr}")
    out = tmp_path / "dist"
    done = subprocess.run(
        [sys.executable, "-c", _BUILD, str(out)],
        cwd=_project_copy(tmp_path),
        env={**os.environ, "PYTHONPATH": str(backend)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    (sdist,), (wheel,) = out.glob("*.tar.gz"), out.glob("*.whl")
    return sdist, wheel


@pytest.mark.slow
def test_wheel_and_sdist_hold_the_package_and_not_the_tests(tmp_path: Path) -> None:
    sdist, wheel = _build(tmp_path)
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
        meta = email.message_from_bytes(
            whl.read(f"shopperlens-{shopperlens.__version__}.dist-info/METADATA")
        )
    assert {n for n in names if n.startswith("shopperlens/")} == _package_files()
    assert meta["Version"] == shopperlens.__version__
    with tarfile.open(sdist) as tar:
        members = {m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name}
    assert {f"src/{n}" for n in _package_files()} <= members
    assert not [m for m in members if m.split("/")[0] == "tests"]


def test_version_option_prints_the_installed_version(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("--version")
    assert res.exit_code == 0, res.output
    assert res.output == f"shopperlens {shopperlens.__version__}\n"
