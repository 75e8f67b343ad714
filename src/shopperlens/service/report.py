"""The report site for a shop's own data: every page its data supports, as HTML and JSON.

The demo writes the same site for the demo shop; this is how a shop writes it for its own
imports, with its own settings (types thresholds, income adjustment). Pages whose data does
not exist yet are left out; types are computed (and stored) when no run exists.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from shopperlens.config import Settings
from shopperlens.errors import ShopperlensError
from shopperlens.store import Store


class ReportResult(BaseModel):
    """Where the report went and which pages it has."""

    index: str
    pages: list[str]


def write(
    *,
    store: Store,
    out_dir: str | Path,
    settings: Settings | None = None,
    title: str = "shopperlens report",
    progress: Callable[..., None] | None = None,
) -> ReportResult:
    """Write the report site into ``out_dir`` (``index.html`` plus one HTML and JSON per page)."""
    from shopperlens.reports import write_report

    if not any(store.count(t) for t in ("orders", "events", "sessions", "survey_responses")):
        raise ShopperlensError(
            f"{store.path} holds no orders, events, sessions or survey answers yet: import "
            "some first (`shopperlens import orders FILE`)"
        )
    index = write_report(store, out_dir, title=title, settings=settings, progress=progress)
    pages = sorted(p.stem for p in index.parent.glob("*.html"))
    return ReportResult(index=str(index), pages=pages)
