"""Rendering for the CLI: tables, messages and progress bars. Rich stays here.

Everything shown is the shop's own text (quotes, answers, file names, error messages), so it is
printed literally, never read as Rich markup: a quote with ``[/b]`` crashed the CLI, and a
masked ``[name]`` or ``[e-mail]`` vanished as if it were a style tag, hiding that something was
masked. The only styling is the one this module adds itself (``error:`` in red, a table's title
style) and the few styles the commands' own messages use (see :func:`message`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

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

from shopperlens.plain import plain

console = Console()
err_console = Console(stderr=True)


def table(
    rows: Sequence[Any], columns: Sequence[str] | None = None, title: str | None = None
) -> None:
    """Print pydantic models, dicts or a DataFrame as a table.

    Cells, column names and the title are :class:`~rich.text.Text`, shown as written: a cell
    is data (a quote, a name, a path), and a plain string cell would be read as markup.
    """
    records = _records(rows)
    if not records:
        console.print("(nothing)", markup=False)
        return
    cols = list(columns or records[0].keys())
    t = Table(title=Text(title, style="table.title") if title is not None else None)
    for c in cols:
        t.add_column(Text(str(c)))
    for r in records:
        t.add_row(*[Text(_fmt(r.get(c))) for c in cols])
    console.print(t)


def as_json(obj: Any) -> None:
    """Print ``obj`` as JSON (Rich colours the JSON syntax; it never reads markup in it)."""
    console.print_json(json.dumps(plain(obj), default=str))


#: a piece of a message: literal text, or (literal text, Rich style) for the commands' own styling
Part = str | tuple[str, str]


def message(*parts: Part) -> None:
    """Print a line for the user: ``parts`` joined, each exactly as written.

    Text is never read as Rich markup (a quote's ``[/b]`` crashed the CLI, a masked ``[name]``
    vanished); a command styles its own words by passing them as ``(text, style)``:
    ``message("report: ", (str(path), "bold"))``.
    """
    console.print(console.highlighter(Text.assemble(*parts)), soft_wrap=True)


def error(text: str) -> None:
    """``error: TEXT`` on stderr, ``error:`` in red and ``TEXT`` (often the user's own input,
    a file name or a quote) exactly as written."""
    # soft wrap: one line however narrow the screen, and unbroken in a log or a pipe (Rich
    # wrapped at 80 columns where no terminal told it the width)
    err_console.print(
        Text.assemble(("error:", "bold red"), " ", text), highlight=False, soft_wrap=True
    )


@contextmanager
def progress(description: str, total: float | None = None) -> Iterator[Any]:
    """A Rich progress bar; yields a callback ``advance(n=1, total=None, description=None)``.

    The bar's column reads its description as markup, so descriptions (which name the step,
    sometimes with the user's file or survey names) are escaped to show as written.
    """
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
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
        return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"
    if isinstance(v, Iterable) and not isinstance(v, str):
        return ", ".join(map(str, v))
    return str(v)
