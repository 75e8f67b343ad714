"""Customer lifetime value: who is still a customer, what each is worth, who is slipping away.

Fits a BG/NBD (purchases and silent dropout) and a Gamma-Gamma (order value) model on every
customer's order history in days, then scores each customer: P(alive), expected purchases and
value over a horizon, median days to the next order. Loyal-ish customers whose P(alive) has
fallen are flagged ``at_risk`` (see :data:`AT_RISK_P_ALIVE`).

Amounts are in the shop's currency (``service.overview.shop_currency``): purchase counts use
every purchase, order values only those in that currency (see :func:`spend_data`), so no
figure adds SEK to EUR.

Every face calls these functions: ``shopperlens clv``, ``Shop.clv()``, ``GET /api/clv``, the
``clv`` job and the report's "Value" page. The command and the job store their run
(:func:`customer_value_run`); ``Shop.clv()`` stores it with ``save=True``; ``GET /api/clv`` never
does (a read must not write).
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from shopperlens.errors import InsufficientDataError, ShopperlensError
from shopperlens.labels import percent
from shopperlens.merchandise import PRODUCT_LINES
from shopperlens.models import (
    BetaGeo,
    BetaGeoCovariates,
    GammaGamma,
    calibration_holdout,
    check_minimum_data,
    cumulative_forecast,
    customer_lifetime_value,
    forecast_by_frequency,
    rfm_summary,
)
from shopperlens.models.gammagamma import NOTE_NO_MEAN
from shopperlens.service._checks import check_orders_by, whole
from shopperlens.service._clock import utc_now
from shopperlens.service.types import parse_as_of
from shopperlens.statuses import not_purchase_sql
from shopperlens.store import Store
from shopperlens.store.connection import check_no_erasure_since

#: run after the types (DEMO_ORDER 20), before the playbooks that use at-risk customers
DEMO_ORDER = 30
#: a repeat buyer with at least this many repeat purchase days counts as loyal-ish …
AT_RISK_MIN_REPEAT = 2
#: … and is "at risk" once the BG/NBD P(alive) falls below this
AT_RISK_P_ALIVE = 0.5
#: yearly discount rate for CLV (applied per 30-day period as (1 + 10 %)^(1/12) − 1)
DISCOUNT_RATE_YEARLY = 0.10
#: the orders that are purchases, as a SQL relation (``FROM {PURCHASES} o``): every figure of
#: buying — CLV, basket rules, playbooks, overview, personas, interview and survey targeting —
#: reads orders through it, so a cancelled order counts nowhere
PURCHASES = f"(SELECT * FROM orders WHERE NOT {not_purchase_sql('status')})"
#: the note on Gamma-Gamma's q when it is ≤ 1: the model then has no mean order value (the
#: formula p·v/(q−1) turns negative), so expected spend and CLV use each customer's own mean
SPEND_FALLBACK_NOTE = (
    "q ≤ 1: the Gamma-Gamma model has no mean order value here (order values differ too much "
    "between customers), so expected spend and CLV use each customer's own mean order value"
)
#: a dropout (the BG/NBD's a/(a+b)) below this, with a and b at the edge of the fit, is "no
#: dropout found" (see :func:`no_dropout`): the threshold at which the parameters' note says
#: "dropout is near zero"
NO_DROPOUT = 0.01
#: below this spread (standard deviation) of the customers' chance of leaving after an order,
#: the BG/NBD's a and b are on their ridge: every customer has the same chance, a/(a+b), and a
#: and b themselves are not estimated, whatever the optimiser's standard errors say
RIDGE_SPREAD = 0.001
#: above this Gamma-Gamma q (the customers' mean order values then differ by under 1 %, as
#: 1/√q), q and v are on their ridge and only the mean order value p·v/(q−1) is estimated
RIDGE_Q = 10_000.0
#: the longest forecast horizon in days (10 years). The CLV sum takes one step per 30 days, so
#: an unbounded horizon ran for hours and, as a background job, blocked the single job worker;
#: beyond a decade the BG/NBD forecast means nothing anyway. Every face shares this limit.
MAX_HORIZON_DAYS = 3650
#: the revision of what decides a stored run's figures beyond the constants above: the
#: models, and which orders and amounts they read. Raise it with any change that alters the
#: figures (2: order values in the shop's currency only; older releases counted a USD order
#: as EUR), so a run an earlier version stored is no longer taken for the current one
MODEL_REVISION = 2
#: what a stored run records as having made it (``customer_value.model_version``)
MODEL_VERSION = (
    f"clv {MODEL_REVISION}; at risk: {AT_RISK_MIN_REPEAT}+ repeat days, P(alive) < "
    f"{AT_RISK_P_ALIVE}; discount {DISCOUNT_RATE_YEARLY:g}/year"
)

COLUMNS = [
    "customer_id",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "p_alive",
    "expected_purchases",
    "clv",
    "at_risk",
]


def transactions(*, store: Store, as_of: Any = None) -> pd.DataFrame:
    """One row per order of a known customer up to the day ``as_of``: ``customer_id,
    ordered_at, value`` (the sum of its lines) and ``in_shop_currency``.

    ``in_shop_currency`` is whether ``value`` is an amount in the shop's currency
    (:func:`shopperlens.service.overview.shop_currency`; an order naming none counts as in it,
    as on every page that adds up amounts). Every order is a purchase whatever its currency,
    but only those amounts may be added to or averaged with the shop's: SEK 1,100 is not
    EUR 1,100.
    """
    # imported here: overview reads PURCHASES from this module
    from shopperlens.service.overview import in_shop_currency_sql, shop_currency

    currency = shop_currency(store=store)
    sql = (
        "SELECT o.customer_id, o.ordered_at, "
        "coalesce(sum(l.quantity * l.unit_price), 0) AS value, "
        f"{in_shop_currency_sql('o.currency')} AS in_shop_currency "
        f"FROM {PURCHASES} o LEFT JOIN order_lines l USING (order_id) "
        "WHERE o.customer_id IS NOT NULL "
        + ("AND o.ordered_at < ? " if as_of is not None else "")
        + "GROUP BY o.order_id, o.customer_id, o.ordered_at, o.currency"
    )
    params: list[Any] = [currency, currency]
    if as_of is not None:  # as_of is a day: its orders count, whatever their time
        params.append(_day_end(as_of))
    return store.df(sql, params)


def as_of_day(as_of: Any) -> pd.Timestamp | None:
    """The day ``as_of`` names (None: none given), read by the parser the types use
    (:func:`shopperlens.service.types.parse_as_of`), so text, dates, aware times (converted to
    UTC, as orders are stored) and refused numbers mean the same in both. Only the reading is
    shared: a CLV run as of a day counts that day's orders, whatever their time."""
    cut = parse_as_of(as_of)
    return None if cut is None else pd.Timestamp(cut).floor("D")


def _day_end(as_of: Any) -> datetime:
    """The moment after the day ``as_of``: the exclusive end of the data a run as of it reads."""
    return (pd.Timestamp(as_of).floor("D") + pd.Timedelta(days=1)).to_pydatetime()


def spend_data(tx: pd.DataFrame, customers: pd.Index) -> pd.DataFrame:
    """Per customer (in ``customers``' order) what the Gamma-Gamma model may learn from:
    ``frequency`` — repeat purchase days whose orders are all in the shop's currency —,
    ``monetary_value`` (their mean, 0 without one) and ``observed_spend`` (the mean over every
    such purchase day, the first included; NaN without one).

    The purchase counts of BG/NBD use every purchase day; order values only those in the
    shop's currency (a day mixing currencies has no total in it). A customer whose repeat
    orders are all in another currency thus has ``frequency`` 0 here, and the Gamma-Gamma
    model gives her the population's mean order value, as it does a one-time buyer.
    """
    days = tx.assign(day=pd.to_datetime(tx["ordered_at"]).dt.floor("D"))
    daily = days.groupby(["customer_id", "day"], as_index=False).agg(
        value=("value", "sum"), priced=("in_shop_currency", "all")
    )
    first = daily.groupby("customer_id")["day"].transform("min")
    priced = daily[daily["priced"].astype(bool)]
    repeat = priced[priced["day"] != first[priced.index]].groupby("customer_id")["value"]
    return pd.DataFrame(
        {
            "frequency": repeat.size().reindex(customers).fillna(0).astype(float),
            "monetary_value": repeat.mean().reindex(customers).fillna(0.0),
            "observed_spend": priced.groupby("customer_id")["value"].mean().reindex(customers),
        },
        index=customers,
    )


@dataclass(frozen=True)
class FittedValue:
    """The fitted models and the per-customer statistics they were fitted on."""

    as_of: pd.Timestamp
    #: purchase counts of every purchase (any currency); ``monetary_value`` is the mean repeat
    #: order in the shop's currency (0 without one)
    rfm: pd.DataFrame
    transactions: BetaGeo
    spend: GammaGamma
    #: each customer's own mean value per purchase day in the shop's currency (first purchase
    #: included): the expected spend when the Gamma-Gamma fit has no mean
    #: (``spend.mean_exists_`` is False); customers without such a day get the mean of the others
    observed_spend: pd.Series
    #: the Gamma-Gamma's data: ``frequency`` (repeat purchase days in the shop's currency) and
    #: ``monetary_value`` (see :func:`spend_data`)
    spend_rfm: pd.DataFrame


def fit_models(*, store: Store, as_of: Any = None) -> FittedValue:
    """Fit BG/NBD and Gamma-Gamma on all orders up to ``as_of`` (default: the last order day).

    BG/NBD counts every purchase; Gamma-Gamma learns order values from the purchases in the
    shop's currency only (see :func:`spend_data`), so all amounts are in that currency.
    Raises :class:`~shopperlens.errors.InsufficientDataError` below the minimum-data gate
    (:func:`shopperlens.models.check_minimum_data`: 100 buyers, 20 repeat buyers, a history
    three times the typical gap between purchases).
    """
    day = as_of_day(as_of)
    tx = transactions(store=store, as_of=day)
    if tx.empty:
        if day is not None:  # orders imported, but none by that day: said so
            check_orders_by(store, day.to_pydatetime())
        raise InsufficientDataError("no orders with a customer: import orders first")
    end = day if day is not None else tx["ordered_at"].max().floor("D")
    rfm = rfm_summary(tx, observation_end=end)
    check_minimum_data(rfm)
    spend = spend_data(tx, rfm.index)
    rfm["monetary_value"] = spend["monetary_value"]
    bg = BetaGeo(penalizer=0.0).fit(rfm)
    gg = GammaGamma().fit(spend[["frequency", "monetary_value"]])
    observed = spend["observed_spend"]
    # no order in the shop's currency: the customers' mean (the fallback has no model mean)
    observed = observed.fillna(observed.mean()).clip(lower=0.0).fillna(0.0)
    return FittedValue(end, rfm, bg, gg, observed, spend[["frequency", "monetary_value"]])


def customer_value(
    *, store: Store, horizon_days: int = 365, as_of: Any = None, save: bool = False
) -> pd.DataFrame:
    """Per customer: RFM, P(alive), expected purchases and CLV over ``horizon_days``, at risk.

    Columns: ``customer_id, frequency, recency, T, monetary_value, p_alive,
    expected_purchases, clv, at_risk`` then ``next_order_days, expected_spend``.
    Times are in days. With ``save=True`` the result replaces the stored run (table
    ``customer_value``) that other concerns read. ``attrs["no_dropout"]`` is True when this
    fit found no dropout (:func:`no_dropout`), and ``attrs["no_dropout_note"]`` says so: every
    ``p_alive`` is then about 1 and ``at_risk`` False by the model's assumption, and the faces
    say so rather than list "nobody at risk".
    """
    check_horizon(horizon_days)
    mark = store.erasure_mark() if save else 0  # a person erased from here on is refused
    started = utc_now()  # the run is as fresh as the orders it reads (see value_run)
    fitted = fit_models(store=store, as_of=as_of)
    out = _score(fitted, horizon_days)
    dropout = fitted_no_dropout(fitted)
    out.attrs.update(no_dropout=dropout is not None, no_dropout_note=no_dropout_note(dropout))
    if save:
        _save(store, out, (fitted.as_of, horizon_days, started), mark)
    return out


def customer_value_run(
    *, store: Store, horizon_days: int = 365, as_of: Any = None, save: bool = True
) -> pd.DataFrame:
    """What ``shopperlens clv`` runs, and so the ``clv`` background job: :func:`customer_value`
    with the run stored (table ``customer_value``) unless ``save=False``.

    The job called :func:`customer_value` itself, whose ``save`` is off by default (the
    Python ``Shop.clv()`` and ``GET /api/clv`` only score): ``POST /api/jobs/clv`` with ``{}``
    ended "done" having stored nothing, and ``GET /api/types?type=loyal_at_risk`` then read
    the missing run as nobody at risk. A job runs what the matching command runs."""
    return customer_value(store=store, horizon_days=horizon_days, as_of=as_of, save=save)


def check_horizon(horizon_days: object) -> int:
    """Refuse a horizon that is not a whole number of days from 1 to :data:`MAX_HORIZON_DAYS`.

    Checked here, not in each face, so the CLI, Python, HTTP and job faces give one message.
    """
    return whole(
        horizon_days, "the horizon", low=1, high=MAX_HORIZON_DAYS, unit="days", hint=" (10 years)"
    )


def expected_spend(fitted: FittedValue) -> np.ndarray:
    """Each customer's expected value per purchase in the shop's currency: the Gamma-Gamma's
    E[M | x, m̄] over her orders in that currency when its population mean exists (q > 1) —
    the population mean for a customer with no repeat order in it —, else each customer's
    own observed mean (see :data:`SPEND_FALLBACK_NOTE`) — never the negative or infinite
    value of the formula."""
    if fitted.spend.mean_exists_:
        return fitted.spend.predict_spend(fitted.spend_rfm)
    return fitted.observed_spend.to_numpy(dtype=float)


def _score(fitted: FittedValue, horizon_days: int) -> pd.DataFrame:
    rfm, bg = fitted.rfm, fitted.transactions
    monthly = (1 + DISCOUNT_RATE_YEARLY) ** (1 / 12) - 1
    step = min(30.0, float(horizon_days))
    spend = expected_spend(fitted)
    out = pd.DataFrame(
        {
            "customer_id": rfm.index.astype(str),
            "frequency": rfm["frequency"].to_numpy(),
            "recency": rfm["recency"].to_numpy(),
            "T": rfm["T"].to_numpy(),
            "monetary_value": rfm["monetary_value"].to_numpy(),
            "p_alive": bg.predict_alive(rfm),
            "expected_purchases": bg.predict_purchases(rfm, t=float(horizon_days)),
            "clv": customer_lifetime_value(
                bg, rfm["frequency"], rfm["recency"], rfm["T"], spend,
                horizon=float(horizon_days), step=step, discount_rate=monthly,
            ),
            "next_order_days": bg.predict_next_order_days(rfm),
            "expected_spend": spend,
        }
    )  # fmt: skip
    out["at_risk"] = (out["frequency"] >= AT_RISK_MIN_REPEAT) & (out["p_alive"] < AT_RISK_P_ALIVE)
    out = out[[*COLUMNS, "next_order_days", "expected_spend"]]
    _check_finite(out)
    return out.sort_values("clv", ascending=False, ignore_index=True)


#: the figures every scored customer needs (the stored run holds them NOT NULL)
SCORED = ("p_alive", "expected_purchases", "expected_spend", "clv")


def _check_finite(out: pd.DataFrame) -> None:
    """Refuse a run in which the fitted models left a figure undefined (NaN or infinite),
    naming which and for how many customers: storing it failed on the table's NOT NULL with
    a database error, and the report was not written at all."""
    values = out[list(SCORED)].to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if not bad.any():
        return
    which = ", ".join(name for name, b in zip(SCORED, bad.any(axis=0), strict=True) if b)
    raise InsufficientDataError(
        f"the models fitted on these orders leave {which} undefined for "
        f"{int(bad.any(axis=1).sum()):,} of {len(out):,} customers: no customer value computed"
    )


def _save(
    store: Store, frame: pd.DataFrame, run: tuple[pd.Timestamp, int, datetime], mark: int
) -> None:
    """Replace the stored run with ``frame`` (``run``: as of, horizon in days, and when its
    computation started, kept as ``computed_at``: an import committed while it ran is newer
    than the run); refused when a customer was erased since ``mark`` (noted at the start)."""
    as_of, horizon_days, started = run
    rows = frame.assign(
        as_of=as_of, horizon_days=int(horizon_days), computed_at=started, model=MODEL_VERSION
    )
    with store.transaction() as con:
        check_no_erasure_since(con, mark)
        con.execute("DELETE FROM customer_value")
        con.register("_sl_cv", rows)
        con.execute(
            "INSERT INTO customer_value (customer_id, as_of, horizon_days, frequency, recency, "
            '"T", monetary_value, p_alive, expected_purchases, next_order_days, expected_spend, '
            "clv, at_risk, computed_at, model_version) SELECT customer_id, as_of, horizon_days, "
            'frequency, recency, "T", monetary_value, p_alive, expected_purchases, '
            "next_order_days, expected_spend, clv, at_risk, computed_at, model FROM _sl_cv"
        )
        con.unregister("_sl_cv")


def latest_customer_value(*, store: Store) -> pd.DataFrame:
    """The stored run (see ``customer_value(save=True)``); computes and stores one if none is
    stored or the stored one was made by another model (:func:`other_model_run`)."""
    stored = store.df("SELECT * FROM customer_value ORDER BY clv DESC")
    if stored.empty or other_model_run(store=store):  # (read-only: shown, not stored)
        return customer_value(store=store, save=not store.read_only)
    return stored


def other_model_run(*, store: Store) -> bool:
    """Whether the stored run was made by another model than this one (:data:`MODEL_VERSION`;
    a run stored before runs recorded it has none): its figures are not this model's, so it
    is not the current run, whatever its dates."""
    return bool(
        store.scalar(
            "SELECT count(*) > 0 FROM customer_value WHERE model_version IS DISTINCT FROM ?",
            [MODEL_VERSION],
        )
    )


class ParamEstimate(BaseModel):
    """One parameter: its estimate, and its standard error and interval when the data pin it
    down (None otherwise, with ``note`` saying why)."""

    model: str
    param: str
    coef: float
    se: float | None
    lower: float | None
    upper: float | None
    note: str = ""


def _estimates(name: str, table: pd.DataFrame) -> list[ParamEstimate]:
    """A model's summary as estimates: NaN becomes None (JSON has no NaN), and BG/NBD's
    dropout parameters, when the fit runs off along their ridge, get a note in the shop's
    terms instead of the optimiser's, as do Gamma-Gamma's q when it leaves no mean spend and
    its q and v when they run off together."""
    rows = table.astype(object).where(table.notna(), None).to_dict(orient="index")
    out = [ParamEstimate(model=name, param=str(p), **row) for p, row in rows.items()]
    by = {e.param: e for e in out}
    if name == "Gamma-Gamma" and "q" in by and by["q"].coef <= 1.0:
        kept = "" if by["q"].note in ("", NOTE_NO_MEAN) else f"{by['q'].note}; "
        by["q"].note = kept + SPEND_FALLBACK_NOTE
    if name == "Gamma-Gamma" and {"p", "q", "v"} <= set(by) and by["q"].coef > RIDGE_Q:
        mean = by["p"].coef * by["v"].coef / (by["q"].coef - 1)
        _on_ridge(
            by["q"], by["v"],
            "q and v grow together without limit, so every customer's orders vary around the "
            f"same mean order value, p·v/(q−1) = {mean:,.2f}, and only that mean is estimated",
        )  # fmt: skip
    if name == "BG/NBD" and {"a", "b"} <= set(by):
        a, b = by["a"].coef, by["b"].coef
        dropout = a / (a + b) if a + b > 0 else 0.0
        spread = math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1))) if a + b > 0 else 0.0
        if (by["a"].note and by["b"].note) or spread < RIDGE_SPREAD:
            near_zero = "dropout is near zero; " if dropout < NO_DROPOUT else ""
            _on_ridge(
                by["a"], by["b"],
                f"{near_zero}a and b grow together without limit, so every customer has about "
                f"the same chance of leaving after an order, a/(a+b) = {percent(dropout, 1)}%, and "
                "only that ratio is estimated",
            )  # fmt: skip
    return out


def _on_ridge(first: ParamEstimate, second: ParamEstimate, why: str) -> None:
    """Two parameters the data pins down only as a ratio: no interval for either (on the
    ridge a standard error, finite or not, measures the optimiser's stopping point, and an
    interval such as a in [30,531; 434,917] read as a measure), and a note saying why."""
    for estimate in (first, second):
        estimate.se = estimate.lower = estimate.upper = None
        estimate.note = f"at the edge of the fit — no interval: {why}"


def no_dropout(params: Iterable[ParamEstimate]) -> float | None:
    """The BG/NBD's dropout when the fit found none (else None): a and b at the edge of the
    fit, without an interval, and a/(a+b) below :data:`NO_DROPOUT`.

    Then every customer's P(alive) is about 100 % whatever her silence, and nobody can fall
    below the at-risk line: "mean P(alive) 100 %", "0 at risk" and "no loyal customer is at
    risk" read as a measured all-clear of customers whose only order was 345 days ago. This is
    the one judgement every face asks (the report's Value and Customer types pages, the loyal
    playbook, ``clv-report``, ``types``, ``GET /api/clv/summary`` and ``/api/clv/effects``), so
    none of them says it on its own terms or forgets it."""
    by = {p.param: p for p in params if p.model == "BG/NBD"}
    a, b = by.get("a"), by.get("b")
    if a is None or b is None or a.lower is not None or b.lower is not None:
        return None
    dropout = a.coef / (a.coef + b.coef) if a.coef + b.coef > 0 else 0.0
    return dropout if dropout < NO_DROPOUT else None


def fitted_no_dropout(fitted: FittedValue) -> float | None:
    """:func:`no_dropout` of a fit's BG/NBD (its parameters as :func:`value_summary` gives
    them), for the faces that hold a fit rather than a summary."""
    return no_dropout(_estimates("BG/NBD", fitted.transactions.summary()))


#: per store, the stored run it was judged for and the judgement (see
#: :func:`stored_run_no_dropout`): every types read joins the run, and a refit each time
#: added most of a second to each page, playbook and audience
_RUN_DROPOUT: weakref.WeakKeyDictionary[Store, tuple[tuple[Any, ...], float | None]] = (
    weakref.WeakKeyDictionary()
)
#: what identifies the stored run and the data it was fitted on: a new run, an import of
#: orders or an erasure is judged again
_RUN_KEY = (
    "SELECT max(as_of), max(computed_at), count(*), "
    "(SELECT max(imported_at) FROM imports WHERE kind = 'orders'), "
    "(SELECT coalesce(max(erasure_id), 0) FROM erasures) FROM customer_value"
)


def stored_run_no_dropout(*, store: Store) -> float | None:
    """:func:`no_dropout` of the model behind the stored CLV run (table ``customer_value``),
    None when there is no run or it cannot be refitted.

    The run stores each customer's P(alive), not the parameters, so the model is fitted again
    on the run's own data (the orders up to its ``as_of`` day), once per run and store: the
    types' value columns and the loyal playbook read the run, and its P(alive) of 1.00 and
    "at risk" False say nothing when that fit found no dropout."""
    with store.cursor() as cur:  # fetched to the end: an open result breaks the next query
        key = tuple(cur.execute(_RUN_KEY).fetchall()[0])
    if key[0] is None:
        return None
    cached = _RUN_DROPOUT.get(store)
    if cached is not None and cached[0] == key:
        return cached[1]
    try:
        dropout = fitted_no_dropout(fit_models(store=store, as_of=key[0]))
    except InsufficientDataError:
        dropout = None
    _RUN_DROPOUT[store] = (key, dropout)
    return dropout


def no_dropout_note(dropout: float | None) -> str:
    """What every face says when the fit found no dropout ("" when it did, ``dropout`` None).

    In ASCII, as it also travels in an HTTP header (``GET /api/clv/effects``)."""
    if dropout is None:
        return ""
    return (
        "the CLV model found no customers dropping out on this data (the chance of leaving "
        f"after an order, a/(a+b), comes out at {100 * dropout:.1f} % at the edge of the fit), "
        "so P(alive) is 100 % for everyone and nobody can be flagged at risk: this is no "
        "all-clear, more order history is needed"
    )


class ValueSummary(BaseModel):
    """The fitted models and the customer base's value, for reports and ``clv-report``.

    ``mean_p_alive`` and ``at_risk`` are None when the BG/NBD found no dropout
    (``no_dropout``, said in ``no_dropout_note``): 100 % and 0 would read as measured."""

    as_of: datetime
    horizon_days: int
    customers: int
    repeat_buyers: int
    total_clv: float
    mean_p_alive: float | None
    at_risk: int | None
    params: list[ParamEstimate]
    log_likelihood: float
    no_dropout: bool = False
    no_dropout_note: str = ""


def value_summary(*, store: Store, horizon_days: int = 365) -> ValueSummary:
    """Parameter estimates with 95 % intervals and the customer base's totals (mean P(alive)
    and at risk left out when the fit found no dropout: see :func:`no_dropout`)."""
    check_horizon(horizon_days)
    fitted = fit_models(store=store)
    values = _score(fitted, horizon_days)
    params = [
        estimate
        for name, model in (("BG/NBD", fitted.transactions), ("Gamma-Gamma", fitted.spend))
        for estimate in _estimates(name, model.summary())
    ]
    dropout = no_dropout(params)
    return ValueSummary(
        as_of=fitted.as_of.to_pydatetime(),
        horizon_days=horizon_days,
        customers=len(values),
        repeat_buyers=int((values["frequency"] > 0).sum()),
        total_clv=float(values["clv"].sum()),
        mean_p_alive=None if dropout is not None else float(values["p_alive"].mean()),
        at_risk=None if dropout is not None else int(values["at_risk"].sum()),
        params=params,
        log_likelihood=float(fitted.transactions.log_likelihood_),
        no_dropout=dropout is not None,
        no_dropout_note=no_dropout_note(dropout),
    )


#: the share of the order history ``clv-report`` fits on; the rest is held out to compare
CALIBRATION_SHARE = 2 / 3


def holdout_split(
    start: pd.Timestamp, end: pd.Timestamp, calibration_share: float = CALIBRATION_SHARE
) -> pd.Timestamp:
    """The last day of the part of a history from day ``start`` to day ``end`` the forecast
    check fits on. :func:`forecast_check` and ``readiness`` both split here: the same
    fraction of a day computed twice can floor to two different days."""
    return (start + (end - start) * calibration_share).floor("D")


def forecast_check(*, store: Store, calibration_share: float = CALIBRATION_SHARE) -> dict[str, Any]:
    """Fit on the first ``calibration_share`` of the order history, forecast the rest.

    Returns ``by_frequency`` (mean holdout purchases per calibration frequency, actual vs
    forecast), ``cumulative`` (weekly cumulative repeat purchases) and the split dates.

    The whole history passes the minimum-data gate first, as in :func:`fit_models`: a shop
    too small for CLV got "observation_end must be after calibration_end" (a one-day history
    has no split) where ``clv`` says how many buyers and repeat buyers it lacks.
    """
    tx = transactions(store=store)
    if tx.empty:
        raise InsufficientDataError("no orders with a customer: import orders first")
    start, end = tx["ordered_at"].min().floor("D"), tx["ordered_at"].max().floor("D")
    check_minimum_data(rfm_summary(tx, observation_end=end))
    split = holdout_split(start, end, calibration_share)
    if split >= end:  # nothing left to hold out (the gate lets no such history through)
        raise InsufficientDataError("the order history is too short to hold part of it out")
    cal = calibration_holdout(tx, calibration_end=split, observation_end=end)
    check_minimum_data(cal["frequency_cal"], cal["recency_cal"], cal["T_cal"])
    model = BetaGeo().fit(cal["frequency_cal"], cal["recency_cal"], cal["T_cal"])
    by_freq = forecast_by_frequency(model, cal)
    cumulative = cumulative_forecast(model, tx, calibration_end=split, observation_end=end)
    return {
        "calibration_end": split.to_pydatetime(),
        "observation_end": end.to_pydatetime(),
        "by_frequency": by_freq,
        "cumulative": cumulative,
        "holdout_actual": float(cal["frequency_holdout"].sum()),
        "holdout_predicted": float(
            np.sum(
                model.predict_purchases(
                    cal["frequency_cal"], cal["recency_cal"], cal["T_cal"],
                    t=float(cal["duration_holdout"].iloc[0]),
                )
            )
        ),
    }  # fmt: skip


def demo_step(*, store: Store) -> None:
    """Score the demo shop's customers and store the run (skipped when the gate says no)."""
    try:
        customer_value(store=store, save=True)
    except InsufficientDataError:
        return


#: what ``channel_effects`` can split customers by
EFFECT_DIMENSIONS = ("source", "category", "device")
_DIMENSION_SQL = {
    # the traffic source of the customer's first session up to the day of their first purchase
    # (playbooks.visits.until_first_order: visits after it did not bring them)
    "source": "SELECT s.customer_id, arg_min(coalesce(s.utm_source, '(direct)'), s.started_at) "
    "AS level FROM sessions s JOIN (SELECT customer_id, min(ordered_at) AS first_at "
    f"FROM {PURCHASES} WHERE customer_id IS NOT NULL GROUP BY 1) f USING (customer_id) "
    "WHERE s.started_at < ? AND s.started_at < CAST(f.first_at AS DATE) + INTERVAL 1 DAY "
    "GROUP BY s.customer_id",
    # the category of the first line of the customer's first purchase (a cancelled order is
    # not one: it would decide the category of a customer who never bought from it)
    "category": "SELECT o.customer_id, arg_min(coalesce(l.category, p.category), "
    "o.ordered_at::VARCHAR || lpad(l.line_no::VARCHAR, 6, '0')) AS level "
    f"FROM {PURCHASES} o "
    f"JOIN {PRODUCT_LINES} l USING (order_id) LEFT JOIN products p USING (product_id) "
    "WHERE o.customer_id IS NOT NULL AND o.ordered_at < ? GROUP BY o.customer_id",
    # the device the customer used most
    "device": "SELECT customer_id, mode(device) AS level FROM sessions "
    "WHERE customer_id IS NOT NULL AND device IS NOT NULL AND started_at < ? "
    "GROUP BY customer_id",
}


def _levels(store: Store, by: str, as_of: pd.Timestamp) -> pd.Series:
    """Each customer's level of ``by`` from the data up to the day ``as_of`` (the models' own
    data): a run as of March is not split by the device someone first used in May."""
    levels = store.df(_DIMENSION_SQL[by], [_day_end(as_of)])
    return levels.astype({"customer_id": str}).set_index("customer_id")["level"]


#: why there is nothing to compare when no customer has a level at all
_NO_LEVELS = {
    "source": "no visit data: no buyer's first traffic source is known (import events)",
    "category": "no order lines with a category: no buyer's first category is known",
    "device": "no visit data with a device: no buyer's device is known (import events)",
}
#: who is left out of a comparison for having no level, and why (after "N customers"): a
#: customer without visit data has an unknown source, not a source called "(unknown)"
_NO_LEVEL = {
    "source": "without a visit on record by the day of their first order are left out: their "
    "first traffic source is unknown (ordered before the shop's visit data begins, or their "
    "events are not imported)",
    "category": "whose first purchase names no category are left out: their first category is "
    "unknown",
    "device": "without a visit naming a device are left out: their device is unknown "
    "(importing their events adds them)",
}


def left_out_text(by: str, n: int) -> str:
    """The sentence saying who a comparison by ``by`` leaves out ("" for nobody): how many
    customers have no level, and why, so a reader knows whom the table does not describe."""
    if not n:
        return ""
    who = "1 customer" if n == 1 else f"{n:,} customers"
    return f"{who} {_NO_LEVEL[by]}"


def channel_effects(
    *, store: Store, by: str = "source", max_levels: int = 5, as_of: Any = None
) -> pd.DataFrame:
    """Which acquisition sources (first categories, devices) bring customers who buy and stay.

    Fits a BG/NBD with time-invariant covariates (Fader & Hardie 2007): one 0/1 covariate per
    level of ``by`` (the ``max_levels`` most common; the most common is the baseline, the rest
    become "other"). Per level: customers, ``purchase_rate`` (mean purchases per 30 days while
    active, r/α_i), ``dropout`` (mean probability of leaving after a purchase, a_i/(a_i+b_i)),
    ``rate_ratio`` versus the baseline with its 95 % interval, mean ``p_alive`` and ``clv``.

    Customers without a level (no visit data for ``source`` …) are left out of the fit and the
    table: grouped as "(unknown)" they were compared as if they were a source, and, being the
    largest group in a shop that imported events for half its customers, they became the
    baseline every rate ratio was measured against. ``attrs["left_out"]`` counts them and
    ``attrs["left_out_note"]`` says so in a sentence (:func:`left_out_text`).

    When the BG/NBD found no dropout (:func:`no_dropout`) each level's ``dropout`` and
    ``p_alive`` are NaN, ``attrs["no_dropout"]`` is True and ``attrs["no_dropout_note"]`` says
    why: a dropout of 0.0 and a P(alive) of 1.00 per source read as measured where the model
    saw nobody leave; the purchase rates and ratios still compare the levels.
    """
    if by not in EFFECT_DIMENSIONS:
        raise ShopperlensError(f"by must be one of {', '.join(EFFECT_DIMENSIONS)}")
    fitted = fit_models(store=store, as_of=as_of)
    level = _levels(store, by, fitted.as_of).reindex(fitted.rfm.index.astype(str))
    if level.isna().all():  # not "every customer has the same source": there is none at all
        raise InsufficientDataError(_NO_LEVELS[by])
    known = level.notna().to_numpy()
    left_out = int((~known).sum())
    rfm = fitted.rfm[known]
    level = level[known].astype(str)
    top = level.value_counts().index[:max_levels]
    level = level.where(level.isin(top), "other")
    order = level.value_counts().index.tolist()
    if len(order) < 2:
        raise InsufficientDataError(
            f"every customer{' with a known ' + by if left_out else ''} has the same {by}: "
            "nothing to compare"
        )
    dummies = pd.get_dummies(level)[order[1:]].astype(float)
    model = BetaGeoCovariates().fit(
        rfm["frequency"].to_numpy(), rfm["recency"].to_numpy(), rfm["T"].to_numpy(),
        covariates=dummies.reset_index(drop=True),
    )  # fmt: skip
    table = model.summary()
    p = model.params_
    values = _score(fitted, 365).set_index("customer_id").reindex(rfm.index.astype(str))
    rows = []
    for name in order:
        g_alpha = p.get(f"alpha:{name}", 0.0)
        a = p["a"] * np.exp(p.get(f"a:{name}", 0.0))
        b = p["b"] * np.exp(p.get(f"b:{name}", 0.0))
        alpha = p["alpha"] * np.exp(-g_alpha)
        if name == order[0]:
            lo = hi = 1.0
        else:
            lo = float(np.exp(table.loc[f"alpha:{name}", "lower"]))
            hi = float(np.exp(table.loc[f"alpha:{name}", "upper"]))
        members = (level == name).to_numpy()
        rows.append(
            {
                by: name,
                "customers": int(members.sum()),
                "purchase_rate": 30 * p["r"] / alpha,
                "dropout": a / (a + b),
                "rate_ratio": float(np.exp(g_alpha)),
                "rate_ratio_lower": lo,
                "rate_ratio_upper": hi,
                "p_alive": float(values["p_alive"].to_numpy()[members].mean()),
                "clv": float(values["clv"].to_numpy()[members].mean()),
            }
        )
    out = pd.DataFrame(rows)
    dropout = fitted_no_dropout(fitted)
    if dropout is not None:  # the model's assumption, not a measure: unknown, not 0 and 1
        out["dropout"] = np.nan
        out["p_alive"] = np.nan
    out.attrs.update(
        left_out=left_out,
        left_out_note=left_out_text(by, left_out),
        no_dropout=dropout is not None,
        no_dropout_note=no_dropout_note(dropout),
    )
    return out
