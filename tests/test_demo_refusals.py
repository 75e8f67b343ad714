"""What the demo cannot make is refused in one sentence before anything is written: a
negative seed reached numpy's generator ("unexpected ValueError: expected non-negative
integer") after the report's folder was made."""

from __future__ import annotations

from pathlib import Path

import pytest

import shopperlens
from shopperlens.errors import ShopperlensError


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--seed", "-1"], "error: the demo's seed must be 0 or more, not -1"),
        (["--customers", "99"], "error: the demo shop needs at least 100 customers"),
    ],
)
def test_the_cli_refuses_before_making_the_folder(cli, tmp_path: Path, args, said) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "report"
    res = cli("demo", "--out", str(out), *args)
    assert res.exit_code != 0
    assert res.output.strip().splitlines()[-1] == said, res.output
    assert "Traceback" not in res.output and not out.exists()


def test_python_refuses_a_negative_seed(tmp_path: Path) -> None:
    with shopperlens.open(":memory:") as shop, pytest.raises(ShopperlensError, match="seed"):
        shop.demo(out_dir=tmp_path / "r", seed=-3)
    assert not (tmp_path / "r").exists()
