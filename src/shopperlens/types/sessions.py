"""Session-level typing for shops that only have session aggregates (UCI Online Shoppers).

Such a shop has no customer ids, only one row per session with page counts and durations per
page group, Google-Analytics bounce and exit rates, ``PageValues`` and ``SpecialDay`` (closeness
to a holiday such as Valentine's or Mother's Day). Each session gets one of three types:

* **need-based** — bought after few product pages in a short session (knew what it wanted);
* **impulse-like** — bought close to a special day (``sessions.special_day_impulse``): the
  occasion, not a plan, drove the purchase;
* **looker** — browsed at least ``sessions.min_pages`` pages and did not buy;
* *untyped* — a bounce (fewer pages): too little to tell; or a purchase whose need-based and
  impulse scores both stay below ``sessions.min_score`` (bought after a long browse, far from
  a special day): neither type fits, so none is guessed.

Buying means ``Revenue`` is true (``PageValues > 0`` when the file has no revenue column).
Scores are the configured ramps (``defaults.yaml`` → ``sessions``), gated like the customer
rules: lookers never bought, need-based and impulse sessions did.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopperlens.types.config import SESSION_TYPES, UNTYPED, TypesConfig
from shopperlens.types.rules import signal_scores, weighted

COLUMNS = ("session_id", "type", *(f"score_{t}" for t in SESSION_TYPES), "evidence")
_NUMERIC = ("administrative", "informational", "product_related", "product_related_duration",
            "administrative_duration", "informational_duration", "bounce_rate", "exit_rate",
            "page_value", "special_day")  # fmt: skip


def type_sessions(sessions: pd.DataFrame, config: TypesConfig) -> pd.DataFrame:
    """Type each imported session; returns :data:`COLUMNS` (one row per input row)."""
    s = sessions.reset_index(drop=True).copy()
    for c in _NUMERIC:
        s[c] = pd.to_numeric(s[c], errors="coerce").astype("float64").fillna(0.0)
    cfg = config.section("sessions")
    rules = config.session_rules
    pages = (s["administrative"] + s["informational"] + s["product_related"]).to_numpy()
    revenue = s["revenue"].astype("boolean") if "revenue" in s else pd.Series(pd.NA, index=s.index)
    bought = revenue.fillna(pd.Series(s["page_value"] > 0, index=s.index)).to_numpy(dtype=bool)
    near_day = s["special_day"].to_numpy() >= float(cfg["special_day_impulse"])

    scores = {t: weighted(signal_scores(s, rules[t]), rules[t]) for t in SESSION_TYPES}
    scores["looker"] = np.where(bought, 0.0, scores["looker"])
    scores["need_based"] = np.where(bought, scores["need_based"], 0.0)
    scores["impulse"] = np.where(bought & near_day, scores["impulse"], 0.0)

    best = np.maximum(scores["need_based"], scores["impulse"])
    typ = np.where(
        bought,
        np.where(
            best < float(cfg["min_score"]),
            UNTYPED,
            np.where(
                near_day & (scores["impulse"] >= scores["need_based"]), "impulse", "need_based"
            ),
        ),
        np.where(pages >= float(cfg["min_pages"]), "looker", UNTYPED),
    )
    out = pd.DataFrame({"session_id": s["session_id"], "type": typ})
    for t in SESSION_TYPES:
        out[f"score_{t}"] = np.round(scores[t], 4)
    records = s.to_dict("records")
    floor = float(cfg["min_score"])
    out["evidence"] = [
        _evidence(r, t, bool(b), float(sc), floor)
        for r, t, b, sc in zip(records, typ, bought, best, strict=True)
    ]
    return out


def _evidence(r: dict[str, float], typ: str, bought: bool, best: float, floor: float) -> str:
    pp = int(r["product_related"])
    minutes = r["product_related_duration"] / 60.0
    browse = f"{pp} product page{'s' if pp != 1 else ''} in {minutes:.0f} minutes"
    if typ == UNTYPED and bought:
        return (
            f"bought after {browse}; page value {r['page_value']:.1f}: neither a short, direct "
            f"visit nor close to a special day (best score {best:.2f}, below {floor:.2f}: "
            "not guessed)"
        )
    if typ == UNTYPED:
        n = int(r["administrative"] + r["informational"] + r["product_related"])
        return f"left after {n} page{'s' if n != 1 else ''}: too little to tell (not guessed)"
    if typ == "looker":
        return f"{browse}, nothing bought; exit rate {r['exit_rate']:.2f}"
    if typ == "impulse":
        return (
            f"bought close to a special day (SpecialDay {r['special_day']:.1f}) after {browse}; "
            f"page value {r['page_value']:.1f}"
        )
    return f"bought after {browse}; page value {r['page_value']:.1f}"


def summary(typed: pd.DataFrame, sessions: pd.DataFrame) -> pd.DataFrame:
    """Per session type: sessions, share, conversion and median product pages/minutes."""
    s = sessions.reset_index(drop=True)
    t = typed.reset_index(drop=True).assign(
        product_related=pd.to_numeric(s["product_related"], errors="coerce"),
        minutes=pd.to_numeric(s["product_related_duration"], errors="coerce") / 60.0,
        revenue=s["revenue"].astype("boolean").fillna(False).astype(bool)
        if "revenue" in s
        else False,
    )
    g = t.groupby("type")
    out = pd.DataFrame(
        {
            "sessions": g.size(),
            "conversion": g["revenue"].mean(),
            "median_product_pages": g["product_related"].median(),
            "median_minutes": g["minutes"].median(),
        }
    ).reset_index()
    out["share"] = out["sessions"] / max(int(out["sessions"].sum()), 1)
    order = {k: i for i, k in enumerate([*SESSION_TYPES, UNTYPED])}
    return out.sort_values("type", key=lambda c: c.map(order)).reset_index(drop=True)
