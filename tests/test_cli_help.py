"""``--help`` reads as prose, and a closed pipe is not reported as a bad path.

Help texts are the commands' docstrings. Rich help kept the docstrings' source line breaks,
so ``shopperlens --help`` cut sentences in the middle of the screen ("… and which" / "sources
(categories, devices) …") and ``clv-report --help`` showed every paragraph in ragged lines.
On an 80-column terminal ``audience export --help`` cut the choices of ``--purpose`` inside a
word ("refer" / "ral").
``shopperlens types config | head`` ended with "error: cannot use that path: [Errno 32]
Broken pipe", naming a path that was never the problem.
"""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import typer
import typer.main
from typer.testing import CliRunner

from shopperlens.cli import app


def _commands(typer_app: typer.Typer, path: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    """(command path, docstring) of every command under ``typer_app``."""
    for info in typer_app.registered_commands:
        name = info.name or info.callback.__name__.replace("_", "-")  # type: ignore[union-attr]
        yield (*path, name), inspect.getdoc(info.callback) or ""
    for group in typer_app.registered_groups:
        assert group.typer_instance is not None
        yield from _commands(group.typer_instance, (*path, group.name or ""))


def _shown_paragraphs(doc: str) -> list[str]:
    """The paragraphs a user should see, each with its words joined by single spaces."""
    shown = doc.split("\f")[0]
    return [" ".join(p.split()) for p in shown.split("\n\n") if p.strip()]


def test_every_help_paragraph_is_one_line_on_a_wide_terminal() -> None:
    runner = CliRunner()
    cut = []
    commands = list(_commands(app))
    assert len(commands) > 40
    for path, doc in commands:
        out = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "2000"}).output
        lines = [" ".join(line.strip(" │").split()) for line in out.splitlines()]
        for paragraph in _shown_paragraphs(doc):
            if paragraph not in lines:
                cut.append((" ".join(path), paragraph[:60]))
    assert not cut


def test_the_command_list_shows_each_summary_on_one_line() -> None:
    out = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "2000"}).output
    assert (
        "Model parameters with 95 % intervals, forecast vs actual on a holdout, and which "
        "sources (categories, devices) bring customers who buy more and stay." in out
    )


def test_notes_for_readers_of_the_code_stay_out_of_help() -> None:
    out = CliRunner().invoke(app, ["clv-report", "--help"], env={"COLUMNS": "2000"}).output
    assert 'never "0 at risk".' in out
    assert "no_dropout_note" not in out


@pytest.mark.parametrize("args", [["types", "config"], ["import", "--help"]])
def test_a_reader_that_goes_away_is_not_a_bad_path(args: list[str]) -> None:
    """The reader closes the pipe before shopperlens writes: nothing on stderr, exit 1
    (plain text and Rich output alike)."""
    env = {**os.environ, "COLUMNS": "80"}
    code = "import sys; from shopperlens.cli import main; main(sys.argv[1:])"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 1
    assert err == ""


def _built(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(command path, Click command) of the root and every (sub)command under it."""
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _built(sub, (*path, name))


def _words(command: Any) -> set[str]:
    """The words a command's help shows: its text, its parameters' texts and their metavars
    or types (``<marketing|case_study|referral>``)."""
    ctx = command.context_class(command)
    texts = [command.help or ""]
    for param in command.params:
        texts += [getattr(param, "help", None) or "", param.metavar or param.display_type(ctx)]
    return {word for text in texts for word in text.partition("\f")[0].split()}


def test_every_help_fits_80_columns_without_cutting_a_word() -> None:
    runner = CliRunner()
    cut, wide = [], []
    for path, command in _built(typer.main.get_command(app)):
        out = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"}).output
        shown = set(re.split(r"[\s│╭╮╰╯─]+", out))
        cut += [(" ".join(path), w) for w in sorted(_words(command) - shown)]
        wide += [" ".join(path) for line in out.splitlines() if len(line) > 80]
    assert not cut
    assert not wide


def test_every_argument_has_help() -> None:
    """Options are checked in test_docs; an argument without help showed its name alone."""
    missing = [
        f"{' '.join(path)} {param.name}"
        for path, command in _built(typer.main.get_command(app))
        for param in command.params
        if param.param_type_name == "argument" and not param.help
    ]
    assert not missing
