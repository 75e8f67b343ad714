"""Report pages: one playbook page per customer type, plus the shared evidence page.

Each type page lists the mission's actions for that type with the shop's evidence, revenue at
stake and audience, followed by the analyses that type's actions rest on (funnel, keywords,
threshold, carousels, cohorts, tickets …).

A page exists whenever ``shopperlens playbook`` has its section: the shop has orders or visit
data. A type the imported data cannot show (lookers without visit data) says why in one
sentence, with the import that adds it, and the analyses whose data are missing are replaced
by a line saying so, never by a table of zeros.

Consent nobody recorded is said to be unknown, never a count of 0 consenting customers (see
:mod:`shopperlens.playbooks.generator`). The funnel's first row is the type's sessions, the
base its first step's "from previous" is a share of; the cohort table says what its month
columns and shares are; the cart recovery list holds the people the owner can reach, and
carts left by anonymous visitors alone are one line (how many, worth what), not rows reading
"anonymous".
"""

from __future__ import annotations

import itertools
import threading
import weakref
from dataclasses import dataclass
from typing import Any

import pandas as pd

from shopperlens.config import Settings
from shopperlens.ingest.kinds import KINDS
from shopperlens.playbooks.checkout import (
    MAX_OVER_MEDIAN,
    MAX_SHARE_LOSING_FREE,
    MIN_SAMPLE,
    left_out_text,
)
from shopperlens.playbooks.generator import (
    CONSENT_NONE,
    CONSENT_PURPOSES,
    MIN_TOGETHER,
    NOT_IMPORTED,
    TYPE_TITLES,
    TYPES,
    Action,
    at_stake,
    export_command,
    reach_text,
    shared_texts,
    stake_text,
    unfound_text,
    unrecorded_text,
)
from shopperlens.reports.site import AT_RISK_SHOWN, Page, register, report_build
from shopperlens.service._shared import shared_reads
from shopperlens.service.types import current_run_id
from shopperlens.service.value_run import ensure_current
from shopperlens.store import Store


def _records(df: pd.DataFrame | None, limit: int = 15) -> list[dict[str, Any]]:
    if df is None or not len(df):
        return []
    df = df.head(limit).copy()
    for col in df.columns:
        if df[col].map(lambda v: isinstance(v, frozenset | list | set)).any():
            df[col] = df[col].map(lambda v: ", ".join(sorted(map(str, v))))
    return df.astype(object).where(df.notna(), None).to_dict(orient="records")


@dataclass(frozen=True)
class _Kept:
    """A computed context and the report build it was computed in (None: the dashboard)."""

    context: dict[str, Any] | None
    build: object | None


_CACHE: dict[tuple[Any, ...], _Kept] = {}
#: held while the pages' context is computed: requests that come meanwhile wait for it and
#: then find it kept, rather than each computing it again (minutes and gigabytes each)
_COMPUTING = threading.Lock()
#: a number per store object, never given twice: ``id(store)`` may be a new store's once the
#: old one is freed, and that store would be shown the old one's numbers
_SERIALS: weakref.WeakKeyDictionary[Store, int] = weakref.WeakKeyDictionary()
_NEXT_SERIAL = itertools.count(1)
_SERIAL_LOCK = threading.Lock()
_TABLES = ("orders", "order_lines", "events", "customers", "tickets", "consents", "products")
#: the imports that change what the pages read (surveys change none of it)
_READ_KINDS = (*KINDS, "consents")


def _context(store: Store, settings: Settings | None = None) -> dict[str, Any] | None:
    """Everything the five pages show, computed once per store and data state.

    The dashboard reuses it while the data are unchanged; a report computes it again once
    (:func:`~shopperlens.reports.site.report_build`), so a report never shows numbers kept from
    before it began. Requests that come while it is computed wait for that computation.
    The loyal page's "at risk" comes from the current CLV run, refreshed first when an import
    made the stored one stale (as on the Value and Customer types pages).
    """
    if store.count("orders"):
        ensure_current(store=store)
    config = settings.types_config if settings else None
    key = _key(store, current_run_id(store=store, config=config) if _available(store) else None)
    build = report_build()
    with _COMPUTING:
        kept = _CACHE.get(key)
        if kept is None or (build is not None and kept.build is not build):
            _CACHE.clear()
            kept = _CACHE[key] = _Kept(_compute(store, settings), build)
    return kept.context


def _key(store: Store, types_run: int | None) -> tuple[Any, ...]:
    """What the pages read, as it stands: the store (by a number of its own, see
    :data:`_SERIALS`), its data tables and imports, the current types run and the current CLV
    run. Other runs stored meanwhile (a look-back as of an old date) are no part of it."""
    with _SERIAL_LOCK:
        if store not in _SERIALS:
            _SERIALS[store] = next(_NEXT_SERIAL)
        serial = _SERIALS[store]
    kinds = ", ".join(f"'{k}'" for k in _READ_KINDS)
    return (
        serial,
        *(store.count(t) for t in _TABLES),
        # customers imported again with their accepts_marketing add no row but change consent
        store.scalar("SELECT count(accepts_marketing) FROM customers"),
        store.scalar(f"SELECT coalesce(max(import_id), 0) FROM imports WHERE kind IN ({kinds})"),
        store.erasure_mark(),
        types_run,
        _row(store, "SELECT count(*), max(computed_at) FROM customer_value"),
    )


def _row(store: Store, sql: str) -> tuple[Any, ...]:
    """An aggregate's one row as plain values (None for NULL, which compares equal to itself
    where pandas' NaT does not), fetched to its end."""
    with store.cursor() as cur:
        return tuple(cur.execute(sql).fetchall()[0])


def _available(store: Store) -> bool:
    """Orders or events: what ``shopperlens playbook`` needs for its sections; and someone
    to type, as the playbook types everyone first (guest checkouts alone name nobody, and
    the pages offered then failed)."""
    from shopperlens.service.types import has_subjects

    return bool(store.count("orders") or store.count("events")) and has_subjects(store)


def _recovery_list(carts: pd.DataFrame, name: dict[Any, Any]) -> pd.DataFrame:
    """The carts as the page lists them: products by name, and the customers (who can be
    e-mailed) before the anonymous visitors (reachable only on the site), each group by cart
    value. Product ids and a first screen of "anonymous" rows gave the owner nothing to act on."""
    if carts.empty or "products" not in carts:
        return carts

    def named(ps: Any) -> str:
        return ", ".join(
            str(name.get(p) or p) for p in (ps if isinstance(ps, list | tuple) else [ps])
        )

    names = carts["products"].map(named)
    anonymous = carts["customer_id"].isna()
    out = carts.assign(products=names, _anon=anonymous)
    out = out.sort_values(["_anon", "cart_value"], ascending=[True, False], na_position="last")
    return out.drop(columns="_anon").reset_index(drop=True)


def _compute(store: Store, settings: Settings | None = None) -> dict[str, Any] | None:
    """:func:`_computed` with the events, orders and visits read once between its analyses,
    as a written report reads them (``site``): on the dashboard each analysis built the visits
    from every event again, eight times for one page (88 → 31 CPU-s on a shop of 30,000
    customers and 1.5M events)."""
    with shared_reads():
        return _computed(store, settings)


def _computed(store: Store, settings: Settings | None = None) -> dict[str, Any] | None:
    from shopperlens.service import playbooks as svc

    if not _available(store):
        return None  # the playbook itself refuses: nothing to show
    config = settings.types_config if settings else None
    types = svc.resolve_types(store=store, config=config)
    pb = svc.playbook(store=store, types=types, config=config)
    traffic = svc.traffic_report(store=store, types=types, config=config)
    ret = svc.retention_report(store=store, types=types, config=config)
    sup = svc.support_report(store=store, types=types)
    has_events = store.count("events") > 0
    threshold = svc.shipping_threshold(store=store)
    names = store.df("SELECT product_id, product_name FROM products")
    name = dict(zip(names.product_id, names.product_name, strict=True))

    def named(df: pd.DataFrame, *cols: str) -> pd.DataFrame:
        for col in cols:
            if col in df:
                df = df.assign(**{col: df[col].map(lambda v: name.get(v, v))})
        return df

    exits = svc.exit_pages(store=store, types=types)
    return {
        "playbook": pb,
        "consent_recorded": svc.recorded_consents(store=store),
        "sessions": svc.sessions_per_type(store=store, types=types)
        if has_events
        else pd.Series(dtype="int64"),
        "imported": svc.imported_sources(store=store),
        "exits": exits,
        "funnel": svc.funnels(store=store, types=types) if has_events else pd.DataFrame(),
        "funnel_source": svc.funnels(store=store, by="source") if has_events else pd.DataFrame(),
        "carts": _recovery_list(
            svc.abandoned_carts(store=store, types=types) if has_events else pd.DataFrame(), name
        ),
        "traffic": traffic,
        "retention": ret,
        "support": sup,
        "threshold": threshold,
        "together": named(
            svc.frequently_bought_together(store=store), "product_id", "recommended_id"
        ),
        "related": named(
            svc.related_products(store=store) if has_events else pd.DataFrame(),
            "product_id",
            "related_id",
        ),
    }


def _wide(funnel: pd.DataFrame) -> pd.DataFrame:
    """The per-source funnel as one row per source: sessions per step and view→purchase rate."""
    if not len(funnel):
        return funnel
    wide = funnel.pivot_table(index="source", columns="step", values="sessions", aggfunc="sum")
    wide = wide.reindex(columns=["view", "cart", "checkout", "purchase"]).fillna(0)
    wide["conversion"] = wide.purchase / wide.view.where(wide.view > 0)
    return wide.sort_values("view", ascending=False).reset_index()


def _action(action: Action, currency: str) -> dict[str, Any]:
    """An action as the page shows it: its money figure (or none) and what its export writes."""
    return action.as_dict() | {
        "stake": stake_text(action, currency),
        "export": export_command(action),
        "reach": reach_text(action) if action.detectable else "",
        # "none can be found without visit data (events)" for a type the data cannot show
        "unfound": unfound_text(action),
        # "none can be found: no case-study consent is on record" (not "0 people")
        "unrecorded": unrecorded_text(action),
    }


def _cart_list(carts: pd.DataFrame, type_: str) -> tuple[pd.DataFrame, dict[str, Any] | None]:
    """A type's carts as the recovery list shows them, and a summary of them when every cart
    was left by an anonymous visitor (``carts``; ``value``, of the carts whose value is known,
    None when none is; ``unknown``, how many are not): then no row names anyone the owner could
    contact, and 15 rows reading "anonymous" filled the list, so the rows are left out. With a
    customer among them (or no cart) the summary is None and the list stays as
    :func:`_recovery_list` orders it, customers first."""
    own = carts[carts["type"] == type_] if len(carts) and "type" in carts else carts.iloc[0:0]
    if not len(own) or own["customer_id"].notna().any():
        return own, None
    values = pd.to_numeric(own["cart_value"], errors="coerce") if "cart_value" in own else None
    known = values.dropna() if values is not None else pd.Series(dtype=float)
    summary = {
        "carts": len(own),
        "value": float(known.sum()) if len(known) else None,
        "unknown": len(own) - len(known),
    }
    return own.iloc[0:0], summary


def _cohort_months(cohorts: pd.DataFrame) -> list[str]:
    """The month columns of the cohort table (``0`` … ``12``: months after the first order)."""
    return [str(c) for c in cohorts.columns if c not in ("cohort", "customers")]


def _threshold(t: Any) -> dict[str, Any] | None:
    """The threshold figures the page shows, today's threshold and the shipping given away
    per order included (the advice is judged against both), and how many baskets in other
    currencies they leave out ("" for none)."""
    if t is None:
        return None
    keys = (
        "threshold", "uplift_per_order", "extra_uplift_per_order", "share_near", "share_above",
        "shipping_cost_per_order", "median_basket", "band", "topup_rate", "current",
        "current_uplift_per_order", "current_shipping_cost_per_order", "keep_current",
        "share_losing_free",
    )  # fmt: skip
    return {k: getattr(t, k) for k in keys} | {
        "max_over_median": MAX_OVER_MEDIAN,
        "max_share_losing_free": MAX_SHARE_LOSING_FREE,
        "orders": t.orders,
        "advised": t.advised,
        "min_sample": MIN_SAMPLE,
        "other_currency_orders": t.other_currency_orders,
        "left_out": left_out_text(t.other_currency_orders),
    }


def _builder(type_: str):  # type: ignore[no-untyped-def]
    def build(store: Store, settings: Settings | None = None) -> dict[str, Any] | None:
        ctx = _context(store, settings)
        if ctx is None:
            return None
        pb = ctx["playbook"]
        actions = [a for a in pb.actions if a.type == type_]
        funnel = ctx["funnel"]
        t = ctx["threshold"]
        carts, anonymous_carts = _cart_list(ctx["carts"], type_)
        imported = ctx["imported"]
        sessions = ctx["sessions"]
        recorded = ctx["consent_recorded"]
        return {
            "type": type_,
            "type_title": TYPE_TITLES[type_],
            "currency": pb.currency,
            "note": pb.notes.get(type_, ""),
            "imported": sorted(imported),
            # what stands in for an analysis whose data are missing
            "missing": {s: text for s, text in NOT_IMPORTED.items() if s not in imported},
            "min_together": MIN_TOGETHER,
            "actions": [_action(a, pb.currency) for a in actions],
            "at_stake": at_stake(actions),
            # actions resting on the same carts: the total counts them once, and says so
            "at_stake_shared": shared_texts(actions),
            "funnel": _records(funnel[funnel.type == type_] if len(funnel) else funnel),
            # the first step's "from previous" is a share of all the type's sessions
            "funnel_base": int(sessions[type_]) if type_ in sessions.index else None,
            "funnel_source": _records(_wide(ctx["funnel_source"]), 25),
            "carts": _records(carts.drop(columns=["visitor_id"], errors="ignore")),
            # every cart left by an anonymous visitor: one line, not rows nobody can act on
            "anonymous_carts": anonymous_carts,
            "sources": _records(ctx["traffic"]["sources"]),
            "keywords": _records(ctx["traffic"]["keywords"], 20),
            "acquisition": _records(ctx["traffic"]["acquisition"]),
            # buyers with no visit on record by their first order's day: in no row
            "acquisition_left_out": ctx["traffic"]["acquisition"].attrs.get("left_out", 0),
            "threshold": _threshold(t),
            "together": _records(ctx["together"], 20),
            "related": _records(ctx["related"], 20),
            "cohorts": _records(ctx["retention"]["cohorts"], 24),
            "cohort_months": _cohort_months(ctx["retention"]["cohorts"]),
            "repeat_rate": ctx["retention"]["repeat_rate"],
            # customers' revenue leaves these orders' amounts out (they still count as orders)
            "retention_left_out": left_out_text(ctx["retention"]["other_currency_orders"]),
            "case_study": len(ctx["retention"]["case_study"]),
            # the consent purposes nobody's word is on record for: a count of 0 would say
            # every loyal customer refused
            "consent_unknown": {
                p: CONSENT_NONE[p] for p in CONSENT_PURPOSES if p not in recorded
            },
            "at_risk": _records(ctx["retention"]["loyal_at_risk"], AT_RISK_SHOWN),
            "at_risk_total": len(ctx["retention"]["loyal_at_risk"]),
            "exits": _records(ctx["exits"]),
            "referral": len(ctx["retention"]["referral"]),
            "tickets": _records(ctx["support"]["tickets"]),
            "topics": _records(ctx["support"]["topics"]),
            "offers": _records(ctx["support"]["offers"]),
        }  # fmt: skip

    return build


for _order, _type in enumerate(TYPES):
    register(
        Page(
            slug=f"playbook-{_type.replace('_', '-')}",
            title=f"Playbook: {TYPE_TITLES[_type]}",
            template="playbooks.html",
            build=_builder(_type),
            order=60 + _order,
            available=_available,
            needs="orders or visit data (`shopperlens import orders FILE` or "
            "`shopperlens import events FILE`); orders must name their customer: guest "
            "checkouts alone type nobody",
        )
    )
