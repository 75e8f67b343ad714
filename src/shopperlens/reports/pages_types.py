"""Report page "Customer types": distribution, transitions between dates, examples with evidence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from shopperlens.config import Settings
from shopperlens.features import default_as_of
from shopperlens.labels import TYPE_LABELS, percent
from shopperlens.playbooks.generator import missing_sources, type_note
from shopperlens.reports.charts import pyplot, svg_markup
from shopperlens.reports.pages_value import intent_shortfall
from shopperlens.reports.site import AT_RISK_SHOWN, Page, register
from shopperlens.service import types as svc
from shopperlens.service._checks import data_start
from shopperlens.service.overview import shop_currency
from shopperlens.service.types_value import (
    frame_as_of,
    stored_intent,
    value_by_type,
    value_note,
)
from shopperlens.service.value_run import ensure_current
from shopperlens.store import Store
from shopperlens.types import TYPES, UNTYPED
from shopperlens.types import movements as mv

#: the report's one display name per type (``shopperlens/labels.py``), under this page's old name
LABELS = TYPE_LABELS
COLORS = {"need_based": "#2d6cdf", "looker": "#9aa5b8", "new": "#36a269", "loyal": "#7b4fd0",
          "impulse": "#e0822d", UNTYPED: "#d6dae2"}  # fmt: skip


def _bar_svg(dist: pd.DataFrame) -> str:
    """A horizontal bar chart of subjects per type, as inline SVG (matplotlib, Agg)."""
    plt = pyplot()

    fig, ax = plt.subplots(figsize=(7, 2.8))
    d = dist.iloc[::-1]
    ax.barh([LABELS[t] for t in d["type"]], d["subjects"], color=[COLORS[t] for t in d["type"]])
    for y, (n, share) in enumerate(zip(d["subjects"], d["share"], strict=True)):
        ax.text(n, y, f" {n:,} ({percent(share)} %)", va="center", fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_xlabel("customers and visitors")
    ax.set_xlim(0, max(1, int(d["subjects"].max())) * 1.25)
    fig.tight_layout()
    return svg_markup(fig, _bar_label(dist))


def _bar_label(dist: pd.DataFrame) -> str:
    """What the bar chart shows, in words: every bar's count and share, as drawn."""
    bars = ", ".join(
        f"{LABELS[t]} {n:,} ({percent(share)} %)"
        for t, n, share in zip(dist["type"], dist["subjects"], dist["share"], strict=True)
    )
    return f"Customers and visitors per type: {bars}."


def _examples(run: pd.DataFrame, per_type: int = 3) -> list[dict[str, Any]]:
    out = []
    for t in [*TYPES, UNTYPED]:
        rows = run[run["type"] == t]
        if t != UNTYPED:
            rows = rows.sort_values(f"score_{t}", ascending=False)
        for r in rows.head(per_type).itertuples():
            out.append({
                "type": t, "label": LABELS[t],
                "id": r.customer_id if isinstance(r.customer_id, str)
                else f"visitor {r.visitor_id}",
                "score": None if t == UNTYPED else float(getattr(r, f"score_{t}")),
                "evidence": r.evidence,
            })  # fmt: skip
    return out


#: the data the types are built from, as the page names them (only those the shop has)
SOURCES = {"orders": "orders", "events": "visits", "tickets": "support tickets",
           "returns": "returns"}  # fmt: skip


def _built_from(store: Store) -> str:
    """ "orders and visits": the sources present, so an orders-only shop is not told its
    types came from visits and tickets too."""
    have = [name for table, name in SOURCES.items() if store.count(table) > 0]
    if len(have) <= 1:
        return "".join(have)
    return ", ".join(have[:-1]) + " and " + have[-1]


def _unfindable(store: Store, dist: pd.DataFrame) -> dict[str, str]:
    """Per type the imported data cannot show (lookers without visits …), the sentence why."""
    from shopperlens.service.playbooks import imported_sources

    have = imported_sources(store=store)
    size = dict(zip(dist["type"], dist["subjects"], strict=True)) if len(dist) else {}
    return {
        t: type_note(t, int(size.get(t, 0)), have)
        for t in TYPES
        if missing_sources(t, have) and not size.get(t)
    }


def _value(store: Store, run: pd.DataFrame, gate: str | None) -> dict[str, Any]:
    """ "Value per type" and "Loyal at risk" from the current CLV run, with ``value_note``
    saying why there are no CLV figures (the model's gate, a run of another date) instead of
    showing blanks and zeros as if they were measured."""
    value = value_by_type(run)
    note = gate or ""
    if not note and store.count("orders"):
        note = value_note(store=store, as_of=frame_as_of(run))
    # (missing flags, as when no run is joined or its model found no dropout, list nobody)
    at_risk = run[run["loyal_at_risk"].fillna(False).astype(bool)]
    at_risk = at_risk.sort_values("clv", ascending=False)
    rows = value.astype(object).where(value.notna(), None).to_dict("records")
    return {
        "value": rows,
        "value_note": note,
        "intent_note": _intent_note(store, rows, frame_as_of(run)),
        # the service's judgement of the joined run (``types_value.add_value``), which the
        # CLI's table and ``GET /api/types`` show too
        "no_dropout": run.attrs.get("no_dropout") if rows and not note else None,
        "loyal_at_risk": [
            {"id": r.customer_id, "clv": r.clv, "p_alive": r.p_alive, "evidence": r.evidence}
            for r in at_risk.head(AT_RISK_SHOWN).itertuples()
        ],
        "loyal_at_risk_total": len(at_risk),
    }


def _intent_note(store: Store, rows: list[dict[str, Any]], as_of: Any) -> str:
    """Why the lookers' mean intent is "–" ("" when it is a figure, or there are no lookers):
    the visits are too few to learn intent from (what the shop has and lacks), no intent run
    is stored yet, or the stored one describes other data. The dash stood unexplained while
    the CLV dashes had their reason."""
    lookers = next((r for r in rows if r["type"] == "looker"), None)
    if lookers is None or lookers.get("mean_intent") is not None:
        return ""
    short = intent_shortfall(store)
    if short:
        return f"no looker can be scored yet. {short}"
    if not store.count("visitor_intent"):
        return "no purchase-intent run is stored yet (`shopperlens intent` scores the lookers)"
    if stored_intent(store=store, as_of=as_of) is None:
        return (
            "the stored purchase-intent run was made on other data than these types "
            "(`shopperlens intent` scores the lookers again)"
        )
    return (
        "none of these lookers is in the stored purchase-intent run "
        "(`shopperlens intent` scores them again)"
    )


def _moves_note(store: Store, runs: list[Any], as_of: Any, config: Any = None) -> str:
    """What the Movements section says of the stored runs it leaves out ("" when none is):
    they compare stored runs of the types made under the current rules since the last
    import of earlier data. The others (an older shopperlens's, another ``--config``'s, or
    made before a late file of old orders) are counted, with how to recompute them: the note
    said "only the run as of … is stored" beside seven of them, and with two runs left the
    page listed three "stored runs" while nine were stored."""
    start = data_start(store)
    span = (start or datetime.min, default_as_of(store))
    other = svc.other_runs_note(
        store=store, config=config, shown=list(runs), dates=span, stale=True
    )
    if len(runs) >= 2:
        return f"{other}." if other else ""
    if other:
        which = f"only the run as of {as_of:%Y-%m-%d} is one" if as_of else "none is"
        return (
            "Movements between types compare two runs of the types made under the current "
            f"types rules on the current data, and {which}; {other}. The next report then "
            "shows who moved from which type to which."
        )
    since = f" (the data start on {start:%Y-%m-%d})" if start is not None else ""
    stored = f"only the run as of {as_of:%Y-%m-%d} is stored" if as_of else "none is stored"
    return (
        f"Movements between types compare two stored runs of the types, and {stored}. "
        f"`shopperlens types --as-of YYYY-MM-DD` stores a run as of an earlier date{since}; "
        "the next report then shows who moved from which type to which since that date."
    )


def _build(store: Store, settings: Settings | None = None) -> dict[str, Any] | None:
    config = settings.types_config if settings else None
    has_people = _has_people(store)
    sessions = svc.session_summary(store=store, config=config)
    if not has_people and sessions.empty:
        return None
    ctx: dict[str, Any] = {
        "labels": LABELS,
        "type_ids": list(TYPES),
        "currency": shop_currency(store=store),
        "sessions": sessions.to_dict("records"),
        "built_from": _built_from(store),
    }
    if not has_people:  # guest orders beside the sessions typed none: not "from orders"
        return ctx | {"built_from": "", "as_of": None, "distribution": [], "unfindable": {},
                      "chart": None, "examples": [], "moves": None, "moves_note": "",
                      "runs": [], "value": [], "value_note": "", "intent_note": "",
                      "no_dropout": None, "loyal_at_risk": [],
                      "loyal_at_risk_total": 0}  # fmt: skip
    # the current CLV run first: the value columns of the types are joined from it, whichever
    # page of the report (or the dashboard) is built first
    gate = ensure_current(store=store) if store.count("orders") else None
    run = svc.latest_types(store=store, config=config)
    dist = mv.distribution(run)
    unfindable = _unfindable(store, dist)
    # a type the data cannot show is said so below the table, not listed as "0 %"
    dist = dist[~dist["type"].isin(list(unfindable))].reset_index(drop=True)
    runs = svc.run_dates(store=store, config=config)
    moves = None
    if len(runs) >= 2:
        moves = svc.moves(store=store, date_from=runs[0], date_to=runs[-1])
    return ctx | {
        "as_of": frame_as_of(run),
        "distribution": dist.to_dict("records"),
        "unfindable": unfindable,
        "chart": _bar_svg(dist),
        "examples": _examples(run),
        "moves": moves,
        "moves_note": _moves_note(store, runs, frame_as_of(run), config),
        "runs": [f"{r:%Y-%m-%d}" for r in runs],
        **_value(store, run, gate),
    }


def _has_people(store: Store) -> bool:
    """Orders or events that name someone to type: guest checkouts alone name nobody, and
    typing them was refused after the page had been offered."""
    return bool(store.count("orders") or store.count("events")) and svc.has_subjects(store)


def _available(store: Store) -> bool:
    """What ``_build`` needs: orders or events naming someone, or imported session
    aggregates."""
    if _has_people(store):
        return True
    return bool(store.scalar("SELECT count(*) FROM sessions WHERE origin = 'import'"))


register(
    Page(
        slug="types",
        title="Customer types",
        template="types.html",
        build=_build,
        order=10,
        available=_available,
        needs="orders, visit data or session aggregates (`shopperlens import orders FILE`, "
        "`shopperlens import events FILE` or `shopperlens import sessions FILE`); orders "
        "must name their customer: guest checkouts alone type nobody",
    )
)
