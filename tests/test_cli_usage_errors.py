"""A command called wrongly is one ``error:`` line, a pointer to its ``--help`` and exit 2.

An unknown option, a missing argument or a kind that does not exist printed Typer's usage line
and a framed box over six lines, which a cron job's mail or a log showed as a drawing, unlike
every other error of the CLI (``error: …``, one line).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize(
    ("args", "said", "command"),
    [
        (["--bogus"], "No such option: --bogus", ""),
        (["tyeps"], "No such command 'tyeps'. Did you mean 'types'?", ""),
        (["--db"], "Option '--db' requires an argument.", ""),
        (
            ["playbook", "--format", "docx"],
            "Invalid value for '--format' / '-f': Value error, 'docx' is not one of 'md', "
            "'html', 'json', 'table'.",
            "playbook",
        ),
        (["types", "--bogus"], "No such option: --bogus (Possible options: --out)", "types"),
        (["import", "nosuchkind", "f.csv"], "No such command 'nosuchkind'.", "import"),
        (["import", "orders"], "Missing argument 'files'.", "import orders"),
        (
            ["import", "orders", "--mapping-file"],
            "Option '--mapping-file' requires an argument.",
            "import orders",
        ),
        (["survey", "create", "--bogus"], "No such option: --bogus", "survey create"),
        (
            ["clv", "--top", "-1"],
            "Invalid value for '--top': Input should be greater than or equal to 0",
            "clv",
        ),
        (
            ["import", "orders", "--map", "a=b", "--mapping-file", "m.yaml", "o.csv"],
            "Invalid value: use --map or --mapping-file, not both",
            "import orders",
        ),
    ],
)
def test_a_usage_error_is_one_line_and_where_to_read_more(cli, args, said, command) -> None:  # type: ignore[no-untyped-def]
    res = cli(*args)
    assert res.exit_code == 2, res.output
    shown = " ".join(["see 'shopperlens", *command.split(), "--help'"])
    assert res.stderr.splitlines() == [f"error: {said}", shown], res.stderr
    assert res.stdout == ""


def test_the_command_on_its_own_says_the_same_on_stderr(tmp_path: Path) -> None:
    """Through the installed entry point, as a cron job runs it: no box, no traceback."""
    env = {**os.environ, "COLUMNS": "80"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "shopperlens",
            "--db",
            str(tmp_path / "s.duckdb"),
            "import",
            "nosuchkind",
            "f.csv",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "error: No such command 'nosuchkind'.",
        "see 'shopperlens import --help'",
    ]
    assert proc.stdout == ""


def test_help_keeps_its_full_output(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("import", "--help")
    assert res.exit_code == 0 and "Commands" in res.output and "orders" in res.output
    assert "error:" not in res.output


def test_a_group_without_its_command_still_shows_its_help(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("import")
    assert "Commands" in res.output and "error:" not in res.output
