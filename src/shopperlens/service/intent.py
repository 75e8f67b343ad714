"""Purchase intent: which visitors who have not bought are closest to buying, and why.

A :class:`~shopperlens.models.PurchaseIntent` classifier learns what separates buyers from
non-buyers and scores each looker out of fold (by a model that never saw her). Two kinds of
sessions are handled, each with its own features: sessions cut from events (``origin =
'events'``: one row per visitor, aggregates of her sessions before her first purchase, all of
a looker's — sessions, days, funnel counts, duration, first traffic source, device) and
imported session aggregates such as the UCI Online Shoppers file (one row per session: page
counts and durations, bounce/exit rates, page value, month, visitor type …).

Faces: ``shopperlens intent``, ``Shop.intent()``, ``GET /api/intent``, the report's Value page.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from shopperlens.errors import InsufficientDataError
from shopperlens.ingest.sessionize import SESSION_GAP_MINUTES
from shopperlens.models import PurchaseIntent
from shopperlens.models.intent import auto_calibration
from shopperlens.service._clock import utc_now
from shopperlens.service.clv import PURCHASES
from shopperlens.store import Store
from shopperlens.store.connection import check_no_erasure_since

#: after customer value (30): both are read by the playbooks
DEMO_ORDER = 35
#: sessions of one origin needed to train (and at least 10 purchases among them)
MIN_SESSIONS = 200
MIN_PURCHASES = 10

EVENT_FEATURES = [
    "sessions", "active_days", "page_views", "product_views", "searches", "add_to_carts",
    "checkouts", "duration_s", "mean_events", "days_since_first", "device", "utm_source",
    "utm_medium", "landing",
]  # fmt: skip
IMPORT_FEATURES = [
    "administrative", "administrative_duration", "informational", "informational_duration",
    "product_related", "product_related_duration", "bounce_rate", "exit_rate", "page_value",
    "special_day", "month", "operating_system", "browser", "region", "traffic_type",
    "visitor_type", "weekend",
]  # fmt: skip
#: how a report names each feature when it drives a score (``top_drivers`` keep the column
#: names: they are data); every feature above has one
FEATURE_LABELS: dict[str, str] = {
    "sessions": "visits", "active_days": "days with a visit", "page_views": "pages viewed",
    "product_views": "product pages viewed", "searches": "searches on the site",
    "add_to_carts": "items put in the cart", "checkouts": "checkouts started",
    "duration_s": "time on the site", "mean_events": "actions per visit",
    "days_since_first": "days from first to last visit", "device": "device",
    "utm_source": "first traffic source", "utm_medium": "first traffic channel",
    "landing": "first landing page",
    "administrative": "account pages viewed", "administrative_duration": "time on account pages",
    "informational": "information pages viewed",
    "informational_duration": "time on information pages",
    "product_related": "product pages viewed", "product_related_duration": "time on product pages",
    "bounce_rate": "bounce rate of the pages seen", "exit_rate": "exit rate of the pages seen",
    "page_value": "value of the pages seen", "special_day": "closeness to a special day",
    "month": "month", "operating_system": "operating system", "browser": "browser",
    "region": "region", "traffic_type": "traffic type", "visitor_type": "new or returning visitor",
    "weekend": "weekend visit",
}  # fmt: skip
COLUMNS = ["visitor_id", "customer_id", "session_id", "intent", "top_drivers"]
_CATEGORICAL = {"device", "utm_source", "utm_medium", "landing", "month", "visitor_type", "weekend"}
#: out-of-fold scoring: a looker is scored by a model that did not see her
SCORING_FOLDS = 3


#: how long after a visit's last event an order still belongs to that visit (the gap that
#: cuts sessions): a checkout whose ``purchase`` event never arrived ends the visit it was in
ORDER_GRACE_MINUTES = SESSION_GAP_MINUTES

#: per visitor, when she first bought: the start of her first session with a ``purchase``
#: event, or of the visit her linked customer's first order fell in (the order's own time
#: when no visit holds it) — whichever is earlier. The orders count because purchase events
#: go missing (ad blockers, server-side checkouts): a customer with a paid order has bought.
#: ``readiness`` counts the visitors :func:`visitor_frame` learns from over the same CTEs.
FIRST_BUY = (
    "s AS (SELECT * FROM sessions WHERE origin = 'events' AND visitor_id IS NOT NULL), "
    "who AS (SELECT s.visitor_id, coalesce(any_value(i.customer_id), any_value(s.customer_id)) "
    "AS linked FROM s LEFT JOIN identities i USING (visitor_id) GROUP BY s.visitor_id), "
    "first_order AS (SELECT w.visitor_id, min(o.ordered_at) AS ordered_at FROM who w "
    f"JOIN {PURCHASES} o ON o.customer_id = w.linked GROUP BY w.visitor_id), "
    "order_buy AS (SELECT f.visitor_id, CASE WHEN s.ended_at + INTERVAL "
    f"{int(ORDER_GRACE_MINUTES)} MINUTE >= f.ordered_at THEN s.started_at "
    "ELSE f.ordered_at END AS at FROM first_order f ASOF LEFT JOIN s "
    "ON f.visitor_id = s.visitor_id AND f.ordered_at >= s.started_at), "
    "event_buy AS (SELECT visitor_id, min(started_at) AS at FROM s "
    "WHERE coalesce(purchases, 0) > 0 GROUP BY visitor_id), "
    "first_buy AS (SELECT w.visitor_id, w.linked, least(e.at, o.at) AS first_purchase "
    "FROM who w LEFT JOIN event_buy e USING (visitor_id) LEFT JOIN order_buy o "
    "USING (visitor_id))"
)


def visitor_frame(*, store: Store) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Per visitor, aggregates of her sessions *before* she first bought (all of a looker's).

    The outcome is whether the visitor ever bought: a session with a ``purchase`` event, or
    a purchase (see ``service.clv.PURCHASES``) by the customer she is linked to — purchase
    events go missing (ad blockers, server-side checkouts), and a buyer scored as a looker
    taught the model that checkouts make buying less likely. She bought from the start of
    the visit that first held either (:data:`FIRST_BUY`). A buyer's features are the
    sessions that started before that: what she did once she had bought (and the purchase
    visit itself, whose checkout steps give the answer away) is not there for a looker, who
    is scored on what came so far. Buyers whose first visit is the one they bought in have
    no such session and are left out of training — the pre-purchase part of that visit
    always holds the cart and checkout steps, which lookers rarely reach, and would teach
    the model that, not what earlier browsing looks like — and are not lookers either.
    Lookers without a session are not here.
    """
    df = store.df(
        f"WITH {FIRST_BUY} "
        "SELECT visitor_id, any_value(linked) AS customer_id, "
        "CAST(any_value(first_purchase) IS NOT NULL AS INTEGER) AS bought, "
        "arg_max(session_id, started_at) AS session_id, count(*) AS sessions, "
        "count(DISTINCT CAST(started_at AS DATE)) AS active_days, "
        "sum(page_views) AS page_views, sum(product_views) AS product_views, "
        "sum(searches) AS searches, sum(add_to_carts) AS add_to_carts, "
        "sum(checkouts) AS checkouts, sum(duration_s) AS duration_s, "
        "avg(n_events) AS mean_events, "
        "date_diff('day', min(started_at), max(started_at)) AS days_since_first, "
        "arg_max(device, started_at) AS device, arg_min(utm_source, started_at) AS utm_source, "
        "arg_min(utm_medium, started_at) AS utm_medium, "
        "arg_min(landing_page, started_at) AS landing "
        "FROM s JOIN first_buy USING (visitor_id) WHERE coalesce(purchases, 0) = 0 "
        "AND (first_purchase IS NULL OR started_at < first_purchase) "
        "GROUP BY visitor_id ORDER BY visitor_id"
    )
    df["landing"] = df["landing"].fillna("").astype(str).str.strip("/").str.split("/").str[0]
    for col in ("device", "utm_source", "utm_medium"):
        df[col] = df[col].fillna("(none)").astype(str)
    return _split(df, EVENT_FEATURES, df["bought"].to_numpy())


def session_frame(*, store: Store, origin: str) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Features, ids and outcomes of imported session aggregates (e.g. UCI Online Shoppers)."""
    df = store.df(
        "SELECT * FROM sessions WHERE origin = ? AND revenue IS NOT NULL "
        "ORDER BY started_at, session_id",
        [origin],
    )
    for col in ("month", "visitor_type", "weekend"):
        df[col] = df[col].astype(str)
    return _split(df, IMPORT_FEATURES, df["revenue"].astype(bool).to_numpy())


def _split(
    df: pd.DataFrame, columns: list[str], y: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    features = df[columns].copy()
    num = [c for c in columns if c not in _CATEGORICAL]
    features[num] = features[num].apply(pd.to_numeric, errors="coerce").astype(float)
    ids = df[["visitor_id", "customer_id", "session_id"]].astype(object)
    return features, ids.where(ids.notna(), None), y.astype(int)


def enough_to_learn(rows: int, buyers: int) -> bool:
    """Whether ``rows`` visitors or sessions of one origin, ``buyers`` of whom bought, are
    enough to train on (:data:`MIN_SESSIONS`, :data:`MIN_PURCHASES` buyers and non-buyers);
    ``readiness`` asks the same."""
    never = rows - buyers
    return rows >= MIN_SESSIONS and buyers >= MIN_PURCHASES and never >= MIN_PURCHASES


def _score_origin(store: Store, origin: str) -> pd.DataFrame:
    if origin == "events":
        features, ids, y = visitor_frame(store=store)
    else:
        features, ids, y = session_frame(store=store, origin=origin)
    if not enough_to_learn(len(y), int(y.sum())):
        raise InsufficientDataError(
            f"purchase intent needs {MIN_SESSIONS} visitors or sessions with {MIN_PURCHASES} "
            f"buyers and {MIN_PURCHASES} non-buyers (origin {origin}: {len(y)} rows, "
            f"{int(y.sum())} buyers)"
        )
    out = ids[y == 0].copy()
    out["intent"] = np.nan
    out["top_drivers"] = None
    folds = list(StratifiedKFold(SCORING_FOLDS, shuffle=True, random_state=0).split(features, y))
    # one calibration for the whole ranking (a fold of a row fewer must not switch method)
    method = auto_calibration(min(len(train) for train, _ in folds), PurchaseIntent().cv)
    for train, test in folds:
        model = PurchaseIntent(calibration=method).fit(features.iloc[train], y[train])
        rows = features.index[test][y[test] == 0]
        out.loc[rows, "intent"] = model.predict_proba(features.loc[rows])
        out.loc[rows, "top_drivers"] = pd.Series(model.top_drivers(features.loc[rows]), index=rows)
    return out


def visitor_intent(*, store: Store, save: bool = False) -> pd.DataFrame:
    """Calibrated P(purchase) for every looker (never bought), with what drives each score.

    Columns ``visitor_id, customer_id, session_id, intent, top_drivers`` (a list of
    ``"feature +0.12"`` strings), highest intent first. Session-level for imported session
    files without visitor ids. ``save=True`` replaces the stored run (table
    ``visitor_intent``).
    """
    mark = store.erasure_mark() if save else 0  # a person erased from here on is refused
    # stamped when its reading starts: an import committed while it scores is newer than the
    # run, which then stays stale (stamped at the save, that import looked older and its
    # visitors were missing from a run taken for current)
    started = utc_now()
    origins = store.df("SELECT DISTINCT origin FROM sessions ORDER BY origin")["origin"].tolist()
    if not origins:
        raise InsufficientDataError("no sessions: import events or a sessions file first")
    frames, errors = [], []
    for origin in origins:
        try:
            frames.append(_score_origin(store, origin))
        except InsufficientDataError as exc:
            errors.append(str(exc))
    if not frames:
        raise InsufficientDataError("; ".join(errors))
    out = pd.concat(frames, ignore_index=True)[COLUMNS]
    out = out.sort_values("intent", ascending=False, ignore_index=True)
    if save:
        rows = out.assign(top_drivers=out["top_drivers"].map("; ".join), computed_at=started)
        with store.transaction() as con:
            check_no_erasure_since(con, mark)
            con.execute("DELETE FROM visitor_intent")
            con.register("_sl_vi", rows)
            con.execute(
                "INSERT INTO visitor_intent SELECT visitor_id, customer_id, session_id, intent, "
                "top_drivers, computed_at FROM _sl_vi"
            )
            con.unregister("_sl_vi")
    return out


#: the imports whose rows an intent run scores: one imported after the run makes it stale
SCORED_KINDS = ("events", "sessions", "orders")


def is_current(store: Store) -> bool:
    """Whether an intent run is stored and no events, sessions or orders were imported after
    it: the run scores the visits the store held when it was made, and a day's new visitors
    were missing from it (and its buyers still counted as lookers) until someone ran it
    again."""
    kinds = ", ".join(f"'{k}'" for k in SCORED_KINDS)
    return bool(
        store.scalar(
            "SELECT max(computed_at) IS NOT NULL AND NOT EXISTS (SELECT 1 FROM imports i "
            f"WHERE i.kind IN ({kinds}) AND i.imported_at > max(v.computed_at)) "
            "FROM visitor_intent v"
        )
    )


def latest_intent(*, store: Store) -> pd.DataFrame:
    """The stored run (drivers back as lists); computes and stores one when none is stored or
    the stored one is older than the last import of what it scores (:func:`is_current`)."""
    if not is_current(store):  # (a read-only store shows it without storing it)
        return visitor_intent(store=store, save=not store.read_only)
    stored = store.df("SELECT * FROM visitor_intent ORDER BY intent DESC")
    stored["top_drivers"] = stored["top_drivers"].map(lambda s: s.split("; ") if s else [])
    return stored[COLUMNS]


def demo_step(*, store: Store) -> None:
    """Score the demo shop's lookers and store the run (skipped without enough sessions)."""
    try:
        visitor_intent(store=store, save=True)
    except InsufficientDataError:
        return


def readable_driver(driver: str) -> dict[str, object]:
    """A stored driver (``"mean_events -0.08"``) as a reader sees it: the feature's label and
    the change in the chance of buying, in percentage points (``actions per visit -8 pt``).

    A negative change means this visitor's value of the feature makes buying less likely than
    the typical value would; an unknown feature keeps its column name.
    """
    feature, _, value = driver.rpartition(" ")
    change = float(value)
    points = 100 * change
    shown = f"{points:+.0f}" if abs(points) >= 1 else f"{points:+.1f}"
    label = FEATURE_LABELS.get(feature, feature)
    return {"feature": feature, "label": label, "change": change, "text": f"{label} {shown} pt"}
