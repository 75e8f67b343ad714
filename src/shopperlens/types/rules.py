"""Rules: the features frame → five scores in 0..1, a primary type and plain-words evidence.

Pure pandas/numpy over the frame :func:`shopperlens.features.behaviour_features` returns, so
the rules are tested on small hand-built shops and run the same whatever engine computed the
features. The rules follow the mission's definitions (``README``: "Customer types"):

* **looker** — has not bought (yet); typed once there is enough browsing to tell
  (``minimum_data``), otherwise *untyped*, and the evidence says so. A visitor whose events
  show a purchase but who has no order (guest checkout, orders not imported) bought: it is
  *untyped*, and the evidence asks for the orders;
* **new** — first purchase ever within ``windows.new_days`` (score 1), or an existing
  customer's first purchase in a category never bought before (``new_category_score``);
* **need-based, loyal, impulse** — weighted ramps over their signals (``defaults.yaml``).

Ties go to :data:`~shopperlens.types.config.TIE_ORDER`; a buyer whose best score is below
``min_score`` stays untyped rather than guessed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopperlens.errors import ShopperlensError
from shopperlens.memory import on_system_pool
from shopperlens.types.config import TIE_ORDER, TYPES, UNTYPED, Signal, TypesConfig
from shopperlens.types.evidence import evidence, strongest

#: the columns every classification frame starts with (the service contract)
RESULT_COLUMNS: tuple[str, ...] = (
    "customer_id", "visitor_id", "type", *(f"score_{t}" for t in TYPES), "evidence",
)  # fmt: skip


def ramp(values: pd.Series | np.ndarray, lo: float, hi: float) -> np.ndarray:
    """0 at ``lo``, 1 at ``hi``, linear between and clipped; missing values give 0."""
    x = np.asarray(values, dtype="float64")
    r = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return np.where(np.isnan(r), 0.0, r)


def signal_scores(features: pd.DataFrame, signals: tuple[Signal, ...]) -> pd.DataFrame:
    """One column per signal: its ramp value (0..1) for each row."""
    missing = [s.feature for s in signals if s.feature not in features.columns]
    if missing:
        raise ShopperlensError(
            f"types config names unknown features {missing}; known: {sorted(features.columns)}"
        )
    return pd.DataFrame(
        {s.feature: ramp(features[s.feature], s.lo, s.hi) for s in signals}, index=features.index
    )


def weighted(parts: pd.DataFrame, signals: tuple[Signal, ...]) -> np.ndarray:
    if not signals:
        return np.zeros(len(parts))
    w = np.array([s.weight for s in signals])
    return parts[[s.feature for s in signals]].to_numpy() @ w / w.sum()


@on_system_pool
def classify(features: pd.DataFrame, config: TypesConfig) -> pd.DataFrame:
    """Type every subject of ``features``; returns :data:`RESULT_COLUMNS` plus helpers.

    The extra columns (``subject_id``, ``orders``, ``recency_days``) let runs be stored and
    compared (a loyal customer past ``lapsed_days`` shows as lapsed in movements). Arrow
    allocates the evidence text from the glibc pool meanwhile (:mod:`shopperlens.memory`).
    """
    # no copy of a million-row frame when its index is already 0..n-1
    f = (
        features
        if features.index.equals(pd.RangeIndex(len(features)))
        else features.reset_index(drop=True)
    )
    rules = config.rules
    minimum = config.section("minimum_data")
    windows = config.section("windows")
    orders = f["orders"].fillna(0).to_numpy()

    scores: dict[str, np.ndarray] = {}
    parts: dict[str, pd.DataFrame] = {}
    for name in TYPES:
        rule = rules[name]
        if name == "new":
            continue
        parts[name] = signal_scores(f, rule.signals)
        scores[name] = weighted(parts[name], rule.signals)
    new_days = float(windows["new_days"])
    first_recent = f["tenure_days"].to_numpy(dtype="float64") <= new_days
    cat_recent = f["days_since_new_category"].to_numpy(dtype="float64") <= new_days
    scores["new"] = np.where(
        first_recent, 1.0, np.where(cat_recent, float(windows["new_category_score"]), 0.0)
    )
    for name in TYPES:
        rule = rules[name]
        gate = np.ones(len(f), dtype=bool)
        if rule.min_orders is not None:
            gate &= orders >= rule.min_orders
        if rule.max_orders is not None:
            gate &= orders <= rule.max_orders
        if rule.min_order_days is not None:
            gate &= f["order_days"].fillna(0).to_numpy() >= rule.min_order_days
        scores[name] = np.round(np.where(gate, scores[name], 0.0), 4)

    # primary type: the best gated score, ties broken by TIE_ORDER
    order = [t for t in TIE_ORDER if t in scores]
    stack = np.column_stack([scores[t] for t in order])
    best = stack.argmax(axis=1)
    primary = np.array(order, dtype=object)[best]
    best_score = stack.max(axis=1)

    buyer = orders > 0
    enough = (
        (f["visits"].fillna(0).to_numpy() >= minimum["looker_visits"])
        | (f["pages"].fillna(0).to_numpy() >= minimum["looker_pages"])
        | (f["cart_visits"].fillna(0).to_numpy() > 0)
    )
    # purchase events but no order (guest checkout, a shop without its orders imported): it
    # bought, so it is no looker, and without orders no buyer's type can be told
    unrecorded = ~buyer & (f["purchase_visits"].fillna(0).to_numpy() > 0)
    scores["looker"] = np.where(unrecorded, 0.0, scores["looker"])
    primary = np.where(~buyer, np.where(enough & ~unrecorded, "looker", UNTYPED), primary)
    primary = np.where(buyer & (best_score < float(minimum["min_score"])), UNTYPED, primary)

    out = pd.DataFrame(
        {
            "customer_id": f["customer_id"],
            "visitor_id": f["visitor_id"],
            "type": primary.astype(str),
            **{f"score_{t}": scores[t] for t in TYPES},
        }
    )
    types = out["type"].to_numpy(dtype=object)
    # each type's strongest signals, for the rows of that type only (the evidence reads no more)
    tops = {
        name: strongest(
            parts[name].iloc[np.flatnonzero(types == name)],
            {s.feature: s.weight for s in rules[name].signals},
        )
        for name in parts
    }
    out["evidence"] = evidence(f, types, tops, config)
    out["subject_id"] = f["subject_id"]
    out["orders"] = orders.astype("int64")
    out["recency_days"] = f["recency_days"].astype("float64")
    return out
