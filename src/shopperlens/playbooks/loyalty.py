"""What was true of the first order of the customers who ordered again.

The loyal playbook's first action asks to "learn what made them loyal". This module compares
the buyers who ordered again with the one-time buyers on what was already true at their first
order on record: the channel of their first visit (its medium — ``email``, ``paid_social``,
``organic`` … — or its source when it names none: ``(direct)``, a referring site; source /
medium pairs split paid social by platform into groups too small to compare), the category of
its first line, whether it used a discount code, its value, whether a support ticket or a
return followed it, and the customer's country. Each of these is a *factor*; its values
(``email``, ``with a discount code`` …) are its *groups*.

Honesty rules, each a named constant:

- **Equal time to come back.** "Ordered again" means a purchase on a later day within
  ``window_days`` of the first order (:data:`WINDOW_DAYS`, the types' ``lapsed_days`` in the
  service), and only customers whose first order is at least that long before the newest order
  are compared: a customer who first bought last week has had no chance yet, and counting them
  as one-time buyers made any recent source look worse.
- **Enough people.** A group is compared only from :data:`~shopperlens.playbooks.checkout.
  MIN_SAMPLE` customers on; a factor needs two such groups.
- **Not chance.** Per factor the group that ordered again most is set against the one that
  ordered again least with Fisher's exact test, and the p-value is multiplied by the number of
  pairs of groups compared over all factors (Bonferroni): picking the widest gap of many is
  itself a way to find one. A factor stands out when that corrected p-value is below
  :data:`ALPHA` and the rates differ by at least :data:`MIN_DIFFERENCE`.
- **Not cause.** The texts say who "ordered again more often", never that a source or a code
  made anyone loyal: a newsletter brings back customers who were loyal already.

A customer whose group is unknown for a factor (no visit on record before their first order,
a first order in another currency, no country) is left out of that factor only.

References
----------
Fisher, R. A. (1922). On the interpretation of χ² from contingency tables. *Journal of the
Royal Statistical Society* 85(1), 87–94.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import fisher_exact

from shopperlens import markdown as md
from shopperlens.labels import half_up, percent
from shopperlens.playbooks.checkout import MIN_SAMPLE
from shopperlens.playbooks.visits import until_first_order

__all__ = [
    "ALPHA",
    "FACTORS",
    "MIN_DIFFERENCE",
    "TICKET_DAYS",
    "WINDOW_DAYS",
    "RepeatFactors",
    "compare_factors",
    "evidence_lines",
    "factor_text",
    "first_orders",
    "repeat_factors",
]

#: days after the first order within which a later order counts as ordering again (the types'
#: ``lapsed_days`` default: a loyal customer silent this long shows as lapsed)
WINDOW_DAYS = 180
#: days after the first order within which a support ticket counts as the first order's
TICKET_DAYS = 14
#: the family-wise chance of listing a difference that is not there
ALPHA = 0.05
#: the smallest gap between two repeat rates worth listing: in a large shop 31 % against 29 %
#: passes any test and tells the owner nothing
MIN_DIFFERENCE = 0.05

#: the factors, in the order they are tried, and what each is called in a sentence
FACTORS: dict[str, str] = {
    "channel": "first visit's channel",
    "category": "first order's category",
    "discount": "discount code on the first order",
    "value": "first order's value",
    "ticket": "support ticket after the first order",
    "returned": "return from the first order",
    "country": "country",
}
#: the two-valued factors' groups (yes, no)
_YES_NO: dict[str, tuple[str, str]] = {
    "discount": ("with a discount code", "without a discount code"),
    "ticket": ("a support ticket", "no support ticket"),
    "returned": ("a return", "no return"),
}


@dataclass(frozen=True)
class RepeatFactors:
    """The comparison :func:`compare_factors` made.

    ``factors`` has one row per factor with two groups to compare: ``factor``, the ``high``
    group (``high_customers``, ``high_rate``) and the ``low`` one, ``difference``, ``p_value``
    (Bonferroni-corrected) and ``stands_out``; those that stand out first, widest gap first.
    ``groups`` holds every group compared (``factor, group, customers, repeaters, rate``).
    ``customers`` were compared (their first order at least ``window_days`` before the newest
    order), ``repeaters`` of them ordered again; ``too_recent`` were left out for a first order
    after that. ``comparisons`` is the number of pairs the p-values are corrected for, and
    ``tried`` the factors the data held (one whose frame was not given is not tried).
    """

    factors: pd.DataFrame
    groups: pd.DataFrame
    customers: int = 0
    repeaters: int = 0
    too_recent: int = 0
    comparisons: int = 0
    window_days: int = WINDOW_DAYS
    min_sample: int = MIN_SAMPLE
    alpha: float = ALPHA
    tried: tuple[str, ...] = field(default_factory=tuple)

    @property
    def standing_out(self) -> pd.DataFrame:
        """The factors whose repeat rates differ beyond chance (see the module docstring)."""
        f = self.factors
        return f[f.stands_out.astype(bool)] if len(f) else f


# -- per customer ---------------------------------------------------------------------------
def first_orders(
    orders: pd.DataFrame,
    *,
    lines: pd.DataFrame | None = None,
    sessions: pd.DataFrame | None = None,
    tickets: pd.DataFrame | None = None,
    returns: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    window_days: int = WINDOW_DAYS,
    currency: str = "EUR",
) -> pd.DataFrame:
    """One row per buyer: whether they ordered again and each factor's group at their first
    order (NaN: unknown).

    ``orders`` are purchases (``order_id, customer_id, ordered_at, value, discount_code``;
    ``value`` NaN when not in the shop's currency). The optional frames add a factor each, and
    None leaves it out (not imported is not "none"): ``lines`` (``order_id, line_no,
    category``), ``sessions`` (``customer_id, started_at, source, medium``), ``tickets``
    (``customer_id, created_at``), ``returns`` (``order_id``), ``customers`` (``customer_id,
    country``).

    ``repeat`` is True for a purchase on a later day within ``window_days`` of the first, and
    NA for a buyer whose first order is less than ``window_days`` before the newest order.
    """
    o = orders.dropna(subset=["customer_id"]).assign(
        ordered_at=lambda d: pd.to_datetime(d.ordered_at)
    )
    if o.empty:
        return pd.DataFrame(columns=["customer_id", "first_order_at", "repeat", *FACTORS])
    first = o.sort_values(["ordered_at", "order_id"]).drop_duplicates("customer_id")
    first = first.set_index("customer_id")
    out = pd.DataFrame(index=first.index)
    out["first_order_id"] = first.order_id
    out["first_order_at"] = first.ordered_at
    out["repeat"] = _repeat(o, first.ordered_at, window_days)
    out["channel"] = _first_channel(sessions, first.ordered_at) if sessions is not None else np.nan
    out["category"] = _first_category(lines, first.order_id) if lines is not None else np.nan
    out["discount"] = _discounted(first) if "discount_code" in first else np.nan
    value = first.value if "value" in first else pd.Series(np.nan, index=first.index)
    out["value"] = _value_bands(value, out.repeat.notna(), currency)
    out["ticket"] = _ticketed(tickets, first.ordered_at) if tickets is not None else np.nan
    out["returned"] = _returned(returns, first.order_id) if returns is not None else np.nan
    out["country"] = _country(customers, out.index) if customers is not None else np.nan
    return out.reset_index()


def _repeat(o: pd.DataFrame, first_at: pd.Series, window_days: int) -> pd.Series:
    """A later day's purchase within ``window_days`` of the first order; NA for a first order
    too recent to have had that long (an order the same day is the same shopping trip)."""
    window = pd.Timedelta(days=window_days)
    start = o.customer_id.map(first_at)
    later = (o.ordered_at.dt.normalize() > start.dt.normalize()) & (o.ordered_at <= start + window)
    again = later.groupby(o.customer_id).any().reindex(first_at.index, fill_value=False)
    settled = first_at <= o.ordered_at.max() - window
    return again.astype("boolean").where(settled, pd.NA)


def _first_channel(sessions: pd.DataFrame, first_at: pd.Series) -> pd.Series:
    """The channel of each buyer's first visit on record up to the day of the first order (the
    first session, as the acquisition table and the CLV source effects read it): its medium,
    or its source when it names none (``(direct)``); unknown without such a visit."""
    s = until_first_order(sessions, first_at)
    s = s.assign(started_at=pd.to_datetime(s.started_at))
    s = s.sort_values(["started_at", "session_id"] if "session_id" in s else ["started_at"])
    s = s.drop_duplicates("customer_id").set_index("customer_id")
    medium = s.medium.astype("string").str.strip().replace({"(none)": pd.NA, "": pd.NA})
    label = medium.fillna(s.source.astype("string").fillna("(direct)"))
    return label.astype(object).reindex(first_at.index)


def _first_category(lines: pd.DataFrame, first_order: pd.Series) -> pd.Series:
    """The category of the first line of each buyer's first order (the CLV category effects'
    notion); unknown when that line names none."""
    first_line = lines.sort_values(["order_id", "line_no"]).drop_duplicates("order_id")
    category = first_line.set_index("order_id").category
    category = category.where(category.astype("string").str.strip() != "")
    return first_order.map(category)


def _discounted(first: pd.DataFrame) -> pd.Series:
    """Whether the first order used a discount code."""
    code = first.discount_code.astype("string").str.strip().fillna("")
    return pd.Series(np.where(code != "", *_YES_NO["discount"]), index=first.index)


def _value_bands(value: pd.Series, compared: pd.Series, currency: str) -> pd.Series:
    """The first order's value in three bands of about equal size among the buyers compared
    (the edges rounded to whole amounts, so each label is exact); unknown for a value not in
    the shop's currency."""
    v = pd.to_numeric(value, errors="coerce")
    known = v[compared & v.notna()]
    if known.nunique() < 2:
        return pd.Series(np.nan, index=v.index, dtype=object)
    edges = sorted({int(half_up(float(e))) for e in known.quantile([1 / 3, 2 / 3])})
    edges = [e for e in edges if known.min() < e <= known.max()]
    if not edges:
        return pd.Series(np.nan, index=v.index, dtype=object)
    money = [f"{currency} {e:,}" for e in edges]
    labels = [f"under {money[0]}"]
    labels += [f"{a}–{b.split(' ', 1)[1]}" for a, b in zip(money, money[1:], strict=False)]
    labels.append(f"{money[-1]} or more")
    bands = pd.cut(v, [-np.inf, *edges, np.inf], labels=labels, right=False)
    return bands.astype(object).where(v.notna())


def _ticketed(tickets: pd.DataFrame, first_at: pd.Series) -> pd.Series:
    """Whether a support ticket came within :data:`TICKET_DAYS` of the first order."""
    t = tickets.dropna(subset=["customer_id", "created_at"])
    at = pd.to_datetime(t.created_at)
    start = t.customer_id.map(first_at)
    near = (at >= start) & (at <= start + pd.Timedelta(days=TICKET_DAYS))
    who = set(t.customer_id[near])
    return pd.Series(np.where(first_at.index.isin(who), *_YES_NO["ticket"]), index=first_at.index)


def _returned(returns: pd.DataFrame, first_order: pd.Series) -> pd.Series:
    """Whether something of the first order was returned."""
    back = first_order.isin(set(returns.order_id.dropna()))
    return pd.Series(np.where(back, *_YES_NO["returned"]), index=first_order.index)


def _country(customers: pd.DataFrame, ids: pd.Index) -> pd.Series:
    """The customer's country (unknown when none is recorded)."""
    c = customers.dropna(subset=["customer_id"]).drop_duplicates("customer_id")
    country = c.set_index("customer_id").country.astype("string").str.strip()
    return country.where(country != "").reindex(ids).astype(object)


# -- the comparison -------------------------------------------------------------------------
def compare_factors(
    firsts: pd.DataFrame,
    *,
    window_days: int = WINDOW_DAYS,
    min_sample: int = MIN_SAMPLE,
    alpha: float = ALPHA,
    min_difference: float = MIN_DIFFERENCE,
) -> RepeatFactors:
    """Which first-order factors go with ordering again (see the module docstring).

    ``firsts`` is :func:`first_orders`' frame; a factor column that is all NaN was not
    imported and is not tried."""
    settled = firsts[firsts.repeat.notna()]
    tried = tuple(f for f in FACTORS if f in settled and settled[f].notna().any())
    found = [g for g in (_groups(settled, f, min_sample) for f in tried) if len(g)]
    groups = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=_GROUPS)
    compared = [g for g in found if len(g) >= 2]
    pairs = sum(len(g) * (len(g) - 1) // 2 for g in compared)
    rows = [_extremes(g, pairs, alpha, min_difference) for g in compared]
    factors = pd.DataFrame(rows, columns=_FACTOR_COLUMNS)
    if len(factors):
        factors = factors.sort_values(
            ["stands_out", "difference"], ascending=[False, False], kind="stable"
        ).reset_index(drop=True)
    return RepeatFactors(
        factors=factors,
        groups=groups,
        customers=len(settled),
        repeaters=int(settled.repeat.astype(bool).sum()),
        too_recent=int(firsts.repeat.isna().sum()),
        comparisons=pairs,
        window_days=window_days,
        min_sample=min_sample,
        alpha=alpha,
        tried=tried,
    )


_GROUPS = ["factor", "group", "customers", "repeaters", "rate"]
_FACTOR_COLUMNS = [
    "factor", "high", "high_customers", "high_repeaters", "high_rate", "low", "low_customers",
    "low_repeaters", "low_rate", "difference", "p_value", "stands_out",
]  # fmt: skip


def _groups(settled: pd.DataFrame, factor: str, min_sample: int) -> pd.DataFrame:
    """The groups of ``factor`` with at least ``min_sample`` customers, each with how many of
    them ordered again."""
    known = settled[settled[factor].notna()]
    g = known.groupby(known[factor].astype(str)).repeat
    out = pd.DataFrame({"customers": g.size(), "repeaters": g.sum().astype(int)})
    out = out[out.customers >= min_sample].rename_axis("group").reset_index()
    out["rate"] = out.repeaters / out.customers
    out.insert(0, "factor", factor)
    return out.sort_values(["rate", "customers"], ascending=[False, False]).reset_index(drop=True)


def _extremes(
    groups: pd.DataFrame, pairs: int, alpha: float, min_difference: float
) -> dict[str, Any]:
    """The group that ordered again most against the one that did least, Fisher's exact
    p-value Bonferroni-corrected for ``pairs`` comparisons, and whether it stands out."""
    high, low = groups.iloc[0], groups.iloc[-1]
    table = [
        [high.repeaters, high.customers - high.repeaters],
        [low.repeaters, low.customers - low.repeaters],
    ]
    p = min(1.0, float(fisher_exact(table).pvalue) * pairs)
    difference = float(high.rate - low.rate)
    return {
        "factor": high.factor,
        "high": high.group,
        "high_customers": int(high.customers),
        "high_repeaters": int(high.repeaters),
        "high_rate": float(high.rate),
        "low": low.group,
        "low_customers": int(low.customers),
        "low_repeaters": int(low.repeaters),
        "low_rate": float(low.rate),
        "difference": difference,
        "p_value": p,
        "stands_out": bool(p < alpha and difference >= min_difference),
    }


def repeat_factors(
    orders: pd.DataFrame,
    *,
    window_days: int = WINDOW_DAYS,
    currency: str = "EUR",
    **frames: pd.DataFrame | None,
) -> RepeatFactors:
    """:func:`first_orders` then :func:`compare_factors`: the frames are
    :func:`first_orders`' (``lines``, ``sessions``, ``tickets``, ``returns``, ``customers``)."""
    firsts = first_orders(orders, window_days=window_days, currency=currency, **frames)
    return compare_factors(firsts, window_days=window_days)


# -- sentences ------------------------------------------------------------------------------
def _who(factor: str, group: str) -> str:
    """The customers of ``group``, after "customers": "whose first visit came from …"."""
    g = md.datum(group)
    if factor == "channel":
        return (
            "whose first visit was direct"
            if g == "(direct)"
            else f"whose first visit came from {g}"
        )
    if factor == "category":
        return f"whose first order was in {g}"
    if factor == "value":
        return f"whose first order was worth {g}"
    if factor == "discount":
        return f"whose first order had {'no' if g.startswith('without') else 'a'} discount code"
    if factor == "ticket":
        return f"who opened {g} within {TICKET_DAYS} days of their first order"
    if factor == "returned":
        return f"who made {g} from their first order"
    return f"from {g}"


def _other(factor: str, group: str) -> str:
    """The other group, after "of the N": "from …", "in …", "with one"."""
    g = md.datum(group)
    if factor == "channel" and g == "(direct)":
        return "whose first visit was direct"
    if factor in ("channel", "country"):
        return f"from {g}"
    if factor == "category":
        return f"in {g}"
    if factor == "value":
        return f"worth {g}"
    if factor == "discount":
        return "without one" if g.startswith("without") else "with one"
    return "who did not" if g.startswith("no ") else "who did"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def factor_text(row: pd.Series | dict[str, Any], window_days: int = WINDOW_DAYS) -> str:
    """ "customers whose first visit came from email ordered again more often: 34% of 120
    within 180 days, against 12% of the 85 from paid_social (p < 0.001)"."""
    r = dict(row)
    return (
        f"customers {_who(r['factor'], r['high'])} ordered again more often: "
        f"{percent(r['high_rate'])}% of {r['high_customers']:,} within {window_days} days, against "
        f"{percent(r['low_rate'])}% of the {r['low_customers']:,} {_other(r['factor'], r['low'])} "
        f"({_p(r['p_value'])})"
    )


def evidence_lines(result: RepeatFactors | None, *, top: int = 3) -> list[str]:
    """What the loyal playbook says about what made customers loyal: the ``top`` factors that
    stand out and how they were found, or why none is named."""
    if result is None:
        return []
    w, n = result.window_days, result.customers
    if not n:
        return [
            f"what made them loyal cannot be told yet: no customer first ordered at least {w} "
            f"days before the newest order, and ordering again is counted within {w} days of "
            "the first (later buyers have not had that time yet)"
        ]
    later = (
        f"; the {result.too_recent:,} who first ordered later are left out: they have not had "
        f"{w} days yet"
        if result.too_recent
        else ""
    )
    base = (
        f"the {n:,} customers whose first order on record came at least {w} days before the "
        "newest order "
        f"({_share(result.repeaters, n)} of them ordered again within {w} days{later})"
    )
    if not len(result.factors):
        return [
            f"what made them loyal cannot be told from {base}: no first-order trait splits "
            f"them into two groups of at least {result.min_sample}"
        ]
    out = result.standing_out
    traits = ", ".join(FACTORS[f] for f in result.factors.factor)
    if not len(out):
        return [
            f"nothing stands out in what made them loyal: among {base}, no first-order trait "
            f"({traits}) separates those who ordered again from the one-time buyers by "
            f"{MIN_DIFFERENCE * 100:.0f} points or more between groups of at least "
            f"{result.min_sample} that chance does not explain (Fisher's exact test, corrected "
            f"for {result.comparisons:,} comparisons)"
        ]
    lines = [factor_text(r, w) for r in out.head(top).to_dict("records")]
    lines.append(
        f"patterns, not proof of cause, among {base}; a gap is listed when groups of at least "
        f"{result.min_sample} differ by {MIN_DIFFERENCE * 100:.0f} points or more and Fisher's "
        f"exact test, corrected for the {result.comparisons:,} comparisons over "
        f"{len(result.factors)} first-order traits, leaves under {percent(result.alpha)}% that "
        "chance made it"
    )
    return lines


def _share(k: int, n: int) -> str:
    """ "32 %" from :data:`MIN_SAMPLE` on, else "4 of 9"."""
    return f"{percent(k / n)}%" if n >= MIN_SAMPLE else f"{k:,} of {n:,}"
