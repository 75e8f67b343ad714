"""What a survey says: distributions, cross-tabs by customer type, free-text themes, stated
versus adjusted income, and whose voice it carries (respondents against the customer base)."""

from __future__ import annotations

import importlib
from typing import Any

import pandas as pd
from pydantic import BaseModel

from shopperlens.errors import ShopperlensError
from shopperlens.personas.synthesis import scrub
from shopperlens.service.clv import PURCHASES
from shopperlens.service.surveys import get_survey, responses_for_analysis
from shopperlens.store import Store
from shopperlens.surveys import analysis

#: the group of respondents who are not (known) customers
PROSPECT = "not a customer"


class ThemeOut(BaseModel):
    question: str
    theme: str
    top_terms: list[str]
    share: float
    examples: list[str]
    #: the respondents whose answer this theme describes best (traceability)
    respondents: list[str] = []


class SurveyResults(BaseModel):
    survey: str
    title: str
    version: int
    respondents: int
    customers: int
    channels: dict[str, int]
    distributions: list[dict[str, Any]]
    numbers: list[dict[str, Any]]
    crosstabs: dict[str, list[dict[str, Any]]]
    themes: list[ThemeOut]
    income: dict[str, Any] | None
    representativeness: list[dict[str, Any]]
    notes: list[str]
    #: per question, answers left out because they answered an older version whose question
    #: has another kind, other choices or another scale (they answered another question)
    other_version_answers: dict[str, int] = {}


def respondent_types(*, store: Store, frame: pd.DataFrame) -> pd.Series:
    """Each respondent's customer type (latest types run), or ``not a customer``."""
    types = optional(store, "types", "latest_types")
    by_customer: dict[str, str] = {}
    if types is not None and "type" in types:
        t = types.dropna(subset=["customer_id"]).drop_duplicates("customer_id")
        by_customer = dict(zip(t["customer_id"], t["type"], strict=True))
    return pd.Series(
        [
            by_customer.get(c, "untyped") if isinstance(c, str) else PROSPECT
            for c in frame["customer_id"]
        ],
        index=frame.index,
        name="type",
    )


def optional(store: Store, module: str, func: str) -> pd.DataFrame | None:
    """Another concern's result, when it is installed and has data for it."""
    try:
        mod = importlib.import_module(f"shopperlens.service.{module}")
        return getattr(mod, func)(store=store)
    except (ImportError, AttributeError, ShopperlensError):
        return None


def survey_results(
    *,
    store: Store,
    survey: str,
    income_adjustment: float = 0.9,
    n_themes: int = 4,
    with_types: bool = True,
) -> SurveyResults:
    """The full analysis of a survey's responses."""
    definition = get_survey(store=store, name=survey)
    frame, left_out = responses_for_analysis(store=store, survey=survey)
    if frame.empty:
        raise ShopperlensError(f"survey {survey!r} has no responses yet")
    notes: list[str] = _version_notes(definition.version, left_out)
    channels = store.df(
        "SELECT channel, count(*) AS n FROM survey_responses WHERE survey = ? GROUP BY 1",
        [survey],
    )
    crosstabs: dict[str, list[dict[str, Any]]] = {}
    if with_types:
        by = respondent_types(store=store, frame=frame)
        if set(by) <= {PROSPECT, "untyped"}:
            notes.append("no customer types yet: cross-tabs group customers vs non-customers")
            by = by.where(by == PROSPECT, "customer")
        for q in definition.questions:
            if q.kind in analysis.CHOICE_KINDS:
                crosstabs[q.id] = analysis.crosstab(frame, by, q.id).to_dict(orient="records")
    themes = [
        theme
        for q in definition.questions
        if q.kind == "text"
        for theme in _text_themes(frame, q.id, n_themes)
    ]
    income = None
    money = [q.id for q in definition.questions if q.kind == "number" and q.group == "financial"]
    if money:
        income = {
            "question": money[0],
            **analysis.income_summary(frame[money[0]], income_adjustment),
        }
        notes.append(
            f"incomes are shown as stated and adjusted (x{income_adjustment:g}): people "
            "overstate their income even in anonymous surveys"
        )
    return SurveyResults(
        survey=survey,
        title=definition.title,
        version=definition.version,
        respondents=len(frame),
        customers=int(frame["customer_id"].notna().sum()),
        channels=dict(zip(channels["channel"], channels["n"].astype(int), strict=True)),
        distributions=analysis.distributions(frame, definition).to_dict(orient="records"),
        numbers=analysis.numbers(frame, definition).to_dict(orient="records"),
        crosstabs=crosstabs,
        themes=themes,
        income=income,
        representativeness=representativeness(store=store, frame=frame).to_dict(orient="records"),
        notes=notes,
        other_version_answers=left_out,
    )


def _text_themes(frame: pd.DataFrame, qid: str, n_themes: int) -> list[ThemeOut]:
    """Themes of one free-text question. Answers are scrubbed of e-mail addresses and phone
    numbers first (as persona quotes are), so no example or top term identifies anyone."""
    texts = frame[qid].map(lambda t: scrub(t) if isinstance(t, str) else t)
    filled = texts.astype("string").str.strip().fillna("") != ""
    who = frame.loc[filled, "respondent"].astype(str).tolist()
    out = []
    for th in analysis.themes(texts, n_themes=n_themes):
        fields = {k: v for k, v in th.__dict__.items() if k != "members"}
        out.append(ThemeOut(question=qid, respondents=[who[i] for i in th.members], **fields))
    return out


def _version_notes(version: int, left_out: dict[str, int]) -> list[str]:
    """Say which answers the analysis of the current version leaves out, and why."""
    if not left_out:
        return []
    parts = ", ".join(f"{qid} {n}" for qid, n in left_out.items())
    return [
        f"answers to an older version whose question changed kind, choices or scale are left "
        f"out of version {version}'s results ({parts})"
    ]


def representativeness(*, store: Store, frame: pd.DataFrame, min_gap: float = 0.0) -> pd.DataFrame:
    """Respondents who are customers against all buying customers: type, country, order value.

    A big gap means the survey speaks for some customers more than others (e.g. loyal
    customers answer more often), so its figures should be read with that in mind.
    """
    base = store.df(
        "SELECT c.customer_id, c.country, avg(t.value) AS order_value FROM customers c JOIN ("
        " SELECT o.order_id, o.customer_id, sum(l.quantity * l.unit_price) AS value"
        f" FROM {PURCHASES} o JOIN order_lines l USING (order_id) GROUP BY ALL) t"
        " USING (customer_id)"
        " GROUP BY ALL"
    )
    ids = set(frame["customer_id"].dropna())
    resp = base[base["customer_id"].isin(ids)]
    if resp.empty or base.empty:
        return pd.DataFrame(columns=["dimension", "value", "respondents", "base", "gap"])
    parts = [analysis.compare_shares(resp["country"], base["country"], dimension="country")]
    types = optional(store, "types", "latest_types")
    if types is not None and "type" in types:
        t = types.dropna(subset=["customer_id"]).drop_duplicates("customer_id")
        t = t[t["customer_id"].isin(base["customer_id"])]
        parts.append(
            analysis.compare_shares(
                t.loc[t["customer_id"].isin(ids), "type"], t["type"], dimension="customer type"
            )
        )
    buckets = pd.qcut(
        base["order_value"], 4, labels=["low", "mid-low", "mid-high", "high"], duplicates="drop"
    )
    parts.append(
        analysis.compare_shares(
            buckets[base["customer_id"].isin(ids)], buckets, dimension="order value quartile"
        )
    )
    out = pd.concat([p for p in parts if len(p)], ignore_index=True)
    return out[out["gap"].abs() >= min_gap].reset_index(drop=True)
