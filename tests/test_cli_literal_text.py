"""The CLI shows the shop's text as written, never as Rich markup.

An interview quote with ``[/b]`` in it crashed ``interviews import`` with a raw
``MarkupError`` traceback (the error handler crashed again on the same text), and a masked
quote lost its ``[name]``, ``[e-mail]`` and ``[number]``: Rich took them for style tags, so
the reader could not see that something had been masked. The styling the commands add
themselves (``error:`` in red, a bold report path, a yellow ``warning:``) must stay.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rich.style import Style
from rich.text import Text

from shopperlens.cli import _render

#: a customer's quote: an unmatched closing tag and a matched pair
QUOTE = "The price [/b] was great [bold]really[/bold] quality."
#: markup-like text of every kind in one line: closing tag, a pair, a mask
MIXED = "[/b] [bold]x[/bold] [name]"


@pytest.fixture(autouse=True)
def _wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wide terminal, so a table cell or a message is one line and can be compared whole.
    (The CLI's consoles read ``COLUMNS`` when made: a test runner that sets it for its own
    workers fixed them at 80 columns, so they are made again here.)"""
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setattr(_render, "console", Console())
    monkeypatch.setattr(_render, "err_console", Console(stderr=True))


def _note(folder: Path, name: str, title: str, quote: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f'# {title}\n> "{quote}"\n', encoding="utf-8")
    return path


# -- through the CLI -----------------------------------------------------------------------------
def test_a_quote_with_markup_like_text_imports_and_shows_as_written(
    cli: Any, tmp_path: Path
) -> None:
    """A note with such a quote: imported (exit 0) and its quote shown in the themes table."""
    note = _note(tmp_path / "notes3", "05.md", "Interview 05: customer K0170 (best)", QUOTE)
    res = cli("interviews", "import", str(note))
    assert res.exit_code == 0, res.output
    assert res.exception is None, res.exception
    assert QUOTE in res.stdout  # the price and the quality theme cite it
    assert res.stderr == ""
    # and again: the stored quote no longer stops every later import
    res = cli("interviews", "import", str(note))
    assert res.exit_code == 0 and QUOTE in res.stdout


def test_a_masked_quote_keeps_its_masks_in_the_table(cli: Any, tmp_path: Path) -> None:
    """``[name]``, ``[e-mail]`` and ``[number]`` tell the reader something was masked."""
    note = _note(
        tmp_path / "notes",
        "08.md",
        "Interview 08: customer K0172 (worst)",
        "I'm Anna and the delivery was slow, mail me at anna@x.com or 06 1234 5678",
    )
    res = cli("interviews", "import", str(note))
    assert res.exit_code == 0, res.output
    assert "I'm [name] and the delivery was slow, mail me at [e-mail] or [number]" in res.stdout


def test_a_message_shows_a_path_with_markup_like_text_as_written(cli: Any, tmp_path: Path) -> None:
    """``import survey`` says where its rejects went; a folder named like markup is a folder."""
    folder = tmp_path / "q [" / "b] [bold]x[" / "bold] [name]"  # ".../q [/b] [bold]x[/bold] [name]"
    folder.mkdir(parents=True)
    answers = folder / "answers.csv"
    answers.write_text(
        "respondent,submitted_at,age_bracket\nr1,2024-01-01,25-34\nr2,2024-01-01,zzz\n",
        encoding="utf-8",
    )
    assert cli("survey", "create", "demo-profile").exit_code == 0
    res = cli("import", "survey", str(answers), "--survey", "demo-profile", "--on-error", "skip")
    assert res.exit_code == 0, res.output
    assert res.exception is None, res.exception
    assert str(folder).endswith(f"q {MIXED}")
    assert (
        f"1 of 2 responses imported into demo-profile; rejects in {answers}.rejects.csv"
        in res.stdout
    )


def test_an_error_shows_markup_like_text_as_written(cli: Any, tmp_path: Path) -> None:
    """The error handler printed ``error: …`` through markup too: it crashed on the text it
    was reporting. Now it is one line, exit 1, no traceback."""
    missing = tmp_path / "missing" / f"{MIXED}.md"
    res = cli("interviews", "import", str(missing))
    assert res.exit_code == 1
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert res.stderr.strip() == f"error: no such file or folder: {missing}"
    assert "Traceback" not in res.output


# -- the render functions ------------------------------------------------------------------------
@pytest.fixture
def screens(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """``_render``'s stdout and stderr consoles as colour terminals writing to buffers, so a
    test sees both the text and the styles."""
    out, err = io.StringIO(), io.StringIO()
    for name, buffer in (("console", out), ("err_console", err)):
        screen = Console(file=buffer, force_terminal=True, color_system="standard", width=250)
        monkeypatch.setattr(_render, name, screen)
    yield out, err


def _plain(ansi: str) -> str:
    return Text.from_ansi(ansi).plain


def _styles(ansi: str, text: str) -> list[Style]:
    """The style of each character of ``text`` (its first occurrence) in the output."""
    shown = Text.from_ansi(ansi)
    at = shown.plain.index(text)
    return [
        sum(
            (
                s.style if isinstance(s.style, Style) else Style.parse(s.style)
                for s in shown.spans
                if s.start <= i < s.end
            ),
            Style(),
        )
        for i in range(at, at + len(text))
    ]


YELLOW, RED = 3, 1  # standard colour numbers


def test_table_cells_headers_and_title_are_shown_as_written(
    screens: tuple[io.StringIO, io.StringIO],
) -> None:
    out, _ = screens
    _render.table([{"quote": QUOTE, MIXED: "[e-mail]"}], title=f"themes {MIXED}")
    shown = _plain(out.getvalue())
    for text in (QUOTE, MIXED, "[e-mail]", f"themes {MIXED}"):
        assert text in shown, text


def test_a_message_is_literal_but_keeps_the_commands_own_styles(
    screens: tuple[io.StringIO, io.StringIO],
) -> None:
    """A command styles its own words as ``(text, style)`` parts; the data inside and around
    is text, even when it looks like the commands' own markup (``[red]…[/]``)."""
    out, _ = screens
    own = "[red]x[/] [yellow]y[/]"
    _render.message(("warning:", "yellow"), f" {QUOTE} {MIXED} {own}")
    _render.message("report: ", (f"/tmp/{MIXED}/index.html", "bold"), " (3 pages)")
    _render.message(f"I'm [name], {MIXED}")
    lines = _plain(out.getvalue()).splitlines()
    assert lines == [
        f"warning: {QUOTE} {MIXED} {own}",
        f"report: /tmp/{MIXED}/index.html (3 pages)",
        f"I'm [name], {MIXED}",
    ]
    shown = out.getvalue()
    assert all(s.color and s.color.number == YELLOW for s in _styles(shown, "warning:"))
    assert all(s.bold for s in _styles(shown, f"/tmp/{MIXED}/index.html"))
    assert not any(s.bold for s in _styles(shown, "really"))  # the data's [bold] is text
    assert not any(s.color and s.color.number == RED for s in _styles(shown, own))


def test_an_error_is_literal_after_a_red_error_prefix(
    screens: tuple[io.StringIO, io.StringIO],
) -> None:
    _, err = screens
    _render.error(f"cannot read {QUOTE} {MIXED}")
    assert _plain(err.getvalue()) == f"error: cannot read {QUOTE} {MIXED}\n"
    styles = _styles(err.getvalue(), "error:")
    assert all(s.bold and s.color and s.color.number == RED for s in styles)
    assert not any(s.bold for s in _styles(err.getvalue(), "cannot read"))


def test_a_progress_description_is_shown_as_written(
    screens: tuple[io.StringIO, io.StringIO],
) -> None:
    """Steps name files and surveys; the bar's column reads its description as markup."""
    _, err = screens
    with _render.progress(f"import {MIXED}", total=2) as advance:
        advance(1, description=f"step {MIXED}")
        advance(1)
    assert f"step {MIXED}" in _plain(err.getvalue())
