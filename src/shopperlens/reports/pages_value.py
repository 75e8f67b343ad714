"""The report's "Value" page: CLV, P(alive), loyal customers at risk, lookers' purchase intent,
and the forecast-vs-actual check that says how far to trust the numbers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from shopperlens.config import Settings
from shopperlens.errors import InsufficientDataError
from shopperlens.features import default_as_of
from shopperlens.reports.charts import pyplot, svg_data_uri
from shopperlens.reports.site import AT_RISK_SHOWN, Page, register
from shopperlens.service import clv as clv_svc
from shopperlens.service import intent as intent_svc
from shopperlens.service import value_run
from shopperlens.service.overview import shop_currency
from shopperlens.store import Store


def forecast_chart(check: dict[str, Any]) -> str:
    """Cumulative repeat purchases (actual vs BG/NBD) and holdout purchases per frequency."""
    plt = pyplot()

    cum, by_f = check["cumulative"], check["by_frequency"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.2), dpi=100)
    left.plot(cum["date"], cum["actual"], color="#1d2330", label="actual")
    left.plot(cum["date"], cum["predicted"], color="#2d6cdf", linestyle="--", label="BG/NBD")
    left.axvline(check["calibration_end"], color="#999", linewidth=1)
    left.set_title("cumulative repeat purchases", fontsize=10)
    left.legend(frameon=False, fontsize=8)
    left.tick_params(axis="x", labelsize=7, rotation=30)
    x = np.arange(len(by_f))
    right.bar(x - 0.2, by_f["actual"], 0.4, color="#1d2330", label="actual")
    right.bar(x + 0.2, by_f["predicted"], 0.4, color="#2d6cdf", label="BG/NBD")
    right.set_xticks(x, by_f["frequency"])
    right.set_xlabel("repeat purchases in the calibration period", fontsize=8)
    right.set_title("mean purchases in the holdout period", fontsize=10)
    right.legend(frameon=False, fontsize=8)
    for ax in (left, right):
        ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return svg_data_uri(fig)


def days_since_last_order(values: pd.DataFrame, types_as_of: Any) -> pd.Series:
    """Each customer's days since her last order, counted to the types' as-of date (the day
    after the shop's newest data) in calendar days, as the types' evidence counts them.

    The CLV run counts ``T - recency`` to its own date, the newest order's day: one day less
    (or more, with later events) for the same quiet spell, so the Value page said "155" where
    the Customer types page said "last order 156 days ago" of the same customer."""
    run_day = pd.to_datetime(values["as_of"]).dt.floor("D")
    offset = (pd.Timestamp(types_as_of).floor("D") - run_day).dt.days
    return (values["T"] - values["recency"] + offset).round().astype(int)


def intent_shortfall(store: Store) -> str | None:
    """Why purchase intent cannot be learnt from this shop's visits, in the owner's words:
    what the visit data hold (visitors, buyers, those who never bought), how many of them the
    model can learn from and what it lacks, and which import gives more. None when every kind
    of visit data passes the gate (or there is none to judge).

    The service's gate says "origin events: 56 rows, 16 buyers", which means nothing to a shop
    owner who knows she has 140 visitors and 100 buyers: a buyer teaches the model only with
    the visits before the one she bought in, and most buy on their first recorded visit.
    Without any visit data the service's own sentence says what to import (None here)."""
    origins = store.df("SELECT DISTINCT origin FROM sessions ORDER BY origin")["origin"]
    if origins.empty:
        return None
    parts = [_origin_shortfall(store, str(o)) for o in origins]
    found = [p for p in parts if p]
    return " ".join(found) if len(found) == len(parts) else None


def _origin_shortfall(store: Store, origin: str) -> str | None:
    """One kind of visit data's shortfall (see :func:`intent_shortfall`), None when it is
    enough to train on."""
    need, least = intent_svc.MIN_SESSIONS, intent_svc.MIN_PURCHASES
    if origin == "events":
        _, _, y = intent_svc.visitor_frame(store=store)
    else:
        _, _, y = intent_svc.session_frame(store=store, origin=origin)
    rows, bought = len(y), int(y.sum())
    never = rows - bought
    if rows >= need and bought >= least and never >= least:
        return None
    unit = "visitors" if origin == "events" else "sessions"
    lacks = []
    if rows < need:
        lacks.append(f"{need - rows:,} more {unit} to learn from")
    if bought < least:
        lacks.append(f"{least - bought:,} more who bought")
    if never < least:
        lacks.append(f"{least - never:,} more who never bought")
    if origin == "events":
        visitors = int(
            store.scalar(
                "SELECT count(DISTINCT visitor_id) FROM sessions "
                "WHERE origin = 'events' AND visitor_id IS NOT NULL"
            )
        )
        buyers = visitors - never
        return (
            f"The shop's visit data show {visitors:,} visitors: {buyers:,} bought and "
            f"{never:,} never did. A buyer shows the model what browsing before a purchase looks "
            f"like only with visits before the one she bought in, and {bought:,} of the "
            f"{buyers:,} buyers have such visits, so {rows:,} visitors can be learnt from. "
            f"Purchase intent needs {need:,}, with at least {least} who bought and {least} who "
            f"never did, so it lacks {_and(lacks)}. Visit data over a longer period gives more "
            "(`shopperlens import events FILE`)."
        )
    return (
        f"The imported session aggregates hold {rows:,} sessions whose outcome is "
        f"known: {bought:,} with a purchase and {never:,} without. Purchase intent needs "
        f"{need:,}, with at least {least} of each, so it lacks {_and(lacks)}. A larger sessions "
        "export gives more (`shopperlens import sessions FILE`)."
    )


def _and(items: list[str]) -> str:
    """``["a", "b", "c"]`` as "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _records(frame: pd.DataFrame, n: int) -> list[dict[str, Any]]:
    return frame.head(n).replace({np.nan: None}).to_dict(orient="records")


def _with_readable_drivers(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each looker's drivers as labels and percentage points for the page (``drivers``);
    ``top_drivers`` keeps the column names for the JSON, where they are data."""
    return [
        {**r, "drivers": [intent_svc.readable_driver(d) for d in r.get("top_drivers") or []]}
        for r in rows
    ]


def _has_buyers(store: Store) -> bool:
    """Orders that name their customer: what every figure of the page is computed from."""
    return bool(store.scalar("SELECT count(*) FROM orders WHERE customer_id IS NOT NULL"))


def _build(store: Store, settings: Settings | None = None) -> dict[str, Any] | None:
    if not _has_buyers(store):
        return None
    ctx: dict[str, Any] = {
        "at_risk_p_alive": clv_svc.AT_RISK_P_ALIVE,
        "currency": shop_currency(store=store),
    }
    _add_value(store, ctx)
    # the lookers' intent needs visits, not purchase history: a shop too small for CLV
    # still sees who is closest to buying (it was left out with the CLV figures)
    _add_intent(store, ctx)
    return ctx


def _add_value(store: Store, ctx: dict[str, Any]) -> None:
    """CLV, P(alive), the forecast check and the sources' effects into ``ctx``; ``gate``
    says why there are none when the models refuse these orders."""
    try:
        # the current run (refreshed after an import), so the totals above the tables and
        # the tables themselves describe the same customers
        values = value_run.current_customer_value(store=store)
        ctx["summary"] = clv_svc.value_summary(
            store=store, horizon_days=value_run.REPORT_HORIZON_DAYS
        )
    except InsufficientDataError as exc:
        ctx["gate"] = str(exc)
        return
    types_as_of = default_as_of(store)
    values = values.assign(days_since_last=days_since_last_order(values, types_as_of))
    ctx["days_counted_to"] = types_as_of
    # the service's one judgement (``clv-report``, the types and the playbook ask it too)
    dropout = clv_svc.no_dropout(ctx["summary"].params)
    ctx["no_dropout"] = (
        None
        if dropout is None
        else {"dropout": dropout, "longest_quiet_days": int(values["days_since_last"].max())}
    )
    ctx["top"] = _records(values.sort_values("clv", ascending=False), 15)
    risk = values[values["at_risk"]].sort_values("clv", ascending=False)
    ctx["at_risk"] = _records(risk, AT_RISK_SHOWN)
    ctx["at_risk_total"] = len(risk)  # the table shows those worth most
    hist, edges = np.histogram(values["p_alive"], bins=np.linspace(0, 1, 11))
    ctx["p_alive_bins"] = [
        {"lower": float(lo), "upper": float(hi), "customers": int(n)}
        for lo, hi, n in zip(edges[:-1], edges[1:], hist, strict=True)
    ]
    try:
        check = clv_svc.forecast_check(store=store)
        ctx["check"] = {
            "calibration_end": check["calibration_end"],
            "holdout_actual": check["holdout_actual"],
            "holdout_predicted": check["holdout_predicted"],
            "by_frequency": _records(check["by_frequency"], 20),
        }
        ctx["_chart"] = forecast_chart(check)
    except InsufficientDataError as exc:
        ctx["check_gate"] = str(exc)
    try:
        effects = clv_svc.channel_effects(store=store, by="source")
        ctx["effects"] = _records(effects, 10)
        # who the comparison leaves out (customers without visit data), said under it
        ctx["effects_left_out"] = effects.attrs.get("left_out_note", "")
    except InsufficientDataError as exc:
        ctx["effects_gate"] = str(exc)


def _add_intent(store: Store, ctx: dict[str, Any]) -> None:
    """The lookers closest to buying into ``ctx``; ``intent_gate`` says why there are none
    (no visit data, too few visitors for the model), so the section never stands empty."""
    try:
        intent = intent_svc.latest_intent(store=store)
        ctx["intent"] = _with_readable_drivers(_records(intent, 20))
        ctx["intent_count"] = len(intent)
    except InsufficientDataError as exc:
        # what the shop has and lacks in its own words; the service's sentence otherwise
        ctx["intent_gate"] = intent_shortfall(store) or str(exc)


register(
    Page(
        slug="value",
        title="Value",
        template="value.html",
        build=_build,
        order=30,
        available=_has_buyers,
        needs="orders that name their customer (`shopperlens import orders FILE`)",
    )
)
