"""Docs are part of the product: every command has help, every setting is documented."""

from __future__ import annotations

from pathlib import Path

import typer.main

from shopperlens.cli import app
from shopperlens.config import Settings

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(group, prefix: tuple[str, ...] = ()):
    yield prefix, group
    if hasattr(group, "commands"):
        for name, cmd in group.commands.items():
            yield from _commands(cmd, (*prefix, name))


def test_every_command_and_option_has_help():
    root = typer.main.get_command(app)
    missing = []
    for path, cmd in _commands(root):
        if not (cmd.help or cmd.short_help):
            missing.append(" ".join(path) or "shopperlens")
        for param in cmd.params:
            if (
                getattr(param, "param_type_name", "") == "option"
                and not param.help
                and param.name != "help"
            ):
                missing.append(f"{' '.join(path)} --{param.name}")
    assert not missing, f"no help text: {missing}"


def test_every_top_level_command_is_in_the_readme():
    root = typer.main.get_command(app)
    undocumented = [n for n in root.commands if f"shopperlens {n}" not in README]
    assert not undocumented, f"commands missing from README: {undocumented}"


def test_every_setting_is_documented():
    missing = [
        f"SHOPPERLENS_{name.upper()}"
        for name in Settings.model_fields
        if f"SHOPPERLENS_{name.upper()}" not in README
    ]
    assert not missing, f"settings missing from README: {missing}"


def test_every_setting_has_a_description():
    assert all(f.description for f in Settings.model_fields.values())


def test_make_targets_are_in_the_readme_first_screen():
    first_screen = "\n".join(README.splitlines()[:40])
    assert "make demo" in first_screen and "make test" in first_screen


def test_readme_settings_table_is_current():
    """Regenerate with ``python -m shopperlens.config README.md``."""
    from shopperlens.config import settings_markdown

    assert settings_markdown() in README
