"""Report page "Surveys": who answered, what they said, themes in their words, stated vs
adjusted income, interview themes with quotes, and the analytics cross-check."""

from __future__ import annotations

from typing import Any

import pandas as pd

from shopperlens.config import Settings
from shopperlens.errors import ShopperlensError
from shopperlens.labels import percent
from shopperlens.reports.charts import pyplot, svg_markup
from shopperlens.reports.site import Page, register
from shopperlens.service import audience as au_svc
from shopperlens.service import interviews as iv_svc
from shopperlens.service import survey_results as sr_svc
from shopperlens.service.overview import shop_currency
from shopperlens.store import Store
from shopperlens.surveys import IMPORT_COMMAND

#: questions drawn as charts (the rest are tables)
CHARTED = ("values", "channels", "barrier", "motivation", "spending_habit", "age_bracket")
CROSSTABS = ("values", "channels", "barrier", "motivation")


def _charts_svg(dist: pd.DataFrame) -> str | None:
    """Small multiples of answer shares for the key psychographic questions (matplotlib),
    named by every share they draw."""
    qs = [q for q in CHARTED if q in set(dist["question"])]
    if not qs:
        return None
    plt = pyplot()

    cols = 2
    rows = (len(qs) + 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(9, 2.4 * rows), squeeze=False)
    for ax, q in zip(axes.flat, qs, strict=False):
        d = dist[dist["question"] == q].sort_values("share")
        ax.barh(d["value"].str.replace("_", " "), d["share"].fillna(0) * 100, color="#2d6cdf")
        ax.set_title(q.replace("_", " "), fontsize=10, loc="left")
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(labelsize=8)
        ax.set_xlabel("% of respondents", fontsize=8)
    for ax in list(axes.flat)[len(qs) :]:
        ax.axis("off")
    fig.tight_layout()
    return svg_markup(fig, _charts_label(dist, qs))


def _charts_label(dist: pd.DataFrame, questions: list[str]) -> str:
    """What the answer charts show, in words: each question's answers, largest share first,
    as the page's tables round them."""
    parts = []
    for q in questions:
        d = dist[dist["question"] == q].sort_values("share", ascending=False)
        shares = ", ".join(
            f"{str(v).replace('_', ' ')} {_pct_text(x)}"
            for v, x in zip(d["value"], d["share"], strict=True)
        )
        parts.append(f"{q.replace('_', ' ')}: {shares}")
    return "Share of respondents giving each answer. " + "; ".join(parts) + "."


def _pct_text(share: float | None) -> str:
    points = _shown_points(share)
    return "no answer" if points is None else f"{points} %"


def _surveys(store: Store) -> list[str]:
    """Every survey with answers, the most answered first (the page leads with it)."""
    rows = store.df(
        "SELECT survey, count(*) AS n FROM survey_responses GROUP BY 1 ORDER BY n DESC, survey"
    )
    return [str(x) for x in rows["survey"]]


def _shown_points(share: float | None) -> int | None:
    """A share as the whole percentage the page shows it (the ``pct`` filter's own rounding),
    None when missing."""
    if share is None or pd.isna(share):
        return None
    return int(percent(float(share)))


def _with_shown_gaps(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The "Whose voice is this?" rows with ``gap_points``: the gap between the shares as
    shown (whole percentages), so the three columns agree.

    The gap was the unrounded difference rounded on its own: "12 % | 12 % | -1 pt" (11.6 %
    against 12.4 %) and "-0 pt" for a gap of −0.3 points. ``gap`` keeps the exact difference
    for the JSON."""
    out = []
    for row in rows:
        said, base = _shown_points(row.get("respondents")), _shown_points(row.get("base"))
        out.append({**row, "gap_points": None if said is None or base is None else said - base})
    return out


def _section(store: Store, survey: str, factor: float) -> dict[str, Any]:
    """One survey's results as the page shows them: answers (charts and tables), numbers,
    answers by customer type, themes, and its analytics cross-check."""
    res = sr_svc.survey_results(store=store, survey=survey, income_adjustment=factor)
    dist = pd.DataFrame(res.distributions)
    tables, chart_tables = [], []
    for q, grp in dist.groupby("question", sort=False) if not dist.empty else ():
        table = {"question": q, "rows": grp.to_dict(orient="records")}
        (chart_tables if q in CHARTED else tables).append(table)
    crosstabs = []
    for q in CROSSTABS:
        rows = res.crosstabs.get(q)
        if rows:
            cols = [c for c in rows[0] if c not in ("group", "n")]
            crosstabs.append({"question": q, "columns": cols, "rows": rows})
    try:
        findings = [f.model_dump() for f in au_svc.analytics_check(store=store, survey=survey)]
    except ShopperlensError:
        findings = []
    results = res.model_dump()
    results["representativeness"] = _with_shown_gaps(results["representativeness"])
    return {
        "results": results,
        "_charts": _charts_svg(dist) if not dist.empty else None,
        # the charted answers as tables too: their figures, for a reader who cannot see a chart
        "_chart_tables": chart_tables,
        "tables": tables,
        "crosstabs": crosstabs,
        "findings": findings,
        # the survey's financial question (income) is money: shown with the currency
        "money_questions": [res.income["question"]] if res.income else [],
    }


def build(store: Store, settings: Settings | None = None) -> dict[str, Any] | None:
    """The most answered survey in full, then every other survey with answers (a shop's
    second survey, such as a pop-up's "why did you not buy?", was on no page at all)."""
    surveys = _surveys(store)
    if not surveys:
        return None
    factor = (settings or Settings()).income_adjustment
    first, *others = (_section(store, s, factor) for s in surveys)
    return {
        **first,
        "others": list(others),
        "interview_themes": iv_svc.interview_themes(store=store).to_dict(orient="records"),
        "currency": shop_currency(store=store),
    }


def _available(store: Store) -> bool:
    return bool(_surveys(store))


register(
    Page(
        slug="surveys",
        title="Surveys",
        template="surveys.html",
        build=build,
        order=40,
        available=_available,
        needs=f"survey answers ({IMPORT_COMMAND})",
    )
)
