"""Rendering for the CLI: tables, messages and progress bars. Rich stays here."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from shopperlens.plain import plain

console = Console()
err_console = Console(stderr=True)


def table(
    rows: Sequence[Any], columns: Sequence[str] | None = None, title: str | None = None
) -> None:
    """Print pydantic models, dicts or a DataFrame as a table."""
    records = _records(rows)
    if not records:
        console.print("(nothing)")
        return
    cols = list(columns or records[0].keys())
    t = Table(title=title)
    for c in cols:
        t.add_column(c)
    for r in records:
        t.add_row(*[_fmt(r.get(c)) for c in cols])
    console.print(t)


def as_json(obj: Any) -> None:
    console.print_json(json.dumps(plain(obj), default=str))


def message(text: str) -> None:
    console.print(text)


def error(text: str) -> None:
    err_console.print(f"[bold red]error:[/] {text}", highlight=False, markup=True)


@contextmanager
def progress(description: str, total: float | None = None) -> Iterator[Any]:
    """A Rich progress bar; yields a callback ``advance(n=1, total=None, description=None)``."""
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)

        def advance(
            n: float = 1, total: float | None = None, description: str | None = None
        ) -> None:
            kwargs: dict[str, Any] = {}
            if total is not None:
                kwargs["total"] = total
            if description is not None:
                kwargs["description"] = description
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
