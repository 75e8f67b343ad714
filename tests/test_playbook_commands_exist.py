"""Every shopperlens command a playbook tells the shop to run exists: the new customers'
feedback action named ``shopperlens surveys``, which the CLI answers with "No such command"."""

from __future__ import annotations

import re
from pathlib import Path

import typer

import shopperlens.playbooks.generator as generator
from shopperlens.cli import app

#: "shopperlens" then the command words (lower-case words, before an argument or an option)
_NAMED = re.compile(r"shopperlens((?: [a-z][a-z-]*)+)")


def _commands() -> set[tuple[str, ...]]:
    root = typer.main.get_command(app)
    found: set[tuple[str, ...]] = set()

    def walk(cmd: object, path: tuple[str, ...]) -> None:
        found.add(path)
        for name, sub in getattr(cmd, "commands", {}).items():  # a group's commands
            walk(sub, (*path, name))

    walk(root, ())
    return found


def test_every_command_a_playbook_names_exists() -> None:
    source = Path(generator.__file__).read_text("utf-8")
    named = [m.group(1).split() for m in _NAMED.finditer(source)]
    assert named, "the playbooks name no command: the pattern is wrong"
    known = _commands()
    for words in named:
        # the longest known command the words start with (the rest are arguments: NAME, loyal)
        longest = max(len(c) for c in known if tuple(words[: len(c)]) == c)
        assert longest >= 1, f"no such command: shopperlens {' '.join(words)}"
        assert len(known) > 20  # (the walk found the CLI's commands)
