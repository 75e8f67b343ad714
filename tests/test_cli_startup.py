"""``--help`` starts without loading the data libraries.

Every command paid the imports of the whole service layer before doing anything: pandas,
SciPy (through the playbooks), scikit-learn (the models) and Ibis (the features), about two
seconds, so ``shopperlens --help`` took three. Each command now imports what it needs when it
runs; help, which runs none of them, loads none of it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import typer

from shopperlens.cli import app

#: the libraries a command loads only when it runs
HEAVY = ("pandas", "scipy", "sklearn", "ibis", "pyarrow", "matplotlib")

#: runs the CLI's entry point once per argument list (JSON in argv[1]), each with --help;
#: prints each exit code, then the heavy libraries loaded by then
_HELP_RUNS = f"""
import json, sys
from shopperlens.cli import main
codes = []
for args in json.loads(sys.argv[1]):
    try:
        main([*args, "--help"])
    except SystemExit as exc:
        codes.append(exc.code)
print(json.dumps({{"codes": codes,
                  "loaded": sorted(m for m in {HEAVY!r} if m in sys.modules)}}))
"""


def _group(name: str) -> typer.Typer:
    """The sub-app registered on the root as ``name``."""
    for group in app.registered_groups:
        if group.name == name and group.typer_instance is not None:
            return group.typer_instance
    raise LookupError(name)


def _command_names(typer_app: typer.Typer) -> list[str]:
    return [
        info.name or info.callback.__name__.replace("_", "-")  # type: ignore[union-attr]
        for info in typer_app.registered_commands
    ]


def _help_runs(args: list[list[str]]) -> dict[str, list]:  # type: ignore[type-arg]
    """Exit codes and heavy libraries of a fresh interpreter that ran ``--help`` on each."""
    done = subprocess.run(
        [sys.executable, "-c", _HELP_RUNS, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


GROUPS = sorted(g.name for g in app.registered_groups if g.name)


def test_the_groups_are_the_commands_groups() -> None:
    assert {"types", "import", "personas", "survey", "audience", "recommend"} <= set(GROUPS)


def test_help_of_the_top_level_and_its_commands_loads_no_data_library() -> None:
    runs = [[], *([name] for name in _command_names(app))]
    said = _help_runs(runs)
    assert said["codes"] == [0] * len(runs)
    assert said["loaded"] == []


@pytest.mark.parametrize("group", GROUPS)
def test_help_of_a_group_and_its_commands_loads_no_data_library(group: str) -> None:
    runs = [[group], *([group, name] for name in _command_names(_group(group)))]
    said = _help_runs(runs)
    assert said["codes"] == [0] * len(runs)
    assert said["loaded"] == []
