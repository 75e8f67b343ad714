"""``survey create NAME --title T`` saves the survey as NAME, titled T, whichever way it is
defined: with ``--from FILE`` the file's own name stood (another survey than the one asked
for, which ``survey link NAME`` then did not find) and ``--title`` was dropped unsaid."""

from __future__ import annotations

from pathlib import Path


def test_name_and_title_apply_to_a_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("survey", "create", "demo-profile").exit_code == 0
    shown = cli("survey", "show", "demo-profile")  # the built-in, as a file to start from
    assert shown.exit_code == 0, shown.output
    path = tmp_path / "boots.yaml"
    path.write_text(shown.output, encoding="utf-8")
    res = cli("survey", "create", "boots-2026", "--from", str(path), "--title", "Boot talk")
    assert res.exit_code == 0, res.output
    assert "survey boots-2026 version 1" in res.output
    listed = cli("survey", "list", "--json").output
    assert '"boots-2026"' in listed and '"Boot talk"' in listed
    assert cli("survey", "link", "boots-2026").exit_code == 0


def test_title_applies_to_the_builtin_and_the_bank(shop) -> None:  # type: ignore[no-untyped-def]
    info = shop.survey_create("demo-profile", title="Help us")
    assert (info.name, info.title) == ("demo-profile", "Help us")
    info = shop.survey_create(from_bank=["age_bracket", "gender"], name="quick", title="Two")
    assert (info.name, info.title) == ("quick", "Two")
    info = shop.survey_create(from_bank=["age_bracket"], name="bare")
    assert info.title == "bare"  # no title: the name
