"""The report's personas page: every persona side by side, a card per persona, Markdown, JSON.

The page shows the latest stored run (built by the demo step or ``shopperlens personas build``);
its ``extra_pages`` are each persona's printable card (``persona-<name>.html``), the Markdown
document (``personas.md``) and the full run as JSON (``personas-run.json``): written next to the
page by the report, served live beside it by the dashboard.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shopperlens.config import Settings
from shopperlens.errors import ShopperlensError
from shopperlens.reports import persona_cards as cards
from shopperlens.reports.site import Page, register
from shopperlens.service import personas as svc
from shopperlens.service.overview import shop_currency
from shopperlens.store import Store
from shopperlens.surveys import IMPORT_COMMAND

#: side-by-side rows whose means are amounts of money (shown with the shop's currency)
MONEY_QUESTIONS = ("clv", "revenue")


def _build(store: Store, settings: Settings | None = None) -> dict[str, Any] | None:
    if "persona_runs" not in store.tables():
        return None
    try:
        run = svc.show(store=store)
    except ShopperlensError:
        return None
    table = run.overview()
    # the income has its own line (a median, adjusted); the table's figure would be a mean
    incomes = {
        s.evidence.question
        for p in run.personas
        for s in p.statements
        if s.evidence.measure == "median"
    } | {"income"}
    rows = [
        {**r, "cells": [r["values"].get(str(p.persona_id)) for p in run.personas]}
        for r in table["rows"]
        if r["question"] not in incomes
    ]
    return {
        "run": run,
        "personas": [
            {
                "p": p,
                "colour": cards.colour(p.persona_id),
                "initials": p.adjective[:1] + p.first_name[:1],
                "href": f"persona-{cards.slug(p.name)}.html",
            }
            for p in run.personas
        ],
        "rows": rows,
        "evolution": run.evolution,
        "analytics": _analytics(store, run.survey),
        "currency": shop_currency(store=store),
        "money_questions": MONEY_QUESTIONS,
        "provisional_actions": cards.PROVISIONAL_ACTIONS,
        "_run": run,
    }


def _analytics(store: Store, survey: str | None) -> list[Any]:
    """Step 3 of the method: do web analytics confirm who the survey says the audience is?"""
    if survey is None:
        return []
    try:
        from shopperlens.service.audience import analytics_check

        return [f.model_dump() for f in analytics_check(store=store, survey=survey)]
    except (ImportError, ShopperlensError):
        return []


def _available(store: Store) -> bool:
    """A stored personas run: what ``_build`` shows."""
    return "persona_runs" in store.tables() and store.count("persona_runs") > 0


def _extra(ctx: dict[str, Any]) -> dict[str, Callable[[], str]]:
    return cards.card_files(ctx["_run"], ctx.get("currency"))


register(
    Page(
        slug="personas",
        title="Personas",
        template="personas.html",
        build=_build,
        order=60,
        extra_pages=_extra,
        available=_available,
        needs=f"a personas run, built from survey answers ({IMPORT_COMMAND}, "
        "then `shopperlens personas build`)",
    )
)
