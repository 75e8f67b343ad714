"""From clustered respondents to documented personas: who, why, where, what, in their words.

Every statement on a persona carries its :class:`Evidence`: the question, the answer, how many
people in the persona gave it out of how many who answered, and the share among all
respondents. A figure resting on fewer than ``min_group_size`` people is suppressed (shown as
"fewer than N") so no individual can be singled out; a persona smaller than that shows
nothing at all: no size or share, no answers, no channels, no quotes (its name and trait say
only that it is too small to describe, with a gender-neutral first name). Quotes never come
from a respondent who refused consent to be quoted (``unquotable``). Incomes are medians: one
respondent stating 5,000,000 would double a persona's mean income, not its median. What to
do for a persona (``actions``) follows from its distinctive answers through the table of
:mod:`shopperlens.personas.actions`; how to reach its members (``reach``) is counted by the
service when the run is shown, since consents change after the build.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, computed_field

from shopperlens.labels import fixed, money, percent, type_label
from shopperlens.models.clustering import multi_matrix, token_pairs
from shopperlens.personas.actions import Action, actions_for
from shopperlens.personas.frame import Column, column_roles
from shopperlens.personas.naming import SMALL_GROUP, Distinctive, answer_code, assign_names
from shopperlens.personas.scrubbing import scrub

Section = Literal["who", "why", "where", "what", "behaviour"]
_SECTION: dict[str, Section] = {
    "demographic": "who",
    "psychographic": "why",
    "channel": "where",
    "favourite": "what",
    "behaviour": "behaviour",
}
#: columns the service adds from the shop's own data for respondents who are known customers
BEHAVIOUR_COLUMNS = ("customer_type", "clv", "revenue", "categories_bought", "products_bought")


class Evidence(BaseModel):
    """What a statement rests on: question, answer, counts (None when suppressed)."""

    question: str
    answer: str | None = None
    measure: Literal["share", "mean", "median"] = "share"
    count: int | None = Field(None, description="people in the persona giving this answer")
    n: int | None = Field(None, description="people in the persona who answered the question")
    value: float | None = Field(None, description="share (0–1), mean or median in the persona")
    overall: float | None = Field(None, description="the same figure over all respondents")
    suppressed: bool = False


class Statement(BaseModel):
    section: Section
    text: str
    evidence: Evidence
    distinctive: bool = False


class ChannelUse(BaseModel):
    """One channel: how much the persona uses it against everyone, and what to do with spend."""

    channel: str
    share: float | None = Field(description="share of the persona's members using the channel")
    overall: float | None = Field(description="share of all respondents using the channel")
    index: float | None = Field(
        None, description="share of the persona using it / share of everyone (1 = average)"
    )
    suggested_budget_share: float | None = None
    advice: Literal["more", "keep", "less", "hidden"] = "keep"
    n: int | None = Field(None, description="people in the persona who answered")
    users: int | None = Field(
        None, description="people in the persona using the channel: the figures rest on them"
    )


class Quote(BaseModel):
    text: str
    source: str = Field(description="the question, or 'interview'")
    rank: int = Field(description="closeness to the persona centre (1 = closest answer)")
    #: whose words these are: kept so erasing the person removes the quote, never published
    respondent: str | None = Field(None, exclude=True)
    customer_id: str | None = Field(None, exclude=True)


class Reach(BaseModel):
    """How to reach a persona's members: the audience command that targets them, and how
    many of them it reaches (counted by the audience export itself, for the run it targets:
    the latest)."""

    segment: str = Field(description="the audience segment selecting the persona's customers")
    command: str = Field(description="the `shopperlens audience export` command for it")
    customers: int = Field(description="the persona's members the segment selects: customers")
    reachable: int = Field(
        description="those the export writes: marketing consent and a usable e-mail address"
    )
    prospects: int | None = Field(
        None, description="members who are not customers: no audience export reaches them"
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def text(self) -> str:
        """The reach in one sentence."""
        if not self.customers:
            return "None of its members is a customer on record: no audience export reaches them."
        said = (
            f"{self.reachable:,} of its {self.customers:,} customers can be e-mailed "
            "(marketing consent and a usable e-mail address)"
        )
        if self.prospects:
            who = "member is a prospect" if self.prospects == 1 else "members are prospects"
            said += f"; {self.prospects:,} {who}, not customers, and cannot be reached this way"
        return said + "."


class Persona(BaseModel):
    persona_id: int
    name: str
    adjective: str
    first_name: str
    trait: str
    size: int | None = Field(description="members; None when the persona is too small to show")
    share: float | None = Field(description="share of respondents; None when too small")
    revenue_share: float | None = None
    stability: float | None = None
    income_stated: float | None = Field(None, description="median stated income")
    income_adjusted: float | None = Field(
        None, description="median stated income × the income adjustment"
    )
    statements: list[Statement] = []
    channels: list[ChannelUse] = []
    spend_shift: str | None = None
    types_mix: dict[str, float] | None = None
    clv_mean: float | None = None
    known_customers: int | None = None
    quotes: list[Quote] = []
    actions: list[Action] = Field(
        default_factory=list,
        description="what to do for the persona, from the answers that set it apart",
    )
    reach: Reach | None = Field(
        None, description="the audience command for the members; None but on the latest run"
    )
    profile: dict[str, float] = Field(default_factory=dict, description="for run matching")
    suppressed: bool = False
    provisional: bool = Field(
        False, description="the run's groups are not reliable (see the run's reliability_note)"
    )

    def section(self, name: str) -> list[Statement]:
        return [s for s in self.statements if s.section == name]


def _label(question: str, answer: str | None = None) -> str:
    q = question.replace("_", " ")
    if answer is None:
        return q
    a = answer.replace("_", " ")
    code = answer_code(answer).replace("_", " ")  # PhD, Self employed: one answer
    phrases = {
        "values": f"value {a}",
        "hobbies": f"enjoy {a}",
        "channels": f"use {a}",
        "barrier": "say nothing holds them back" if a == "none" else f"held back by {a}",
        "motivation": {
            "save money": "buy to save money",
            "best quality": "want the best quality",
            "eco friendly": "want eco-friendly products",
            "treat myself": "buy to treat themselves",
            "solve problem": "buy to solve a problem",
        }.get(code, f"buy for {a}"),
        "spending_habit": {
            "plan ahead": "plan purchases ahead",
            "compare prices": "compare prices",
            "spontaneous": "buy on the spur of the moment",
            "subscribe": "buy by subscription",
        }.get(code, a),
        "categories_bought": f"buy {a}",
        "products_bought": f"buy {a}",
        "customer_type": f"are {type_label(answer)} customers",
        "age_bracket": f"are aged {a}",
        "gender": {"female": "are women", "male": "are men"}.get(
            _gender_word(answer), f"give their gender as {a}"
        ),
        "marital_status": "live with a partner" if a == "partner" else f"are {a}",
        "children": {"0": "have no children", "1": "have one child"}.get(a, f"have {a} children"),
        "education": f"have {a} education",
        "occupation": {
            "student": "are students",
            "retired": "are retired",
            "other": "have another occupation",
            "self employed": "are self-employed",
        }.get(code, f"work as {code}s"),
        "interview_themes": f"talk about {a} in interviews",
    }
    return phrases.get(question, f"{q}: {a}")


class _Prepared:
    """Each described column once as arrays, so a group's figures are sums over a mask."""

    def __init__(self, df: pd.DataFrame, columns: list[Column]) -> None:
        self.numeric: dict[str, np.ndarray] = {}
        self.options: dict[str, tuple[np.ndarray, list[str], np.ndarray]] = {}
        for c in columns:
            s = df[c.name]
            if c.kind == "numeric":
                self.numeric[c.name] = pd.to_numeric(s, errors="coerce").to_numpy(
                    dtype=np.float64, na_value=np.nan
                )
            elif c.kind == "categorical":
                cat = pd.Categorical(s.astype(object).where(s.notna(), None))
                levels = [str(v) for v in cat.categories]
                codes = np.asarray(cat.codes)
                mat = np.zeros((len(s), len(levels)), dtype=bool)
                mat[np.flatnonzero(codes >= 0), codes[codes >= 0]] = True
                self.options[c.name] = (mat, levels, codes >= 0)
            elif c.kind == "multi":
                levels = sorted(set(token_pairs(s)[1].tolist()))
                mat = multi_matrix(s, levels).astype(bool)
                self.options[c.name] = (mat, levels, mat.any(axis=1))


class _Stats:
    """Per-column answer counts (options) and means (numbers) for the rows in ``mask``."""

    def __init__(self, prep: _Prepared, mask: np.ndarray) -> None:
        self.options: dict[str, tuple[dict[str, int], int]] = {}
        self.means: dict[str, tuple[float, int, float]] = {}
        #: people with a number above zero (e.g. who bought through a channel at all)
        self.positive: dict[str, int] = {}
        for name, values in prep.numeric.items():
            v = values[mask]
            v = v[~np.isnan(v)]
            self.positive[name] = int((v > 0).sum())
            self.means[name] = (
                float(v.mean()) if len(v) else float("nan"),
                len(v),
                float(v.std()) if len(v) else float("nan"),
            )
        for name, (mat, levels, answered) in prep.options.items():
            sums = mat[mask].sum(axis=0)
            counts = {lv: int(c) for lv, c in zip(levels, sums, strict=True) if c > 0}
            self.options[name] = (counts, int(answered[mask].sum()))


def synthesise(
    frame: pd.DataFrame,
    labels: np.ndarray,
    *,
    distances: np.ndarray | None = None,
    stability: list[float] | None = None,
    min_group_size: int = 5,
    income_adjustment: float = 0.9,
    interviews: pd.DataFrame | None = None,
    n_quotes: int = 3,
    unquotable: Collection[str] = (),
    currency: str | None = None,
    names: Collection[str] = (),
    income_column: str | None = "income",
    groups: Mapping[str, str] | None = None,
) -> list[Persona]:
    """Describe each persona of ``labels`` over the respondents ``frame``.

    ``frame`` is a normalised respondents frame (see :mod:`shopperlens.personas.frame`),
    optionally with behaviour columns for known customers (``customer_type``, ``clv``,
    ``revenue``, ``categories_bought``, ``products_bought``). ``interviews`` has columns
    ``respondent`` (or ``customer_id``) and ``text``; its notes join the free-text quotes.
    ``unquotable`` are customer ids whose words must not be quoted (they refused consent).
    ``currency`` (the shop's, e.g. ``EUR``) marks the money in the statements' text.
    ``names`` are the people's names the shop knows (its customers'): masked in every quote,
    with the other personal data :func:`scrub` masks. ``income_column`` is the question asking
    for income (shown as a median, stated and adjusted ×``income_adjustment``); ``groups`` maps
    question ids to their survey group, which decides who/why on the card
    (:func:`~shopperlens.personas.frame.column_roles`).
    """
    income_column = income_column if income_column in frame.columns else None
    columns = [c for c in column_roles(frame, groups) if c.role != "id"]
    if income_column is not None:  # an income is about who they are, whatever its group
        columns = [
            Column(c.name, c.kind, "demographic") if c.name == income_column else c for c in columns
        ]
    behaviour = dict.fromkeys(BEHAVIOUR_COLUMNS, "behaviour")
    behaviour.update(categories_bought="favourite", products_bought="favourite")
    columns = [
        Column(c.name, c.kind, behaviour.get(c.name, c.role))  # type: ignore[arg-type]
        for c in columns
    ]
    prep = _Prepared(frame, columns)
    overall = _Stats(prep, np.ones(len(frame), dtype=bool))
    k = int(labels.max()) + 1 if len(labels) else 0
    dist = distances if distances is not None else np.zeros(len(frame))
    refused = {str(c) for c in unquotable}
    known_names = frozenset(str(n) for n in names if isinstance(n, str) and n.strip())
    out: list[Persona] = []
    distinct_all, genders = [], []
    for p in range(k):
        mask = labels == p
        size = int(mask.sum())
        persona = Persona(
            persona_id=p, name="", adjective="", first_name="", trait="", size=None, share=None
        )
        if size < min_group_size:
            # too few people to say anything about them without singling someone out
            persona.suppressed = True
            distinct_all.append([SMALL_GROUP])
            genders.append(None)
            out.append(persona)
            continue
        stats = _Stats(prep, mask)
        sub = frame.loc[mask]
        persona.size, persona.share = size, size / max(len(frame), 1)
        persona.stability = None if stability is None else float(stability[p])
        persona.statements, distinct = _statements(
            columns, stats, overall, min_group_size, income_column
        )
        distinct_all.append(distinct)
        genders.append(clear_gender(stats, overall, min_group_size))
        _income(persona, sub, income_adjustment, min_group_size, currency, income_column)
        _behaviour(persona, frame, sub, min_group_size, currency)
        _channels(persona, columns, stats, overall, min_group_size)
        persona.quotes = _quotes(
            sub, dist[mask], columns, interviews, n_quotes, refused, known_names
        )
        persona.profile = _profile(stats, min_group_size)
        out.append(persona)
    for persona, (adj, first), distinct in zip(
        out, assign_names(distinct_all, genders), distinct_all, strict=True
    ):
        persona.adjective, persona.first_name = adj, first
        persona.name = f"{adj} {first}"
        persona.trait = (
            f"fewer than {min_group_size} people: not described, to keep them anonymous"
            if persona.suppressed
            else _trait(distinct)
        )
        _mark_distinctive(persona, distinct)
        persona.actions = actions_for(distinct, persona.statements, persona.suppressed)
    return out


def _trait(distinct: list[Distinctive]) -> str:
    """The persona's three strongest distinctive attributes in words."""
    words = []
    for d in distinct[:3]:
        if d.answer in {"+", "-"}:
            words.append(("higher " if d.answer == "+" else "lower ") + _label(d.question))
        else:
            words.append(_label(d.question, d.answer))
    return ", ".join(words) if words else "close to the average respondent"


def _mark_distinctive(persona: Persona, distinct: list[Distinctive]) -> None:
    """Flag the statements about the five strongest attributes (printed bold on the card)."""
    ids = {(d.question, d.answer) for d in distinct[:5]}
    for s in persona.statements:
        q, a = s.evidence.question, s.evidence.answer
        keys = {(q, a)} if a is not None else {(q, "+"), (q, "-")}
        s.distinctive = bool(keys & ids)


#: a persona is named as women (men) when they are at least this share of its members who gave
#: a gender: two in three is a clear majority whatever the shop's mix
CLEAR_GENDER_SHARE = 2 / 3
#: ... or when they are a majority that is this many points above their share among everyone:
#: 50 % women in a persona against 48 % overall is the shop's mix, not a women's persona
GENDER_MARGIN = 0.10
_GENDER_WORDS = {
    "female": "female", "woman": "female", "women": "female", "f": "female",
    "male": "male", "man": "male", "men": "male", "m": "male",
}  # fmt: skip


def _gender_word(answer: str | None) -> str | None:
    """``female``/``male`` for the usual ways of writing them, else None."""
    return _GENDER_WORDS.get(str(answer or "").strip().lower())


def _gender_shares(stats: _Stats) -> tuple[dict[str, float], int]:
    """Share of women and men among the people who answered ``gender``, and how many did."""
    counts, n = stats.options.get("gender", ({}, 0))
    shares: dict[str, float] = {}
    for answer, count in counts.items():
        word = _gender_word(answer)
        if word:
            shares[word] = shares.get(word, 0.0) + count / max(n, 1)
    return shares, n


def clear_gender(stats: _Stats, overall: _Stats, min_n: int) -> str | None:
    """``female``/``male`` when the persona is clearly women/men, else None (a neutral name).

    Clearly: at least :data:`CLEAR_GENDER_SHARE` of the members who gave a gender, or a
    majority at least :data:`GENDER_MARGIN` above the share among all respondents. Fewer than
    ``min_n`` answers say nothing, and a group mostly of another gender is neither.
    """
    mine, n = _gender_shares(stats)
    everyone, _ = _gender_shares(overall)
    if n < min_n:
        return None
    for gender in ("female", "male"):
        share = mine.get(gender, 0.0)
        above = share - everyone.get(gender, 0.0)
        if share >= CLEAR_GENDER_SHARE or (share > 0.5 and above >= GENDER_MARGIN - 1e-9):
            return gender
    return None


#: how far (in standard deviations of the overall share) an answer must be above everyone's
#: share to count as setting a persona apart
CLEARLY_MORE = 0.3


def _lift(p_in: float, p_all: float) -> float:
    """The persona's share of an answer above everyone's, in standard deviations of a yes/no
    answer with everyone's share (so a rare answer that doubles counts as much as a common
    one that rises by many points)."""
    sd = float(np.sqrt(p_all * (1 - p_all))) or 1.0
    return (p_in - p_all) / sd


def _statements(
    columns: list[Column],
    stats: _Stats,
    overall: _Stats,
    min_n: int,
    income_column: str | None = "income",
) -> tuple[list[Statement], list[Distinctive]]:
    statements: list[Statement] = []
    distinct: list[Distinctive] = []
    for c in columns:
        section = _SECTION.get(c.role)
        if section is None or c.role == "channel" or c.name in {"revenue", "clv"}:
            continue
        if c.kind == "numeric":
            found = _numeric_statement(c.name, section, stats, overall, min_n)
            if c.name == income_column:  # its own statement: a median (see _income)
                found = ([], found[1])
        else:
            found = _answer_statements(c.name, section, stats, overall, min_n)
        statements += found[0]
        distinct += found[1]
    distinct.sort(key=lambda d: (-d.score, d.question, d.answer))
    return statements, distinct


def _numeric_statement(
    name: str, section: Section, stats: _Stats, overall: _Stats, min_n: int
) -> tuple[list[Statement], list[Distinctive]]:
    """The persona's mean against everyone's; a mean 0.3 standard deviations off stands out."""
    mean, n, _ = stats.means[name]
    all_mean, _, all_sd = overall.means[name]
    if n == 0:
        return [], []
    z = (mean - all_mean) / all_sd if all_sd and all_sd > 0 else 0.0
    ok = n >= min_n
    distinct = [Distinctive(name, "+" if z > 0 else "-", abs(z))] if abs(z) >= 0.3 and ok else []
    word = "higher" if z > 0.3 else "lower" if z < -0.3 else "about average"
    text = (
        f"{_label(name)}: {_fmt(mean)} on average, {word} (vs {_fmt(all_mean)} overall)"
        if ok
        else f"{_label(name)}: fewer than {min_n} answers, not shown"
    )
    ev = Evidence(
        question=name,
        measure="mean",
        n=n if ok else None,
        value=mean if ok else None,
        overall=all_mean,
        suppressed=not ok,
    )
    return [Statement(section=section, text=text, evidence=ev)], distinct


def _answer_statements(
    name: str, section: Section, stats: _Stats, overall: _Stats, min_n: int
) -> tuple[list[Statement], list[Distinctive]]:
    """The answers that set the persona apart on one question.

    An answer is shown when the persona gives it more often than everyone: every answer given
    clearly more often (:data:`CLEARLY_MORE`), and the persona's most common answer when it is
    above everyone's share at all. A most common answer the persona gives *less* often than
    everyone says nothing about it ("22 % are aged 25-34, vs 26 % overall") and is left out.
    Answers given by fewer than ``min_n`` people are withheld (one line says so).
    """
    counts, n = stats.options.get(name, ({}, 0))
    all_counts, all_n = overall.options.get(name, ({}, 0))
    if n == 0:
        return [], []
    ranked = sorted(counts, key=lambda a: (-counts[a], a))
    share = {a: (counts[a] / n, all_counts.get(a, 0) / max(all_n, 1)) for a in ranked}
    lift = {a: _lift(*share[a]) for a in ranked}
    apart = [
        a
        for a in ranked
        if lift[a] >= CLEARLY_MORE or (a == ranked[0] and share[a][0] > share[a][1])
    ]
    shown = [a for a in apart if counts[a] >= min_n]
    distinct = [Distinctive(name, a, lift[a]) for a in shown if lift[a] >= CLEARLY_MORE]
    if apart and not shown:
        ev = Evidence(question=name, suppressed=True)
        text = f"{_label(name)}: fewer than {min_n} people per answer, not shown"
        return [Statement(section=section, text=text, evidence=ev)], distinct
    statements = []
    for a in shown:
        p_in, p_all = share[a]
        ev = Evidence(question=name, answer=a, count=counts[a], n=n, value=p_in, overall=p_all)
        text = f"{percent(p_in)}% {_label(name, a)} (vs {percent(p_all)}% overall)"
        statements.append(Statement(section=section, text=text, evidence=ev))
    return statements, distinct


def _fmt(v: float) -> str:
    return fixed(v) if abs(v) >= 100 else fixed(v, 1)


def _income(
    persona: Persona,
    sub: pd.DataFrame,
    factor: float,
    min_n: int,
    currency: str | None,
    column: str | None = "income",
) -> None:
    """The persona's median income, stated and adjusted ×``factor`` (people overstate it).

    The median, not the mean: half the members earn less, half more, whatever one of them
    states (a typed 5,000,000 would double a persona's mean income).
    """
    if column is None or column not in sub.columns:
        return
    v = pd.to_numeric(sub[column], errors="coerce").dropna()
    if len(v) < min_n or persona.suppressed:
        return
    persona.income_stated = float(v.median())
    persona.income_adjusted = float(v.median() * factor)
    persona.statements.append(
        Statement(
            section="who",
            text=(
                f"earn about {money(persona.income_adjusted, currency)} a year (median; stated "
                f"{money(persona.income_stated, currency)}; stated incomes adjusted ×{factor:g})"
            ),
            evidence=Evidence(
                question=column, measure="median", n=len(v), value=persona.income_adjusted
            ),
        )
    )


def _behaviour(
    persona: Persona, frame: pd.DataFrame, sub: pd.DataFrame, min_n: int, currency: str | None
) -> None:
    if "revenue" in frame.columns:
        total = float(pd.to_numeric(frame["revenue"], errors="coerce").fillna(0).sum())
        mine = pd.to_numeric(sub["revenue"], errors="coerce")
        known = int(mine.notna().sum())
        if total > 0 and known >= min_n and not persona.suppressed:
            persona.revenue_share = float(mine.fillna(0).sum()) / total
            persona.statements.append(
                Statement(
                    section="behaviour",
                    text=f"bring {percent(persona.revenue_share)}% of respondents' revenue "
                    f"({percent(persona.share)}% of respondents)",
                    evidence=Evidence(
                        question="revenue", n=known, value=persona.revenue_share, overall=1.0
                    ),
                )
            )
    if "customer_id" in sub.columns:
        persona.known_customers = int(sub["customer_id"].notna().sum())
    if "customer_type" in sub.columns:
        t = sub["customer_type"].dropna().astype(str)
        if len(t) >= min_n and not persona.suppressed:
            # a type held by fewer than min_n members is no figure to show either
            counts = t.value_counts()
            persona.types_mix = {
                str(k): float(v) / len(t) for k, v in counts.items() if v >= min_n
            } or None
    if "clv" in sub.columns:
        c = pd.to_numeric(sub["clv"], errors="coerce").dropna()
        if len(c) >= min_n and not persona.suppressed:
            persona.clv_mean = float(c.mean())
            persona.statements.append(
                Statement(
                    section="behaviour",
                    text=f"expected customer value {money(persona.clv_mean, currency)} over "
                    "the next year",
                    evidence=Evidence(question="clv", measure="mean", n=len(c), value=c.mean()),
                )
            )


@dataclass(frozen=True)
class _ChannelFigures:
    """One channel's reach: the people using it in the persona and among all respondents, out
    of the people who answered (the same kind of denominator on both sides)."""

    answered: int
    users: int
    all_answered: int
    all_users: int

    @property
    def mine(self) -> float:
        """Share of the persona's members using the channel."""
        return self.users / max(self.answered, 1)

    @property
    def everyone(self) -> float:
        """Share of all respondents using the channel."""
        return self.all_users / max(self.all_answered, 1)


def _channel_figures(
    columns: list[Column], stats: _Stats, overall: _Stats
) -> dict[str, _ChannelFigures]:
    """Per channel, how many people use it in the persona and overall. A multi-select
    ``channels`` answer counts the people ticking a channel; a numeric ``channel_*`` column
    counts the people who bought through it at all (a number above zero)."""
    uses: dict[str, _ChannelFigures] = {}
    for c in columns:
        if c.role != "channel":
            continue
        if c.kind == "numeric":
            uses[c.name.removeprefix("channel_")] = _ChannelFigures(
                stats.means[c.name][1],
                stats.positive[c.name],
                overall.means[c.name][1],
                overall.positive[c.name],
            )
        elif c.name in stats.options:
            counts, n = stats.options[c.name]
            all_counts, all_n = overall.options[c.name]
            for a in all_counts:
                uses[a] = _ChannelFigures(n, counts.get(a, 0), all_n, all_counts[a])
    return uses


#: a channel reaching this many times the persona's members as it reaches respondents overall
#: (index) calls for more spend; at :data:`LESS_INDEX` or below, for less
MORE_INDEX, LESS_INDEX = 1.2, 0.8
#: standard errors by which the persona's share must differ from everyone's before it is advice:
#: below that the gap is what drawing that many people at random would give (about 1 in 20)
CHANNEL_Z = 2.0


def _channel_gap_is_real(u: _ChannelFigures) -> bool:
    """Whether the persona's share of users differs from everyone's by more than chance.

    The persona is part of everyone, so its share is compared with the standard error of a
    sample of ``answered`` people drawn without replacement from the ``all_answered``: a
    persona of 10 whose 6 use a channel 45 % of everyone use (index 1.33) is within chance,
    one of 40 with 97 % against 66 % is not.
    """
    p = u.everyone
    rest = max(1 - u.answered / max(u.all_answered, 1), 0.0)
    se = float(np.sqrt(p * (1 - p) / max(u.answered, 1) * rest))
    return se > 0 and abs(u.mine - p) >= CHANNEL_Z * se


def _channel_advice(index: float | None, u: _ChannelFigures) -> Literal["more", "keep", "less"]:
    """more / keep / less from the index, kept at ``keep`` when the gap could be chance."""
    if index is None or not _channel_gap_is_real(u):
        return "keep"
    return "more" if index >= MORE_INDEX else "less" if index <= LESS_INDEX else "keep"


def _channels(
    persona: Persona, columns: list[Column], stats: _Stats, overall: _Stats, min_n: int
) -> None:
    """Channel reach against everyone's, and the budget shift that follows from it.

    A channel's index is the share of the persona's members using it over the share of all
    respondents using it (people over people: 97 % of the persona on e-mail against 66 % of
    everyone is 1.47, whatever other channels the persona uses). Multi-select ``channels``
    count the people ticking a channel; numeric ``channel_*`` columns the people who bought
    through it. Spend should follow the persona: more where the index is >= 1.2, less where it
    is <= 0.8, and only when the gap is larger than chance for the persona's size
    (:func:`_channel_gap_is_real`); otherwise keep.

    A channel used by fewer than ``min_n`` of the persona's members is withheld (advice
    ``hidden``): its figure would rest on a handful of people, one person's answer could turn
    it into "spend more"; one fewer than ``min_n`` respondents use at all is left out
    altogether. ``suggested_budget_share`` splits a budget over the channels shown in
    proportion to the persona's use of them (summing to 1, so the withheld ones cannot be
    worked out from the rest).
    """
    # a channel fewer than min_n respondents use at all is named for nobody
    uses = {
        ch: u for ch, u in _channel_figures(columns, stats, overall).items() if u.all_users >= min_n
    }
    if not uses:
        return
    shown = {ch: u for ch, u in uses.items() if u.users >= min_n}
    tot = sum(u.mine for u in shown.values()) or 1.0
    rows = []
    for ch, u in uses.items():
        if ch not in shown:
            rows.append(ChannelUse(channel=ch, share=None, overall=u.everyone, advice="hidden"))
            continue
        idx = u.mine / u.everyone if u.everyone > 0 else None
        rows.append(
            ChannelUse(
                channel=ch,
                share=u.mine,
                overall=u.everyone,
                index=idx,
                suggested_budget_share=u.mine / tot,
                advice=_channel_advice(idx, u),
                n=u.answered,
                users=u.users,
            )
        )
    rows.sort(key=lambda r: (-(r.index or 0), r.channel))
    persona.channels = rows
    persona.spend_shift = _spend_shift(rows)


def _spend_shift(rows: list[ChannelUse]) -> str | None:
    """One sentence: the budget moves the channel indexes call for (None: keep as it is)."""
    more = [r.channel for r in rows if r.advice == "more"]
    less = [r.channel for r in reversed(rows) if r.advice == "less"]
    if not (more or less):
        return None
    return (
        "Shift spend "
        + (f"away from {', '.join(less[:3])} " if less else "")
        + (f"towards {', '.join(more[:3])}" if more else "")
    ).strip() + "."


def _id_text(value: Any) -> str | None:
    """An id as text, or None when it is missing: a row taken out of a frame holds NaN for a
    missing id, and ``str(NaN)`` would store the word 'nan' as if it were somebody's id."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    return str(value)


def _quotes(
    sub: pd.DataFrame,
    dist: np.ndarray,
    columns: list[Column],
    interviews: pd.DataFrame | None,
    n_quotes: int,
    refused: Collection[str] = (),
    names: Collection[str] = (),
) -> list[Quote]:
    """Free-text answers of the ``n_quotes`` members nearest the persona centre, then up to two
    interview notes of the nearest interviewed members, scrubbed (:func:`scrub`: e-mails,
    phone numbers, street addresses, ``names`` and names the text itself gives). Members whose
    customer id is in ``refused`` are never quoted: they said no."""
    order = np.argsort(dist, kind="stable")
    texts = [c.name for c in columns if c.role == "text"]
    notes: dict[str, list[str]] = {}
    if interviews is not None and len(interviews) and "text" in interviews.columns:
        key = "respondent" if "respondent" in interviews.columns else "customer_id"
        for k, t in zip(interviews[key], interviews["text"], strict=True):
            if _id_text(k) is not None:
                notes.setdefault(str(k), []).append(str(t))
    found: list[Quote] = []
    seen: set[str] = set()

    def who(rank: int) -> dict[str, str | None]:
        row = sub.iloc[order[rank - 1]]
        return {k: _id_text(row[k]) if k in sub.columns else None for k in _WHO}

    def take(src: str, text: Any, rank: int) -> bool:
        if not isinstance(text, str) or len(text.strip()) < 12:
            return False
        clean = scrub(text, names)
        if clean.lower() in seen:
            return False
        seen.add(clean.lower())
        found.append(Quote(text=clean, source=src, rank=rank, **who(rank)))
        return True

    def quotable(rank: int) -> bool:
        return who(rank)["customer_id"] not in refused

    for rank, i in enumerate(order[: 50 * n_quotes], start=1):
        row = sub.iloc[i]
        if not quotable(rank):
            continue
        if any(take(q, row[q], rank) for q in texts) and len(found) >= n_quotes:
            break
    heard = 0
    for rank, _ in enumerate(order, start=1):
        if heard >= 2 or not notes:
            break
        if not quotable(rank):
            continue
        ids = {v for v in who(rank).values() if v is not None}
        for k in sorted(ids):
            if any(take("interview", t, rank) for t in notes.get(k, [])):
                heard += 1
                break
    return found


_WHO = ("respondent", "customer_id")


def _profile(stats: _Stats, min_n: int) -> dict[str, float]:
    """Every answer's share (``question=answer``) and every mean, for matching runs and the
    side-by-side overview; figures resting on fewer than ``min_n`` people are left out."""
    prof: dict[str, float] = {}
    for name, (counts, n) in stats.options.items():
        for a, cnt in counts.items():
            if cnt >= min_n:
                prof[f"{name}={a}"] = cnt / max(n, 1)
    for name, (mean, n, _) in stats.means.items():
        if not np.isnan(mean) and n >= min_n:
            prof[name] = mean
    return prof


def overview(personas: list[Persona]) -> dict[str, Any]:
    """Side-by-side rows for the overview page: every answer some persona stands out on, with
    each persona's share (or mean); None where a figure rests on too few people.

    A row with no figure for any persona (a statement from the interviews, say, which have no
    survey share or mean) is left out: a row of dashes compares nothing.
    """
    keys: dict[tuple[str, str | None], str] = {}
    for p in personas:
        for s in p.statements:
            keys.setdefault((s.evidence.question, s.evidence.answer), s.section)
    rows = []
    for (q, a), section in keys.items():
        key = q if a is None else f"{q}={a}"
        values = {str(p.persona_id): p.profile.get(key) for p in personas}
        if all(v is None for v in values.values()):
            continue
        rows.append({"section": section, "question": q, "answer": a, "values": values})
    order = {"who": 0, "why": 1, "what": 2, "behaviour": 3}
    rows.sort(key=lambda r: (order.get(r["section"], 9), r["question"], r["answer"] or ""))
    return {"rows": rows}
