"""The report's front page: what data the shop has."""

from __future__ import annotations

from typing import Any

from shopperlens.reports.site import Page, register
from shopperlens.service import tables
from shopperlens.store import Store


def _build(store: Store) -> dict[str, Any]:
    return {
        "tables": tables.table_summaries(store=store),
        "imports": tables.import_history(store=store, limit=50),
    }


register(Page(slug="index", title="Overview", template="index.html", build=_build, order=0))
