"""What a survey says: distributions, cross-tabs by customer type, free-text themes, stated
versus adjusted income, and whose voice it carries (respondents against the customer base)."""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from shopperlens.errors import ShopperlensError
from shopperlens.labels import money
from shopperlens.personas.synthesis import scrub
from shopperlens.service.clv import PURCHASES
from shopperlens.service.overview import in_shop_currency_sql, shop_currency
from shopperlens.service.surveys import get_survey, responses_for_analysis
from shopperlens.store import Store
from shopperlens.surveys import analysis
from shopperlens.surveys.definition import Question

#: the group of respondents who are not (known) customers
PROSPECT = "not a customer"


class ThemeOut(BaseModel):
    question: str
    theme: str
    top_terms: list[str]
    share: float
    #: share of the theme's answers using at least one term of its name (how many of the
    #: ``share`` said what the name says)
    name_coverage: float
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
    #: further responses of customers who answered more than once, left out (one per person)
    duplicates: int = 0


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


def _unanswered_notes(questions: list[Any], frame: pd.DataFrame) -> list[str]:
    """A note naming the questions nobody answered: their rows show counts of 0 and no
    share, which read like a survey fault unless said (a question added late, or one the
    survey tool's export left out)."""
    silent = [q.id for q in questions if q.id not in frame or not frame[q.id].notna().any()]
    if not silent:
        return []
    return [
        f"nobody answered {', '.join(silent)}: shown with counts of 0 and no share (a question "
        "added after the answers were collected, or a column the import did not have)"
    ]


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
    read = responses_for_analysis(store=store, survey=survey)
    frame, left_out = _in_respondent_order(read.frame), read.left_out
    if frame.empty:
        raise ShopperlensError(f"survey {survey!r} has no responses yet")
    notes: list[str] = _version_notes(definition.version, left_out)
    notes.extend(_duplicate_notes(read.duplicates))
    named = int(frame["customer_id"].notna().sum())
    if named and not store.count("customers"):  # "known customers" of a store that has none
        notes.append(
            f"no customers imported: the {named:,} counted as known customers are the "
            "respondents whose answers carry a customer id, not matched to any customer record"
        )
    notes.extend(_unanswered_notes(definition.questions, frame))
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
        for theme in _text_themes(frame, q.id, n_themes, definition.language)
    ]
    income = None
    asked = income_question(definition.questions)
    if asked:
        income = {
            "question": asked,
            **analysis.income_summary(frame[asked], income_adjustment),
        }
        notes.append(
            f"incomes are shown as stated and adjusted (x{income_adjustment:g}): people "
            "overstate their income even in anonymous surveys"
        )
    voice = representativeness(store=store, frame=frame).to_dict(orient="records")
    return SurveyResults(
        survey=survey,
        title=definition.title,
        version=definition.version,
        respondents=len(frame),
        customers=named,
        channels=read.channels,
        distributions=analysis.distributions(frame, definition).to_dict(orient="records"),
        numbers=analysis.numbers(frame, definition).to_dict(orient="records"),
        crosstabs=crosstabs,
        themes=themes,
        income=income,
        representativeness=voice,
        notes=notes + _order_value_notes(voice),
        other_version_answers=left_out,
        duplicates=read.duplicates,
    )


#: words in a number question's id or text that say it asks for income (``income`` is the
#: question bank's own income question)
INCOME_WORDS = re.compile(r"\b(?:income|incomes|earn|earns|earnings|salary|salaries|wages?)\b")


def income_question(questions: Sequence[Question]) -> str | None:
    """The id of the number question asking for income, or None.

    The income adjustment belongs on an income only: a number question whose id or text names
    it (:data:`INCOME_WORDS`; ``yearly_income``, "What do you earn?"), one in the
    ``financial`` group first. No other number question stands in for it: falling back to the
    first financial one lowered a ``monthly_budget`` as if it were an income.
    """
    numbers = [q for q in questions if q.kind == "number"]
    named = [q for q in numbers if INCOME_WORDS.search(_words(q.id, q.text))]
    named.sort(key=lambda q: q.group != "financial")  # stable: survey order within each
    return named[0].id if named else None


def _words(*parts: str | None) -> str:
    """Id and text as lower-case words (``yearly_income`` -> ``yearly income``)."""
    return " ".join(re.sub(r"[_\W]+", " ", p or "").lower() for p in parts)


def _text_themes(
    frame: pd.DataFrame, qid: str, n_themes: int, language: str | None = None
) -> list[ThemeOut]:
    """Themes of one free-text question. Answers are scrubbed of e-mail addresses and phone
    numbers first (as persona quotes are), so no example or top term identifies anyone."""
    texts = frame[qid].map(lambda t: scrub(t) if isinstance(t, str) else t)
    filled = texts.astype("string").str.strip().fillna("") != ""
    who = frame.loc[filled, "respondent"].astype(str).tolist()
    out = []
    for th in analysis.themes(texts, n_themes=n_themes, language=language):
        fields = {k: v for k, v in th.__dict__.items() if k != "members"}
        out.append(ThemeOut(question=qid, respondents=[who[i] for i in th.members], **fields))
    return out


def _in_respondent_order(frame: pd.DataFrame) -> pd.DataFrame:
    """The answers sorted by respondent id: a theme's respondents and, among answers loading
    alike, its examples are listed in this order, which is then not the order of the import."""
    return frame.sort_values("respondent", kind="stable").reset_index(drop=True)


def _version_notes(version: int, left_out: dict[str, int]) -> list[str]:
    """Say which answers the analysis of the current version leaves out, and why."""
    if not left_out:
        return []
    parts = ", ".join(f"{qid} {n}" for qid, n in left_out.items())
    return [
        f"answers to an older version whose question changed kind, choices or scale are left "
        f"out of version {version}'s results ({parts})"
    ]


def _duplicate_notes(duplicates: int) -> list[str]:
    """Say how many responses were left out as a person's second answer, and which is kept."""
    if not duplicates:
        return []
    many = "response was" if duplicates == 1 else "responses were"
    return [
        f"{duplicates} {many} left out as a customer's second answer (by e-mail link and "
        "pop-up, or imported as well): each person counts once, with the response answering "
        "the most questions (the first of those)"
    ]


def _order_value_notes(rows: list[dict[str, Any]]) -> list[str]:
    """Say why order value is compared in groups named by value rather than in quartiles."""
    groups = sum(r["dimension"] == ORDER_VALUE for r in rows)
    if not groups:
        return []
    if groups == 1:
        return [
            "every buying customer has the same average order value: order value cannot show "
            "whom the survey speaks for"
        ]
    return [
        f"order value is compared in {groups} groups named by their values, not in quartiles: "
        "more than a quarter of the buying customers have the same average order value"
    ]


def representativeness(*, store: Store, frame: pd.DataFrame, min_gap: float = 0.0) -> pd.DataFrame:
    """Respondents who are customers against all buying customers: type, country, order value.

    A big gap means the survey speaks for some customers more than others (e.g. loyal
    customers answer more often), so its figures should be read with that in mind.
    """
    # order value over the orders in the shop's currency only (a GBP amount is no EUR one):
    # a customer with none has no order-value group, but still a country and a type
    currency = shop_currency(store=store)
    base = store.df(
        "SELECT c.customer_id, c.country, avg(t.value) FILTER (WHERE t.mine) AS order_value"
        " FROM customers c JOIN ("
        " SELECT o.order_id, o.customer_id, sum(l.quantity * l.unit_price) AS value,"
        f" {in_shop_currency_sql('o.currency')} AS mine"
        f" FROM {PURCHASES} o JOIN order_lines l USING (order_id) GROUP BY ALL) t"
        " USING (customer_id)"
        " GROUP BY ALL",
        [currency, currency],
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
    groups, dimension = order_value_groups(base["order_value"], currency)
    parts.append(
        analysis.compare_shares(groups[base["customer_id"].isin(ids)], groups, dimension=dimension)
    )
    out = pd.concat([p for p in parts if len(p)], ignore_index=True)
    return out[out["gap"].abs() >= min_gap].reset_index(drop=True)


#: the order-value groups of :func:`order_value_groups` when there are four
QUARTILES = ("low", "mid-low", "mid-high", "high")
#: the representativeness dimension of order value in fewer groups than quartiles
ORDER_VALUE = "order value"


def order_value_groups(values: pd.Series, currency: str) -> tuple[pd.Series, str]:
    """Each customer's order-value group, and the name of the dimension.

    Quartiles by rank, customers with the same value sharing the quartile of their average
    rank: four groups are ``low`` … ``high`` under ``order value quartile``. When one value is
    shared by so many customers (a shop selling at one price) that fewer than four groups
    remain, each is named by the values it holds (``EUR 20``, ``EUR 22–25``) under ``order
    value``, never called a quartile: four labels for fewer groups once crashed the results.
    """
    known = values.dropna().astype(float)
    if known.empty:
        return pd.Series(None, index=values.index, dtype=object), ORDER_VALUE
    quarter = np.ceil(known.rank(method="average", pct=True) * len(QUARTILES)).astype(int)
    if quarter.nunique() == len(QUARTILES):
        names, dimension = {i + 1: q for i, q in enumerate(QUARTILES)}, "order value quartile"
    else:
        spans = known.groupby(quarter).agg(["min", "max"])
        digits = 0 if (known == known.round()).all() else 2  # cents when any amount has them
        names = {g: _span(lo, hi, currency, digits) for g, lo, hi in spans.itertuples()}
        dimension = ORDER_VALUE
    return quarter.map(names).reindex(values.index), dimension


def _span(low: float, high: float, currency: str, digits: int) -> str:
    """``EUR 20`` for one value, ``EUR 22–25`` for a range."""
    if low == high:
        return money(low, currency, digits)
    return f"{money(low, currency, digits)}–{money(high, currency, digits, code=False)}"
