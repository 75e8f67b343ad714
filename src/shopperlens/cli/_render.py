"""Rendering for the CLI: tables, messages and progress bars. Rich stays here.

Everything shown is the shop's own text (quotes, answers, file names, error messages), so it is
printed literally, never read as Rich markup: a quote with ``[/b]`` crashed the CLI, and a
masked ``[name]`` or ``[e-mail]`` vanished as if it were a style tag, hiding that something was
masked. The only styling is the one this module adds itself (``error:`` in red, a table's title
style) and the few styles the commands' own messages use (see :func:`message`).

Nor does the shop's text reach the terminal as control codes: a cell holding ``\\x1b[2J`` (an
answer, a product name, a file's column) cleared the screen, and others recolour it, move the
cursor or retitle the window. Every control character but tab and newline is shown as its
escape (``\\x1b``) instead (:func:`visible`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from shopperlens.plain import json_value, plain

console = Console()
err_console = Console(stderr=True)
#: the C0 controls but tab and newline, DEL, and the C1 controls (``\x9b`` starts a sequence
#: as ``\x1b[`` does on terminals that read 8-bit controls)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: the width a table is measured in when it goes to a file or a pipe: more than any row needs
_WIDEST = 1_000_000


def visible(text: str) -> str:
    """``text`` with each control character but tab and newline written as its escape
    (ESC -> the four characters ``\\x1b``), so the terminal shows it and obeys none."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def table(
    rows: Sequence[Any], columns: Sequence[str] | None = None, title: str | None = None
) -> None:
    """Print pydantic models, dicts or a DataFrame as a table.

    Cells, column names and the title are :class:`~rich.text.Text`, shown as written: a cell
    is data (a quote, a name, a path), and a plain string cell would be read as markup. Their
    control characters are shown, not sent to the terminal (:func:`visible`).
    """
    records = _records(rows)
    if not records:
        console.print("(nothing)", markup=False)
        return
    cols = list(columns or records[0].keys())
    shown = Text(visible(title), style="table.title") if title is not None else None
    t = Table(title=shown)
    for c in cols:
        t.add_column(Text(visible(str(c))))
    for r in records:
        t.add_row(*[Text(visible(_fmt(r.get(c)))) for c in cols])
    _print_whole(t)


def _print_whole(t: Table) -> None:
    """Print ``t``; into a file or a pipe at its full width, every cell on one line.

    Rich fits a table to the terminal, wrapping cells and cutting what does not fit with "…";
    with no terminal it fitted 80 columns (or ``COLUMNS``), so ``shopperlens types > out.txt``
    or ``| grep`` lost the end of visitor ids and evidence, and a row ran over several lines.
    """
    if console.is_terminal:
        console.print(t)
        return
    unbounded = console.options.update_width(_WIDEST)
    title = cell_len(t.title.plain) if isinstance(t.title, Text) else 0  # (not wrapped either)
    t.width = max(console.measure(t, options=unbounded).maximum, title)  # (its own width wins)
    console.print(t, crop=False)


def as_json(obj: Any) -> None:
    """Print ``obj`` as JSON (Rich colours the JSON syntax; it never reads markup in it).

    Dates are ISO 8601 (``2025-04-06T00:00:00``) wherever they come from: a table's pandas
    timestamps were written as ``str`` writes them (``2025-04-06 00:00:00``, in ``types
    history --json``) beside the models' ISO dates."""
    console.print_json(json.dumps(plain(obj), default=json_value))


#: a piece of a message: literal text, or (literal text, Rich style) for the commands' own styling
Part = str | tuple[str, str]


def message(*parts: Part) -> None:
    """Print a line for the user: ``parts`` joined, each exactly as written.

    Text is never read as Rich markup (a quote's ``[/b]`` crashed the CLI, a masked ``[name]``
    vanished), nor obeyed as control codes (:func:`visible`); a command styles its own words
    by passing them as ``(text, style)``: ``message("report: ", (str(path), "bold"))``.
    """
    shown = [visible(p) if isinstance(p, str) else (visible(p[0]), p[1]) for p in parts]
    console.print(console.highlighter(Text.assemble(*shown)), soft_wrap=True)


def error(text: str, hint: str | None = None) -> None:
    """``error: TEXT`` on stderr, ``error:`` in red and ``TEXT`` (often the user's own input,
    a file name or a quote) exactly as written, its control characters shown (:func:`visible`).

    ``hint``: a second line saying where to look (``see 'shopperlens import --help'``)."""
    # soft wrap: one line however narrow the screen, and unbroken in a log or a pipe (Rich
    # wrapped at 80 columns where no terminal told it the width)
    err_console.print(
        Text.assemble(("error:", "bold red"), " ", visible(text)), highlight=False, soft_wrap=True
    )
    if hint is not None:
        err_console.print(Text(visible(hint)), highlight=False, soft_wrap=True)


@contextmanager
def progress(description: str, total: float | None = None) -> Iterator[Any]:
    """A Rich progress bar; yields a callback ``advance(n=1, total=None, description=None)``.

    The bar's column reads its description as markup, so descriptions (which name the step,
    sometimes with the user's file or survey names) are escaped to show as written.

    Only a terminal shows it: on a stderr that is a file or a pipe (a cron job's
    ``2> err.txt``) or a dumb terminal, Rich draws no bar but wrote an empty line when it
    ended, so a clean run's stderr was not empty.
    """
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not _interactive(err_console),
    ) as bar:
        task = bar.add_task(escape(description), total=total)

        def advance(
            n: float = 1, total: float | None = None, description: str | None = None
        ) -> None:
            kwargs: dict[str, Any] = {}
            if total is not None:
                kwargs["total"] = total
            if description is not None:
                kwargs["description"] = escape(description)
            bar.update(task, advance=n, **kwargs)

        yield advance


def _interactive(shown_on: Console) -> bool:
    """Whether ``shown_on`` writes to a terminal that can redraw a line, asked when it is
    about to be used (Rich decides it once, when the console is made, before a test runner
    or a redirection in-process replaces the stream)."""
    return shown_on.is_terminal and not shown_on.is_dumb_terminal


def amount(value: Any, currency: str | None = None) -> str:
    """An amount of money as every face writes it (:func:`labels.money`): whole, thousands
    separated, an exact half away from zero; with ``currency`` the code leads (``EUR 1,094``),
    without it the figure stands under a heading naming the currency. A missing one is empty."""
    if value is None or value != value:
        return ""
    from shopperlens.labels import money

    return money(value, currency, code=currency is not None)


def _records(rows: Any) -> list[dict[str, Any]]:
    if hasattr(rows, "to_dict") and hasattr(rows, "columns"):
        return list(rows.to_dict(orient="records"))
    return [plain(r) for r in rows]


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if v != v:  # NaN: unknown (a funnel rate after a step no session reached), not "nan"
            return "–"
        if abs(v) < 1e3:
            return f"{v:,.4g}"
        # whole from a thousand up, an exact half away from zero (as money is: labels.fixed,
        # imported here: labels loads the types and pandas, which ``--help`` does without)
        from shopperlens.labels import fixed

        return fixed(v)
    if isinstance(v, Iterable) and not isinstance(v, str):
        return ", ".join(map(str, v))
    return str(v)
