"""A command whose output cannot be written says so and fails; a reader that went away does not.

Started with its standard output closed (``shopperlens tables --json >&-``), Python gives the
process no ``sys.stdout`` and Rich and Click wrote to nothing: exit 0, nothing written, no word.
A pipe whose reader stopped reading (``| head -1``) stays quiet, as before.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import shopperlens

CLOSED = "error: cannot write the output: standard output is closed"


@pytest.fixture
def made_db(db_path: Path) -> Path:
    shopperlens.open(db_path).close()
    return db_path


def _closed_stdout(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``shopperlens --db DB ARGS`` run with file descriptor 1 closed (the shell's ``>&-``)."""
    command = [sys.executable, "-m", "shopperlens", "--db", str(db), *args]
    return subprocess.run(
        ["sh", "-c", '"$@" >&-', "sh", *command],
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("args", [("tables", "--json"), ("tables",), ("--help",)])
def test_a_closed_stdout_is_one_line_and_exit_1(made_db: Path, args: tuple[str, ...]) -> None:
    done = _closed_stdout(made_db, *args)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [CLOSED + " (send it to a file or to /dev/null)"]


def test_a_reader_that_goes_away_stays_quiet(made_db: Path) -> None:
    """The reader closes its end before the command writes (as ``| head -1`` does once it
    has its line): no word on stderr, no traceback."""
    command = [sys.executable, "-m", "shopperlens", "--db", str(made_db), "tables", "--json"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert err == ""
    assert proc.returncode != 0  # nothing reached a reader: not a success either
