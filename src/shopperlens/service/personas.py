"""Personas as a service: build from survey answers, store each run, show, diff, list members.

``build`` reads the answers of one survey (``service.surveys.responses_frame``) or takes a
respondents frame, clusters the respondents who answered at least half of the clustering
questions (:func:`~shopperlens.personas.frame.enough_answers`; the others are counted and left
out) on their answers only (:class:`~shopperlens.models.PersonaClustering`, numbers clipped to
Tukey's far-out fences first: prospects have no behaviour to cluster on), judges whether the
groups are reliable (:mod:`shopperlens.personas.quality`), describes each persona
(:func:`~shopperlens.personas.synthesise`) with the shop's own data for respondents who are
known customers (revenue, categories and products bought, customer type, CLV) and the interview
notes, matches it to the previous run, and stores it (tables of ``006_personas.sql``).
"""

from __future__ import annotations

import json
import re
import warnings
from datetime import datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, computed_field
from sklearn.exceptions import ConvergenceWarning

from shopperlens.config import MIN_GROUP_FLOOR, Settings
from shopperlens.errors import InsufficientDataError, NotFoundError, ShopperlensError
from shopperlens.models.clustering import MixedEncoder, PersonaClustering
from shopperlens.personas import quality
from shopperlens.personas.evolution import Evolution, PersonaRef, compare_runs
from shopperlens.personas.frame import (
    clustering_columns,
    column_roles,
    enough_answers,
    min_answered,
    normalise_answers,
    winsorise,
)
from shopperlens.personas.naming import LEXICON, SMALL_GROUP, from_protected_answer, name_gender
from shopperlens.personas.synthesis import Persona, Quote, overview, synthesise
from shopperlens.service._checks import whole
from shopperlens.service._clock import utc_now
from shopperlens.service.clv import PURCHASES
from shopperlens.service.overview import LINE_CATEGORY, in_shop_currency_sql, shop_currency
from shopperlens.service.surveys import DEMO_SURVEY, answered_survey
from shopperlens.store import Store
from shopperlens.store.connection import check_no_erasure_since
from shopperlens.surveys import IMPORT_COMMAND
from shopperlens.surveys import interviews as notes_mod

#: run after the surveys (60: they import the answers), types (20) and CLV (30) steps
DEMO_ORDER = 70
#: the most personas a build may make (``max_personas``, and so a forced ``k``). Personas are
#: a handful of memorable profiles (3–4 preferred, 2–6 tried by default); a dozen is already
#: more than a team can keep in mind, and each extra k costs a k-means fit and its bootstrap.
MAX_PERSONAS_LIMIT = 12
#: the adjective of a persona too small to describe: a name that never passes to a described one
SMALL_GROUP_WORD = LEXICON[(SMALL_GROUP.question, SMALL_GROUP.answer)]
#: the key of the scores JSON (``persona_runs.scores``) holding the run's figures that have no
#: column of their own: who was left out, and the shuffled answers' silhouette
RUN_FIGURES = "run"
#: consent purposes whose refusal keeps a person's words off the persona cards: a quote on a
#: card is a testimonial in all but name
QUOTE_PURPOSES = ("case_study", "testimonial")


class PersonaRun(BaseModel):
    """One build: its settings, quality figures, personas and the change since the last run.

    ``n_respondents`` counts the respondents clustered; ``n_left_out`` those left out for
    answering fewer than ``min_answered`` of the ``n_questions`` clustering questions.
    ``provisional`` (with ``reliability_note`` saying why) marks personas that are not
    reliable groups (:mod:`shopperlens.personas.quality`).
    """

    run_id: int | None
    created_at: datetime = Field(description="when the run was built, in UTC")
    survey: str | None
    source: Literal["survey", "frame"]
    n_respondents: int
    n_personas: int
    k_requested: str
    seed: int
    silhouette: float | None
    stability_ari: float | None
    scores: dict[int, float]
    min_group_size: int
    income_adjustment: float
    personas: list[Persona]
    evolution: Evolution | None = None
    n_left_out: int = 0
    n_questions: int | None = None
    min_answered: int | None = None
    shuffled_silhouette: float | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def provisional(self) -> bool:
        """Whether the personas are not reliable groups (shown, but marked as such)."""
        return self.reliability_note is not None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def reliability_note(self) -> str | None:
        """One line saying why the personas are provisional; None when they are reliable."""
        return quality.reliability_note(
            self.stability_ari, self.silhouette, self.shuffled_silhouette
        )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def near_duplicates(self) -> list[tuple[int, int]]:
        """Pairs of persona ids that stand out on almost the same answers: probably one group
        cut in two (:func:`~shopperlens.personas.quality.near_duplicates`)."""
        return quality.near_duplicates(self.personas)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def near_duplicates_note(self) -> str | None:
        """One line naming the near-duplicate personas and saying to build fewer; None when
        no two are alike."""
        return quality.near_duplicates_note(self.personas)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def left_out_note(self) -> str | None:
        """One line saying how many respondents were left out and why; None when none were."""
        if not self.n_left_out:
            return None
        people = "respondent was" if self.n_left_out == 1 else "respondents were"
        return (
            f"{self.n_left_out:,} {people} left out: they answered fewer than "
            f"{self.min_answered} of the {self.n_questions} questions personas are built on "
            "(half of them, rounded up), too few to place them in a persona."
        )

    def persona(self, name_or_id: str | int) -> Persona:
        """A persona by id, name, first name or the name as the report's card files write it
        (``busy-ben`` is Busy Ben)."""
        wanted = _name_key(str(name_or_id))
        for p in self.personas:
            if str(p.persona_id) == str(name_or_id) or _name_key(p.name) == wanted:
                return p
            if _name_key(p.first_name) == wanted:
                return p
        names = ", ".join(p.name for p in self.personas)
        raise NotFoundError(f"no persona {name_or_id!r} in run {self.run_id} (have: {names})")

    def overview(self) -> dict[str, Any]:
        return overview(self.personas)


def _name_key(name: str) -> str:
    """A name with case, spaces and punctuation left out: "Busy Ben" = "busy-ben"."""
    return re.sub(r"[^a-z0-9]+", "", name.lower())


# -- gathering the data -----------------------------------------------------------------------
def _pick_survey(store: Store) -> str:
    name = answered_survey(store=store)
    if name is None:
        raise InsufficientDataError(f"no survey answers yet: import them with {IMPORT_COMMAND}")
    return name


def _answers(store: Store, survey: str) -> pd.DataFrame:
    from shopperlens.service import surveys

    return surveys.responses_frame(store=store, survey=survey)


def _enrich(store: Store, df: pd.DataFrame) -> pd.DataFrame:
    """Add what the shop knows about respondents who are customers (never used to cluster).

    Only real purchases count: cancelled, refunded, failed, voided and expired orders bring no
    revenue and are nothing the customer "buys" (the same rule as CLV and the playbooks).
    Revenue is in the shop's currency, as on the front page: a purchase in another currency is
    bought, but its amount is not added in (SEK 1,100 is not EUR 1,100), so a customer who
    bought only in another currency brings 0. A line's category and product name are its own
    or its product's in the products file, as the customer types read them.
    """
    if "customer_id" not in df.columns or df["customer_id"].isna().all():
        return df
    out = df.copy()
    lines = _purchased_lines(store, df["customer_id"].dropna().unique())
    if lines.empty:  # respondents never bought: no revenue, types or CLV to describe
        return out
    if "revenue" not in out.columns:
        rev = lines.groupby("customer_id")["amount"].sum()
        out["revenue"] = out["customer_id"].map(rev).astype("float64")
    goods = lines[lines["merchandise"]]  # postage is paid for, never "bought"
    for col, key in (("categories_bought", "category"), ("products_bought", "product")):
        bought = _everything_bought(goods, key)
        out[col] = [bought.get(c) if c is not None else None for c in out["customer_id"]]
    types = _optional(store, "types", "latest_types")
    if types is not None and "type" in types.columns:
        t = types.dropna(subset=["customer_id"]).drop_duplicates("customer_id")
        out["customer_type"] = out["customer_id"].map(t.set_index("customer_id")["type"])
    clv = _optional(store, "clv", "customer_value")
    if clv is not None and "clv" in clv.columns:
        c = clv.drop_duplicates("customer_id").set_index("customer_id")["clv"]
        out["clv"] = out["customer_id"].map(c).astype("float64")
    return out


def _purchased_lines(store: Store, customers: np.ndarray) -> pd.DataFrame:
    """The purchased lines of ``customers``: ``customer_id, category, product, amount,
    merchandise``, the amount in the shop's currency (0 on a line of an order in another
    currency); ``merchandise`` is false on a line of a product that is none (postage, a fee:
    :mod:`shopperlens.merchandise`), which counts for revenue and not as a purchase."""
    currency = shop_currency(store=store)
    with store.cursor() as cur:
        cur.register("_persona_ids", pd.DataFrame({"customer_id": customers}))
        lines = cur.execute(
            f"SELECT o.customer_id, {LINE_CATEGORY} AS category, coalesce(nullif(l.product_name,"
            " ''), nullif(p.product_name, ''), l.product_id) AS product, CASE WHEN"
            f" {in_shop_currency_sql('o.currency')} THEN l.quantity * l.unit_price ELSE 0 END"
            f" AS amount, p.merchandise IS NOT false AS merchandise FROM order_lines l JOIN"
            f" {PURCHASES} o USING (order_id) LEFT JOIN"
            " products p USING (product_id) JOIN _persona_ids i ON i.customer_id = o.customer_id",
            [currency, currency],
        ).df()
        cur.unregister("_persona_ids")
    return lines


def _everything_bought(lines: pd.DataFrame, key: str) -> pd.Series:
    """Per customer, every ``key`` (category or product) they bought, biggest spend (in the
    shop's currency) first.

    Every one, not a top few: "12 % buy GPS Watch Trail" must count everyone who bought it,
    not only those for whom it is among their three biggest purchases.
    """
    return (
        lines.dropna(subset=[key])
        .groupby(["customer_id", key])["amount"]
        .sum()
        .reset_index()
        .sort_values(["customer_id", "amount", key], ascending=[True, False, True])
        .groupby("customer_id")[key]
        .apply(lambda s: [str(v) for v in s])
    )


def refused_quotes(store: Store) -> set[str]:
    """Customers whose latest consent record for a :data:`QUOTE_PURPOSES` purpose says no:
    their free-text answers and interview words are never quoted on a persona card."""
    if "consents" not in store.tables():
        return set()
    purposes = ", ".join(f"'{p}'" for p in QUOTE_PURPOSES)
    rows = store.df(
        "SELECT customer_id FROM consents WHERE customer_id IS NOT NULL"
        f" AND lower(purpose) IN ({purposes}) GROUP BY customer_id, lower(purpose)"
        " HAVING NOT arg_max(granted, recorded_at)"
    )
    return set(rows["customer_id"].astype(str))


def _optional(store: Store, module: str, func: str) -> pd.DataFrame | None:
    """Another concern's result when that concern is installed and has the data for it."""
    import importlib

    try:
        mod = importlib.import_module(f"shopperlens.service.{module}")
        return getattr(mod, func)(store=store)
    except (ImportError, AttributeError, ShopperlensError):
        return None


def _interviews(store: Store) -> pd.DataFrame | None:
    """What interviewed customers said, for the persona cards: the quotes of each note
    (:func:`~shopperlens.surveys.interviews.quotes`: block quotes, else passages in quotation
    marks), those touching a theme first, then the others, so a note whose quotes the English
    lexicon does not tag (a German one) is still heard.

    Never the note itself: a note without a quote gives nothing. Its body once stood on a card
    as the customer's words, its title (customer id, "best customer"), its ``segment: worst``
    line and the interviewer's own account included. Quotes are read from the body now rather
    than from ``interview_tags``, whose pieces of a note without quotes are its sentences (the
    interviewer's), and whose quotes are as the extraction of their import day read them.
    """
    if "interview_notes" not in store.tables():
        return None
    notes = store.df(
        "SELECT customer_id, body FROM interview_notes WHERE customer_id IS NOT NULL "
        "ORDER BY customer_id, interviewed_at DESC NULLS LAST, interviewee"
    )
    said = [
        (str(customer), quote, not notes_mod.tag(quote))
        for customer, body in zip(notes["customer_id"], notes["body"], strict=True)
        for quote in notes_mod.quotes(str(body))
    ]
    if not said:
        return None
    rows = pd.DataFrame(said, columns=["customer_id", "text", "untagged"])
    # stable: each customer's tagged quotes first, in note order
    rows = rows.sort_values(["customer_id", "untagged"], kind="stable")
    return rows[["customer_id", "text"]].reset_index(drop=True)


def people_names(store: Store, df: pd.DataFrame) -> list[str]:
    """The names the shop has for the people who may be quoted: respondents who are customers
    and interviewed customers. Quotes mask them (a respondent signing with their name, an
    interview note naming the customer)."""
    if "customers" not in store.tables():
        return []
    ids = df["customer_id"].dropna().astype(str) if "customer_id" in df.columns else []
    wanted = pd.DataFrame({"customer_id": pd.Series(list(ids), dtype=object).unique()})
    interviewed = (
        " UNION SELECT customer_id FROM interview_notes WHERE customer_id IS NOT NULL"
        if "interview_notes" in store.tables()
        else ""
    )
    with store.cursor() as cur:
        cur.register("_quoted_ids", wanted)
        rows = cur.execute(
            "SELECT DISTINCT name FROM customers WHERE nullif(trim(name), '') IS NOT NULL"
            f" AND customer_id IN (SELECT customer_id FROM _quoted_ids{interviewed})"
        ).df()
        cur.unregister("_quoted_ids")
    return [str(n) for n in rows["name"]]


def _themes(store: Store) -> pd.DataFrame | None:
    if "interview_tags" not in store.tables():
        return None
    tags = store.df(
        "SELECT DISTINCT customer_id, theme FROM interview_tags WHERE customer_id IS NOT NULL"
    )
    return tags if len(tags) else None


# -- building ---------------------------------------------------------------------------------
def build(
    *,
    store: Store,
    survey: str | None = None,
    frame: pd.DataFrame | None = None,
    k: int | Literal["auto"] = "auto",
    seed: int = 0,
    min_group_size: int = 5,
    income_adjustment: float = 0.9,
    n_resamples: int = 20,
    max_personas: int = 6,
    save: bool = True,
) -> PersonaRun:
    """Cluster respondents into personas, describe them, compare with the last run, store.

    ``k="auto"`` chooses 2…``max_personas`` (3–4 preferred); raise ``max_personas`` (at most
    :data:`MAX_PERSONAS_LIMIT`) for a big catalogue with many kinds of customer. A forced ``k``
    must lie in the same 2…``max_personas`` range: one persona describes nobody, and k close
    to the number of respondents makes one-person "personas". Checked before any work, so the
    CLI, Python, HTTP and job faces all refuse alike.

    Answers too alike for the personas asked (every respondent the same, or fewer different
    sets of answers than a forced ``k``) are refused in those words
    (:func:`_refuse_answers_alike`), never stored as a run whose count or stability describes
    groups that are not there.
    """
    mark = store.erasure_mark() if save else 0  # a respondent erased from here on is refused
    max_personas = whole(
        max_personas, "the most personas (max_personas, --max-k)", low=2, high=MAX_PERSONAS_LIMIT
    )
    if k != "auto":
        more = (
            isinstance(k, int)
            and max_personas < k <= MAX_PERSONAS_LIMIT
            and f" (raise max_personas, --max-k, to allow up to {MAX_PERSONAS_LIMIT})"
        )
        k = whole(
            k,
            "the number of personas (k)",
            low=2,
            high=max_personas,
            hint=" or 'auto'",
            advice=more or "",
        )
    seed = whole(seed, "the seed", low=0, high=2**32 - 1)
    # below the floor a persona's figures (income, quotes) would describe single people
    min_group_size = whole(
        min_group_size,
        "the smallest group a figure is shown for (min_group_size, SHOPPERLENS_MIN_GROUP_SIZE)",
        low=MIN_GROUP_FLOOR,
    )
    # each resample refits the clustering: a huge count would hold the server's job worker
    n_resamples = whole(n_resamples, "the stability resamples (n_resamples)", low=0, high=200)
    if frame is None:
        survey = survey or _pick_survey(store)
        raw = _answers(store, survey)
        source: Literal["survey", "frame"] = "survey"
    else:
        raw, source = frame, "frame"
    df, left = clustered_respondents(raw)
    features = winsorise(df[clustering_columns(column_roles(df))])
    model = PersonaClustering(
        n_personas=k,
        random_state=seed,
        min_cluster_size=min_group_size,
        n_resamples=n_resamples,
        k_range=(2, max(2, max_personas)),
    )
    with warnings.catch_warnings():
        # k-means on answers alike warns "Number of distinct clusters (1) found smaller than
        # n_clusters (6)" once per k and resample: pages of it reached the user. A k that
        # cannot be met is refused below in words instead, and an auto k that met it was
        # rejected for its empty personas, never chosen.
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            model.fit(features)
        except InsufficientDataError as exc:
            if len(features) >= model.min_samples:  # fewer: "need 20 responses" says it all
                _refuse_answers_alike(features, k)
            raise _with_left_out(exc, left) from None
        _check_personas_found(model, features, k)
        shuffled = quality.shuffled_silhouette(
            features, model.n_personas_, random_state=seed, min_cluster_size=min_group_size
        )
    enriched = _enrich(store, df)
    themes = _themes(store)
    if themes is not None and "customer_id" in enriched.columns:
        per = themes.groupby("customer_id")["theme"].apply(list)
        enriched["interview_themes"] = [
            per.get(c) if c is not None else None for c in enriched["customer_id"]
        ]
    definition = _definition(store, survey if source == "survey" else None)
    personas = synthesise(
        enriched,
        model.labels_,
        distances=model.distances_,
        stability=model.stability_["jaccard"],
        min_group_size=min_group_size,
        income_adjustment=income_adjustment,
        interviews=_interviews(store),
        unquotable=refused_quotes(store),
        currency=shop_currency(store=store),
        names=people_names(store, enriched),
        **definition,
    )
    members = pd.DataFrame(
        {
            "respondent": df["respondent"],
            "customer_id": df["customer_id"] if "customer_id" in df.columns else None,
            "persona_id": model.labels_.astype(int),
            "distance": model.distances_,
        }
    )
    run = PersonaRun(
        run_id=None,
        created_at=utc_now(),
        survey=survey,
        source=source,
        n_respondents=len(df),
        n_personas=model.n_personas_,
        k_requested=str(k),
        seed=seed,
        silhouette=_num(model.silhouette_),
        stability_ari=_num(model.stability_["ari"]),
        scores={int(kk): float(v) for kk, v in model.scores_.items() if not np.isnan(v)},
        min_group_size=min_group_size,
        income_adjustment=income_adjustment,
        personas=personas,
        n_left_out=left.count,
        n_questions=left.questions,
        min_answered=left.needed,
        shuffled_silhouette=shuffled,
    )
    _mark_provisional(run)
    previous = _latest_run_id(store)
    if previous is not None:
        old = show(store=store, run_id=previous, with_reach=False)
        old_members = _members_frame(store, previous)
        run.evolution = compare_runs(
            _refs(old, old_members),
            _refs(run, members),
            old_members,
            members,
            previous_run=previous,
        )
        _keep_names(run, old)
    if save:
        _save(store, run, members, mark)
        reach(store=store, run=run)
    return run


def clustered_respondents(raw: pd.DataFrame) -> tuple[pd.DataFrame, _LeftOut]:
    """The respondents of the answers ``raw`` that personas are clustered on (one row each,
    in respondent order, answering at least half of the clustering questions) and who is
    left out. :func:`build` and ``readiness`` both count them here, so the check calls a
    survey ready exactly when it holds enough respondents to cluster."""
    return _enough_answers(_in_respondent_order(normalise_answers(raw)))


def _in_respondent_order(df: pd.DataFrame) -> pd.DataFrame:
    """One row per respondent (a repeated one's last row), sorted by respondent id.

    The seeded k-means starts from the rows it is given first: in the order the answers were
    imported, the same answers in a shuffled, reversed or split export moved people between
    personas and swapped their ids. The respondent id is the one order that does not depend
    on how the rows arrived.
    """
    if df["respondent"].duplicated().any():
        df = df.drop_duplicates("respondent", keep="last")
    return df.sort_values("respondent", kind="stable").reset_index(drop=True)


class _LeftOut(BaseModel):
    """Respondents left out of the clustering: how many, out of how many questions, and how
    many answers it takes to be clustered."""

    count: int = 0
    questions: int | None = None
    needed: int | None = None


def _enough_answers(df: pd.DataFrame) -> tuple[pd.DataFrame, _LeftOut]:
    """The respondents answering at least half of the clustering questions, and who is left
    out (:func:`~shopperlens.personas.frame.enough_answers`): one-question pop-up answers
    clustered with full surveys make a persona of their own, described by the one answer they
    gave and the blanks."""
    features = df[clustering_columns(column_roles(df))]
    if features.shape[1] == 0:
        return df, _LeftOut()
    keep = enough_answers(features)
    left = _LeftOut(
        count=int((~keep).sum()),
        questions=features.shape[1],
        needed=min_answered(features.shape[1]),
    )
    return df.loc[keep].reset_index(drop=True), left


def _with_left_out(exc: InsufficientDataError, left: _LeftOut) -> InsufficientDataError:
    """``exc`` saying also how many respondents were left out for answering too little: "need
    20 responses; got 15" is misleading when 100 more answered one question."""
    if not left.count:
        return exc
    return InsufficientDataError(
        f"{exc} ({left.count:,} more respondents answered fewer than {left.needed} of the "
        f"{left.questions} questions personas are built on and were left out)"
    )


def _definition(store: Store, survey: str | None) -> dict[str, Any]:
    """What the survey's definition tells the cards: each question's group (who or why) and
    which question asks for income (adjusted as ``survey results`` adjusts it). Empty for a
    frame or a survey not stored: the column names decide then."""
    if survey is None:
        return {}
    from shopperlens.service.survey_results import income_question
    from shopperlens.service.surveys import get_survey

    try:
        questions = get_survey(store=store, name=survey).questions
    except ShopperlensError:
        return {}
    return {
        "groups": {q.id: q.group for q in questions},
        "income_column": income_question(questions),
    }


def _mark_provisional(run: PersonaRun) -> None:
    """Mark every persona of a provisional run, so one persona read alone (``/api/personas/
    Ben``) says it too."""
    for p in run.personas:
        p.provisional = run.provisional


def _answer_patterns(features: pd.DataFrame) -> int | None:
    """How many different sets of answers the respondents gave, as the clustering sees them
    (encoded as :class:`~shopperlens.models.clustering.MixedEncoder` does: free text and ids
    left out, a missing number at the median); None when no answer can be encoded."""
    try:
        x = MixedEncoder().fit_transform(features)
    except InsufficientDataError:
        return None
    return int(len(np.unique(np.round(x, 9), axis=0)))


def _refuse_answers_alike(features: pd.DataFrame, k: int | Literal["auto"]) -> None:
    """Refuse, in those words, answers too alike for the personas asked for; return when
    they are not (the caller then says what else went wrong).

    Forty identical answers were told "collect more responses" (more of the same would not
    help), and a forced ``k=3`` stored ONE persona under a run claiming 3, stability 1.00.
    k-means cannot make more groups than there are different answers: with one set of
    answers there is one profile, with m sets at most m personas.
    """
    n = len(features)
    patterns = _answer_patterns(features)
    wanted = 2 if k == "auto" else int(k)
    if patterns is None or patterns >= wanted:
        return
    asked = "several personas" if k == "auto" else f"{k} personas"
    if patterns <= 1:
        raise InsufficientDataError(
            f"all {n} respondents gave the same answers: there is one profile, not {asked}. "
            "Personas need respondents who answer differently: check the import did not "
            "repeat one response, and collect answers from other customers (nothing stored)"
        ) from None
    raise InsufficientDataError(
        f"the {n} respondents gave only {patterns} different sets of answers: they cannot "
        f"be split into {asked}. Ask for at most {patterns} personas (k), or collect answers "
        "from other customers (nothing stored)"
    ) from None


def _check_personas_found(
    model: PersonaClustering, features: pd.DataFrame, k: int | Literal["auto"]
) -> None:
    """Refuse a fit with fewer groups of people than the personas it reports: a run must
    never record ``n_personas`` 3 (and a stability for 3) over one group.

    Checked on the fit's labels, so a build whose answers do split pays nothing; only a
    short fit counts the different answers, to say why (:func:`_refuse_answers_alike`).
    """
    found = len(np.unique(model.labels_))
    if found >= model.n_personas_:
        return
    _refuse_answers_alike(features, model.n_personas_)
    # the answers differ, but not on what the clustering keeps (its main factors)
    groups = "one group" if found == 1 else f"only {found} groups"
    raise InsufficientDataError(
        f"the answers fall into {groups} of people, not {model.n_personas_} personas: ask "
        "for fewer personas (k), or collect answers from other customers (nothing stored)"
    )


def _num(v: float) -> float | None:
    return None if v is None or np.isnan(v) else float(v)


def _refs(run: PersonaRun, members: pd.DataFrame) -> list[PersonaRef]:
    """What evolution compares. A suppressed persona shows no size, so its size is counted
    from the membership (used for matching, never reported)."""
    counts = members["persona_id"].value_counts()
    refs = []
    for p in run.personas:
        size = p.size if p.size is not None else int(counts.get(p.persona_id, 0))
        share = p.share if p.share is not None else size / max(run.n_respondents, 1)
        refs.append(
            PersonaRef(
                persona_id=p.persona_id,
                name=p.name,
                size=size,
                share=share,
                profile=p.profile,
                suppressed=p.suppressed,
            )
        )
    return refs


def _keep_names(run: PersonaRun, old: PersonaRun) -> None:
    """A persona matched to one of the previous run keeps its name ("Eco Emma" stays Emma),
    unless the name would say what the data do not (:func:`_name_still_fits`)."""
    assert run.evolution is not None
    by_id = {p.persona_id: p for p in run.personas}
    before = {p.persona_id: p for p in old.personas}
    for ch in run.evolution.changes:
        if ch.current_id is None or ch.previous_name is None or ch.previous_name == ch.current_name:
            continue
        if any(p.name == ch.previous_name for p in run.personas):
            continue  # another persona already carries it
        p = by_id[ch.current_id]
        previous = before.get(ch.previous_id) if ch.previous_id is not None else None
        if previous is None or not _name_still_fits(previous, p):
            continue
        p.adjective, _, p.first_name = ch.previous_name.partition(" ")
        p.name = ch.previous_name
        ch.current_name = p.name


def _name_still_fits(previous: Persona, now: Persona) -> bool:
    """Whether ``previous``'s name may go on to ``now``: never onto or from a group too small
    to describe (its name says only that: "Eco Eric" on one would give away a motive and a
    gender), and only when its first name's gender is the one ``now``'s data give (a woman's
    name on a group no longer clearly women would contradict it). Nor a name whose adjective
    is an answer to a protected question ("Muslim Mia", from before such names were refused)."""
    if now.suppressed or previous.suppressed or previous.adjective == SMALL_GROUP_WORD:
        return False
    if from_protected_answer(previous.adjective, [*previous.profile, *now.profile]):
        return False
    return name_gender(previous.first_name) == name_gender(now.first_name)


def _scores_json(run: PersonaRun) -> str:
    """The scores per k, with the run's other figures under :data:`RUN_FIGURES`."""
    figures = {
        "n_left_out": run.n_left_out,
        "n_questions": run.n_questions,
        "min_answered": run.min_answered,
        "shuffled_silhouette": run.shuffled_silhouette,
    }
    return json.dumps({**{str(k): v for k, v in run.scores.items()}, RUN_FIGURES: figures})


def _read_scores(text: str | None) -> tuple[dict[int, float], dict[str, Any]]:
    """Scores per k and the run's other figures, from :func:`_scores_json` (runs stored before
    it hold the scores alone)."""
    stored = json.loads(text or "{}")
    figures = stored.pop(RUN_FIGURES, None) or {}
    return {int(k): v for k, v in stored.items()}, figures


def _save(store: Store, run: PersonaRun, members: pd.DataFrame, mark: int) -> None:
    """Store the run; refused when a customer was erased since ``mark`` (noted when the
    build started): its members and quotes may be theirs."""
    # the table keeps every persona's size (its members are stored anyway); the card does not
    sizes = {r.persona_id: (r.size, r.share) for r in _refs(run, members)}
    with store.transaction() as con:
        check_no_erasure_since(con, mark)
        run_id = int(con.execute("SELECT nextval('persona_run_seq')").fetchone()[0])
        run.run_id = run_id
        if run.evolution is not None:
            run.evolution.current_run = run_id
        con.execute(
            "INSERT INTO persona_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                run.created_at,
                run.survey,
                run.source,
                run.n_respondents,
                run.n_personas,
                run.k_requested,
                run.seed,
                run.silhouette,
                run.stability_ari,
                _scores_json(run),
                run.min_group_size,
                run.income_adjustment,
                run.evolution.model_dump_json() if run.evolution else None,
            ],
        )
        con.executemany(
            "INSERT INTO personas VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    run_id,
                    p.persona_id,
                    p.name,
                    p.trait,
                    *sizes[p.persona_id],
                    p.revenue_share,
                    p.stability,
                    # the reach is counted when shown: consents and e-mails change
                    p.model_dump_json(exclude={"quotes", "reach"}),
                ]
                for p in run.personas
            ],
        )
        quotes = [
            [run_id, p.persona_id, q.rank, q.source, q.text, q.respondent, q.customer_id]
            for p in run.personas
            for q in p.quotes
        ]
        if quotes:
            con.executemany("INSERT INTO persona_quotes VALUES (?, ?, ?, ?, ?, ?, ?)", quotes)
        rows = members.assign(run_id=run_id)[
            ["run_id", "respondent", "customer_id", "persona_id", "distance"]
        ]
        con.register("_persona_members", rows)
        con.execute("INSERT INTO persona_members SELECT * FROM _persona_members")
        con.unregister("_persona_members")


# -- reading ----------------------------------------------------------------------------------
def _latest_run_id(store: Store) -> int | None:
    v = store.scalar("SELECT max(run_id) FROM persona_runs")
    return None if v is None else int(v)


def _members_frame(store: Store, run_id: int) -> pd.DataFrame:
    return store.df(
        "SELECT respondent, customer_id, persona_id, distance FROM persona_members "
        "WHERE run_id = ? ORDER BY persona_id, distance, respondent",
        [run_id],
    )


def _resolve(store: Store, run_id: int | None) -> int:
    """The run ``run_id`` names (the latest when None): numpy's integers too, which a run id
    read from a DataFrame is (DuckDB refused them with "Unable to transform python value")."""
    if run_id is not None:
        run_id = whole(run_id, "the persona run (run_id)", low=1)
    rid = _latest_run_id(store) if run_id is None else run_id
    if rid is None:
        raise ShopperlensError("no personas yet: run `shopperlens personas build` first")
    if store.scalar("SELECT count(*) FROM persona_runs WHERE run_id = ?", [rid]) == 0:
        raise NotFoundError(f"no persona run {rid}")
    return int(rid)


def show(*, store: Store, run_id: int | None = None, with_reach: bool = True) -> PersonaRun:
    """A stored run (the latest by default) with its personas; ``with_reach`` counts, for the
    latest run, how many of each persona's members an audience export reaches (:func:`reach`)."""
    rid = _resolve(store, run_id)
    row = store.df("SELECT * FROM persona_runs WHERE run_id = ?", [rid]).iloc[0]
    cards = store.df("SELECT card FROM personas WHERE run_id = ? ORDER BY persona_id", [rid])
    evo = row["evolution"]
    personas = [Persona.model_validate_json(c) for c in cards["card"]]
    quotes = store.df(
        "SELECT persona_id, rank, source, text FROM persona_quotes WHERE run_id = ? "
        "ORDER BY persona_id, source = 'interview', rank",
        [rid],
    )
    for p in personas:
        mine = quotes[quotes["persona_id"] == p.persona_id]
        p.quotes = [
            Quote(text=t, source=src, rank=int(r))
            for r, src, t in zip(mine["rank"], mine["source"], mine["text"], strict=True)
        ]
    scores, figures = _read_scores(row["scores"])
    run = PersonaRun(
        run_id=rid,
        created_at=row["created_at"],
        survey=None if pd.isna(row["survey"]) else row["survey"],
        source=row["source"],
        n_respondents=int(row["n_respondents"]),
        n_personas=int(row["n_personas"]),
        k_requested=row["k_requested"],
        seed=int(row["seed"]),
        silhouette=None if pd.isna(row["silhouette"]) else float(row["silhouette"]),
        stability_ari=None if pd.isna(row["stability_ari"]) else float(row["stability_ari"]),
        scores=scores,
        min_group_size=int(row["min_group_size"]),
        income_adjustment=float(row["income_adjustment"]),
        personas=personas,
        evolution=None if evo is None or pd.isna(evo) else Evolution.model_validate_json(evo),
        **figures,
    )
    _mark_provisional(run)
    if with_reach and rid == _latest_run_id(store):
        reach(store=store, run=run)
    return run


#: the destination a persona's audience command names: an e-mail tool, as the members are
#: reached by e-mail (its rows are the customers with marketing consent and a usable address)
REACH_DESTINATION = "klaviyo"


def persona_segment(name: str) -> str:
    """The audience segment selecting a persona's customers (``persona == 'Eco Emma'``)."""
    return f"persona == '{name}'"


def reach(*, store: Store, run: PersonaRun) -> None:
    """Give each described persona of ``run`` (the latest stored run: the one the segment's
    ``persona`` names) its :class:`~shopperlens.personas.synthesis.Reach`: the audience command
    and how many members it reaches.

    Counted by the audience export's own functions (the customers ``audience_customers``
    selects, the rows ``playbooks.audience.audience`` writes for :data:`REACH_DESTINATION`),
    so the count is the rows ``shopperlens audience export`` writes for that segment.
    Respondents who are not customers are prospects: no export reaches them. A persona too
    small to describe gets none (its count would say its size), and so does every persona
    when the audience cannot be read (the export would refuse it too). It reads no types
    (the count does not depend on them): showing a run stores nothing, not even the types
    run the audience export would compute.
    """
    from shopperlens.personas.synthesis import Reach
    from shopperlens.playbooks import audience as _aud
    from shopperlens.service.playbooks import EMPTY_TYPES, audience_customers

    shown = [p for p in run.personas if not p.suppressed]
    if not shown:
        return
    customers = None  # no member is a customer on record: nobody to select
    if any(p.known_customers for p in shown) and store.count("customers"):
        names = [p.name for p in shown]
        try:
            # no types: the count needs none, and showing a run must not compute and store
            # a types run
            customers = audience_customers(
                store=store, segment=f"persona in {names!r}", types=EMPTY_TYPES
            )
        except ShopperlensError:  # the audience cannot be read: no count is made up
            return
    for p in shown:
        selected, written = 0, 0
        if customers is not None:
            mine = customers[customers["persona"] == p.name]
            selected, written = len(mine), len(_aud.audience(mine, REACH_DESTINATION)[0])
        segment = persona_segment(p.name)
        # answers not linked to customers at all (no customer_id column): all are prospects
        prospects = None if p.size is None else p.size - (p.known_customers or 0)
        p.reach = Reach(
            segment=segment,
            command=f'shopperlens audience export --segment "{segment}" --to {REACH_DESTINATION}',
            customers=selected,
            reachable=written,
            prospects=prospects,
        )


class RunInfo(BaseModel):
    """One line of the run list; ``provisional`` as :attr:`PersonaRun.provisional` judges it,
    so a list of runs does not show noise beside reliable personas unmarked."""

    run_id: int
    created_at: datetime = Field(description="when the run was built, in UTC")
    survey: str | None
    n_respondents: int
    n_personas: int
    names: str
    provisional: bool


def runs(*, store: Store) -> list[RunInfo]:
    """Every stored run, newest first."""
    df = store.df(
        "SELECT r.run_id, r.created_at, r.survey, r.n_respondents, r.n_personas,"
        " string_agg(p.name, ', ' ORDER BY p.persona_id) AS names,"
        " any_value(r.silhouette) AS silhouette, any_value(r.stability_ari) AS stability_ari,"
        " any_value(r.scores) AS scores FROM persona_runs r"
        " JOIN personas p USING (run_id) GROUP BY ALL ORDER BY r.run_id DESC"
    )
    df["survey"] = df["survey"].astype(object).where(df["survey"].notna(), None)
    return [RunInfo(**_run_line(r)) for r in df.to_dict(orient="records")]


def provisional_runs_note(rows: list[RunInfo]) -> str | None:
    """A line under a list of runs naming the provisional ones (a table column alone is cut
    off on a narrow terminal); None when there is none."""
    ids = [str(r.run_id) for r in rows if r.provisional]
    if not ids:
        return None
    which = f"Run {ids[0]} is" if len(ids) == 1 else f"Runs {', '.join(ids)} are"
    return (
        f"{which} provisional: the groups are not shown to be reliable "
        f"(`shopperlens personas show --run {ids[0]}` says why)."
    )


def _run_line(row: dict[str, Any]) -> dict[str, Any]:
    """A run's list fields, its quality figures turned into the provisional mark."""
    figures = _read_scores(row.pop("scores"))[1]
    sil, ari = (row.pop(k) for k in ("silhouette", "stability_ari"))
    note = quality.reliability_note(
        None if pd.isna(ari) else float(ari),
        None if pd.isna(sil) else float(sil),
        figures.get("shuffled_silhouette"),
    )
    return row | {"provisional": note is not None}


def diff(*, store: Store, run_id: int | None = None, against: int | None = None) -> Evolution:
    """How ``run_id`` (latest) changed from ``against`` (the run before it)."""
    rid = _resolve(store, run_id)
    prev = against
    if prev is None:
        v = store.scalar("SELECT max(run_id) FROM persona_runs WHERE run_id < ?", [rid])
        prev = None if v is None else int(v)
    cur, cur_members = show(store=store, run_id=rid, with_reach=False), _members_frame(store, rid)
    if prev is None:
        return compare_runs([], _refs(cur, cur_members), current_run=rid)
    prev = _resolve(store, prev)
    old = show(store=store, run_id=prev, with_reach=False)
    old_members = _members_frame(store, prev)
    return compare_runs(
        _refs(old, old_members),
        _refs(cur, cur_members),
        old_members,
        cur_members,
        previous_run=prev,
        current_run=rid,
    )


#: the columns of the members file (``personas members --out``, ``GET /api/personas/members``):
#: who is in which persona, and the customer a respondent is linked to (empty otherwise), so a
#: persona joins the types file and audience exports by ``customer_id``; never an e-mail or a
#: name (a respondent who answered by e-mail is kept under the e-mail's ``e-`` id)
MEMBER_COLUMNS: tuple[str, ...] = ("respondent", "persona", "customer_id")


def members(*, store: Store, run_id: int | None = None) -> pd.DataFrame:
    """Who belongs to which persona: ``respondent, persona`` (name), plus ids and distance
    (the members file takes :data:`MEMBER_COLUMNS` of these)."""
    rid = _resolve(store, run_id)
    df = store.df(
        "SELECT m.respondent, p.name AS persona, m.persona_id, m.customer_id, m.distance "
        "FROM persona_members m JOIN personas p ON p.run_id = m.run_id "
        "AND p.persona_id = m.persona_id WHERE m.run_id = ? "
        "ORDER BY m.persona_id, m.distance, m.respondent",
        [rid],
    )
    return df


def demo_step(*, store: Store) -> None:
    """The demo: personas from the ``demo-profile`` survey answers, with the privacy threshold
    and income factor of the settings (``SHOPPERLENS_MIN_GROUP_SIZE``,
    ``SHOPPERLENS_INCOME_ADJUSTMENT``) as ``personas build`` takes them: with the defaults
    here, the cards said × 0.9 beside a survey page and an income check that followed the
    setting."""
    settings = Settings()
    build(
        store=store,
        survey=DEMO_SURVEY,
        min_group_size=settings.min_group_size,
        income_adjustment=settings.income_adjustment,
    )
