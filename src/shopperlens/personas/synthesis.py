"""From clustered respondents to documented personas: who, why, where, what, in their words.

Every statement on a persona carries its :class:`Evidence`: the question, the answer, how many
people in the persona gave it out of how many who answered, and the share among all
respondents. A figure resting on fewer than ``min_group_size`` people is suppressed (shown as
"fewer than N") so no individual can be singled out; a persona smaller than that shows no
figures at all.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from shopperlens.models.clustering import multi_matrix, token_pairs
from shopperlens.personas.frame import Column, column_roles
from shopperlens.personas.naming import Distinctive, assign_names

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
    measure: Literal["share", "mean"] = "share"
    count: int | None = Field(None, description="people in the persona giving this answer")
    n: int | None = Field(None, description="people in the persona who answered the question")
    value: float | None = Field(None, description="share (0–1) or mean in the persona")
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
    share: float | None
    overall: float | None
    index: float | None = Field(None, description="persona mix / overall mix (1 = average)")
    suggested_budget_share: float | None = None
    advice: Literal["more", "keep", "less", "hidden"] = "keep"
    n: int | None = None


class Quote(BaseModel):
    text: str
    source: str = Field(description="the question, or 'interview'")
    rank: int = Field(description="closeness to the persona centre (1 = closest answer)")
    #: whose words these are: kept so erasing the person removes the quote, never published
    respondent: str | None = Field(None, exclude=True)
    customer_id: str | None = Field(None, exclude=True)


class Persona(BaseModel):
    persona_id: int
    name: str
    adjective: str
    first_name: str
    trait: str
    size: int
    share: float
    revenue_share: float | None = None
    stability: float | None = None
    income_stated: float | None = None
    income_adjusted: float | None = None
    statements: list[Statement] = []
    channels: list[ChannelUse] = []
    spend_shift: str | None = None
    types_mix: dict[str, float] | None = None
    clv_mean: float | None = None
    known_customers: int = 0
    quotes: list[Quote] = []
    profile: dict[str, float] = Field(default_factory=dict, description="for run matching")
    suppressed: bool = False

    def section(self, name: str) -> list[Statement]:
        return [s for s in self.statements if s.section == name]


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE = re.compile(r"\+?\d[\d ()/-]{7,}\d")


def scrub(text: str) -> str:
    """Free text without e-mail addresses or phone numbers (quotes must not identify anyone)."""
    return _PHONE.sub("[number]", _EMAIL.sub("[e-mail]", text)).strip()


def _label(question: str, answer: str | None = None) -> str:
    q = question.replace("_", " ")
    if answer is None:
        return q
    a = answer.replace("_", " ")
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
        }.get(a, f"buy for {a}"),
        "spending_habit": {
            "plan ahead": "plan purchases ahead",
            "compare prices": "compare prices",
            "spontaneous": "buy on the spur of the moment",
            "subscribe": "buy by subscription",
        }.get(a, a),
        "categories_bought": f"buy {a}",
        "products_bought": f"buy {a}",
        "customer_type": f"are {a} customers",
        "age_bracket": f"are aged {a}",
        "gender": f"are {a}",
        "marital_status": "live with a partner" if a == "partner" else f"are {a}",
        "children": {"0": "have no children", "1": "have one child"}.get(a, f"have {a} children"),
        "education": f"have {a} education",
        "occupation": {
            "student": "are students",
            "retired": "are retired",
            "other": "have another occupation",
            "self employed": "are self-employed",
        }.get(a, f"work as {a}s"),
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
        for name, values in prep.numeric.items():
            v = values[mask]
            v = v[~np.isnan(v)]
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
) -> list[Persona]:
    """Describe each persona of ``labels`` over the respondents ``frame``.

    ``frame`` is a normalised respondents frame (see :mod:`shopperlens.personas.frame`),
    optionally with behaviour columns for known customers (``customer_type``, ``clv``,
    ``revenue``, ``categories_bought``, ``products_bought``). ``interviews`` has columns
    ``respondent`` (or ``customer_id``) and ``text``; its notes join the free-text quotes.
    """
    columns = [c for c in column_roles(frame) if c.role != "id"]
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
    out: list[Persona] = []
    distinct_all, genders = [], []
    for p in range(k):
        mask = labels == p
        sub = frame.loc[mask]
        stats = _Stats(prep, mask)
        size = int(mask.sum())
        hidden = size < min_group_size
        statements, distinct = _statements(columns, stats, overall, min_group_size, hidden)
        distinct_all.append(distinct)
        genders.append(_majority(stats, "gender"))
        persona = Persona(
            persona_id=p,
            name="",
            adjective="",
            first_name="",
            trait="",
            size=size,
            share=size / max(len(frame), 1),
            stability=None if stability is None else float(stability[p]),
            statements=statements,
            suppressed=hidden,
        )
        _income(persona, sub, income_adjustment, min_group_size)
        _behaviour(persona, frame, sub, min_group_size)
        _channels(persona, columns, stats, overall, min_group_size)
        persona.quotes = _quotes(sub, dist[mask], columns, interviews, n_quotes)
        persona.profile = _profile(stats, min_group_size, hidden)
        out.append(persona)
    for persona, (adj, first), distinct in zip(
        out, assign_names(distinct_all, genders), distinct_all, strict=True
    ):
        persona.adjective, persona.first_name = adj, first
        persona.name = f"{adj} {first}"
        tops = [_label(d.question, None if d.answer in "+-" else d.answer) for d in distinct[:3]]
        tops = [
            (("higher " if d.answer == "+" else "lower ") + t) if d.answer in "+-" else t
            for d, t in zip(distinct[:3], tops, strict=True)
        ]
        persona.trait = ", ".join(tops) if tops else "close to the average respondent"
        ids = {(d.question, d.answer) for d in distinct[:5]}
        for s in persona.statements:
            q, a = s.evidence.question, s.evidence.answer
            keys = {(q, a)} if a is not None else {(q, "+"), (q, "-")}
            s.distinctive = bool(keys & ids)
    return out


def _majority(stats: _Stats, question: str) -> str | None:
    counts, _ = stats.options.get(question, ({}, 0))
    return max(counts, key=lambda a: (counts[a], a)) if counts else None


def _statements(
    columns: list[Column], stats: _Stats, overall: _Stats, min_n: int, hidden: bool
) -> tuple[list[Statement], list[Distinctive]]:
    statements: list[Statement] = []
    distinct: list[Distinctive] = []
    for c in columns:
        section = _SECTION.get(c.role)
        if section is None or c.role == "channel" or c.name in {"revenue", "clv"}:
            continue
        if c.kind == "numeric":
            mean, n, _ = stats.means[c.name]
            all_mean, _, all_sd = overall.means[c.name]
            if n == 0:
                continue
            z = (mean - all_mean) / all_sd if all_sd and all_sd > 0 else 0.0
            if abs(z) >= 0.3 and n >= min_n and not hidden:
                distinct.append(Distinctive(c.name, "+" if z > 0 else "-", abs(z)))
            if c.name == "income":  # its own statement: stated vs adjusted (see _income)
                continue
            ok = n >= min_n and not hidden
            word = "higher" if z > 0.3 else "lower" if z < -0.3 else "about average"
            text = (
                f"{_label(c.name)}: {_fmt(mean)} on average, {word} (vs {_fmt(all_mean)} overall)"
                if ok
                else f"{_label(c.name)}: fewer than {min_n} answers, not shown"
            )
            ev = Evidence(
                question=c.name,
                measure="mean",
                n=n if ok else None,
                value=mean if ok else None,
                overall=all_mean,
                suppressed=not ok,
            )
            statements.append(Statement(section=section, text=text, evidence=ev))
            continue
        counts, n = stats.options.get(c.name, ({}, 0))
        all_counts, all_n = overall.options.get(c.name, ({}, 0))
        if n == 0:
            continue
        ranked = sorted(counts, key=lambda a: (-counts[a], a))
        # the most common answer, plus every answer the persona gives clearly more than everyone
        show = ranked[:1]
        for a in ranked:
            p_in, p_all = counts[a] / n, all_counts.get(a, 0) / max(all_n, 1)
            sd = np.sqrt(p_all * (1 - p_all)) or 1.0
            score = (p_in - p_all) / sd
            if score >= 0.3 and counts[a] >= min_n and not hidden:
                distinct.append(Distinctive(c.name, a, float(score)))
                if a not in show and p_in >= 0.2:
                    show.append(a)
        if not hidden and counts[show[0]] < min_n:
            # not even the most common answer rests on enough people: one withheld line
            show_ok: list[str | None] = [None]
        else:
            show_ok = [a for a in show if counts[a] >= min_n or hidden]
        for a in show_ok:
            if a is None:
                ev = Evidence(question=c.name, suppressed=True)
                text = f"{_label(c.name)}: fewer than {min_n} people per answer, not shown"
                statements.append(Statement(section=section, text=text, evidence=ev))
                continue
            cnt = counts[a]
            ok = cnt >= min_n and not hidden
            p_in, p_all = cnt / n, all_counts.get(a, 0) / max(all_n, 1)
            text = (
                f"{p_in:.0%} {_label(c.name, a)} (vs {p_all:.0%} overall)"
                if ok
                else f"{_label(c.name, a)}: fewer than {min_n} people, not shown"
            )
            ev = Evidence(
                question=c.name,
                answer=a,
                count=cnt if ok else None,
                n=n if ok else None,
                value=p_in if ok else None,
                overall=p_all,
                suppressed=not ok,
            )
            statements.append(Statement(section=section, text=text, evidence=ev))
    distinct.sort(key=lambda d: (-d.score, d.question, d.answer))
    return statements, distinct


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.1f}"


def _income(persona: Persona, sub: pd.DataFrame, factor: float, min_n: int) -> None:
    if "income" not in sub.columns:
        return
    v = pd.to_numeric(sub["income"], errors="coerce").dropna()
    if len(v) < min_n or persona.suppressed:
        return
    persona.income_stated = float(v.mean())
    persona.income_adjusted = float(v.mean() * factor)
    persona.statements.append(
        Statement(
            section="who",
            text=(
                f"earn about {persona.income_adjusted:,.0f} a year (stated "
                f"{persona.income_stated:,.0f}; stated incomes adjusted ×{factor:g})"
            ),
            evidence=Evidence(
                question="income", measure="mean", n=len(v), value=persona.income_adjusted
            ),
        )
    )


def _behaviour(persona: Persona, frame: pd.DataFrame, sub: pd.DataFrame, min_n: int) -> None:
    if "revenue" in frame.columns:
        total = float(pd.to_numeric(frame["revenue"], errors="coerce").fillna(0).sum())
        mine = pd.to_numeric(sub["revenue"], errors="coerce")
        known = int(mine.notna().sum())
        if total > 0 and known >= min_n and not persona.suppressed:
            persona.revenue_share = float(mine.fillna(0).sum()) / total
            persona.statements.append(
                Statement(
                    section="behaviour",
                    text=f"bring {persona.revenue_share:.0%} of respondents' revenue "
                    f"({persona.share:.0%} of respondents)",
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
            persona.types_mix = {k: float(v) for k, v in t.value_counts(normalize=True).items()}
    if "clv" in sub.columns:
        c = pd.to_numeric(sub["clv"], errors="coerce").dropna()
        if len(c) >= min_n and not persona.suppressed:
            persona.clv_mean = float(c.mean())
            persona.statements.append(
                Statement(
                    section="behaviour",
                    text=f"expected customer value {persona.clv_mean:,.0f} over the next year",
                    evidence=Evidence(question="clv", measure="mean", n=len(c), value=c.mean()),
                )
            )


def _channels(
    persona: Persona, columns: list[Column], stats: _Stats, overall: _Stats, min_n: int
) -> None:
    """Channel use against the overall mix, and the budget shift that follows from it.

    Multi-select ``channels`` give the share of the persona using each channel; numeric
    ``channel_*`` columns give the persona's purchases per channel. Each is turned into a mix
    (shares summing to 1); the index is persona mix / overall mix. Spend should follow the
    persona: more where the index is ≥ 1.2, less where it is ≤ 0.8.
    """
    uses: dict[str, tuple[float, float, int]] = {}
    for c in columns:
        if c.role != "channel":
            continue
        if c.kind == "numeric":
            mean, n, _ = stats.means[c.name]
            all_mean, _, _ = overall.means[c.name]
            uses[c.name.removeprefix("channel_")] = (mean, all_mean, n)
        elif c.name in stats.options:
            counts, n = stats.options[c.name]
            all_counts, all_n = overall.options[c.name]
            for a in all_counts:
                uses[a] = (counts.get(a, 0) / max(n, 1), all_counts[a] / max(all_n, 1), n)
    if not uses:
        return
    tot = sum(u[0] for u in uses.values()) or 1.0
    all_tot = sum(u[1] for u in uses.values()) or 1.0
    rows = []
    for ch, (mine, everyone, n) in uses.items():
        mix, all_mix = mine / tot, everyone / all_tot
        ok = n >= min_n and not persona.suppressed
        idx = mix / all_mix if all_mix > 0 else None
        advice = (
            "hidden"
            if not ok
            else "more"
            if idx is not None and idx >= 1.2
            else "less"
            if idx is not None and idx <= 0.8
            else "keep"
        )
        rows.append(
            ChannelUse(
                channel=ch,
                share=mine if ok else None,
                overall=everyone,
                index=idx if ok else None,
                suggested_budget_share=mix if ok else None,
                advice=advice,
                n=n if ok else None,
            )
        )
    rows.sort(key=lambda r: (-(r.index or 0), r.channel))
    persona.channels = rows
    more = [r.channel for r in rows if r.advice == "more"]
    less = [r.channel for r in reversed(rows) if r.advice == "less"]
    if more or less:
        persona.spend_shift = (
            "Shift spend "
            + (f"away from {', '.join(less[:3])} " if less else "")
            + (f"towards {', '.join(more[:3])}" if more else "")
        ).strip() + "."


def _quotes(
    sub: pd.DataFrame,
    dist: np.ndarray,
    columns: list[Column],
    interviews: pd.DataFrame | None,
    n_quotes: int,
) -> list[Quote]:
    """Free-text answers of the ``n_quotes`` members nearest the persona centre, then up to two
    interview notes of the nearest interviewed members (scrubbed of e-mails and numbers)."""
    order = np.argsort(dist, kind="stable")
    texts = [c.name for c in columns if c.role == "text"]
    notes: dict[str, list[str]] = {}
    if interviews is not None and len(interviews) and "text" in interviews.columns:
        key = "respondent" if "respondent" in interviews.columns else "customer_id"
        for k, t in zip(interviews[key].astype(str), interviews["text"], strict=True):
            notes.setdefault(k, []).append(str(t))
    found: list[Quote] = []
    seen: set[str] = set()

    def take(src: str, text: Any, rank: int) -> bool:
        if not isinstance(text, str) or len(text.strip()) < 12:
            return False
        clean = scrub(text)
        if clean.lower() in seen:
            return False
        seen.add(clean.lower())
        row = sub.iloc[order[rank - 1]]
        who = {k: row[k] if k in sub.columns else None for k in ("respondent", "customer_id")}
        found.append(
            Quote(
                text=clean,
                source=src,
                rank=rank,
                respondent=None if who["respondent"] is None else str(who["respondent"]),
                customer_id=None if who["customer_id"] is None else str(who["customer_id"]),
            )
        )
        return True

    for rank, i in enumerate(order[: 50 * n_quotes], start=1):
        row = sub.iloc[i]
        if any(take(q, row[q], rank) for q in texts) and len(found) >= n_quotes:
            break
    heard = 0
    for rank, i in enumerate(order, start=1):
        if heard >= 2 or not notes:
            break
        row = sub.iloc[i]
        ids = {str(row[k]) for k in ("respondent", "customer_id") if k in sub.columns}
        for k in sorted(ids):
            if any(take("interview", t, rank) for t in notes.get(k, [])):
                heard += 1
                break
    return found


def _profile(stats: _Stats, min_n: int, hidden: bool) -> dict[str, float]:
    """Every answer's share (``question=answer``) and every mean, for matching runs and the
    side-by-side overview; figures resting on fewer than ``min_n`` people are left out."""
    prof: dict[str, float] = {}
    if hidden:
        return prof
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
    each persona's share (or mean); None where a figure rests on too few people."""
    keys: dict[tuple[str, str | None], str] = {}
    for p in personas:
        for s in p.statements:
            keys.setdefault((s.evidence.question, s.evidence.answer), s.section)
    rows = []
    for (q, a), section in keys.items():
        key = q if a is None else f"{q}={a}"
        values = {str(p.persona_id): p.profile.get(key) for p in personas}
        rows.append({"section": section, "question": q, "answer": a, "values": values})
    order = {"who": 0, "why": 1, "what": 2, "behaviour": 3}
    rows.sort(key=lambda r: (order.get(r["section"], 9), r["question"], r["answer"] or ""))
    return {"rows": rows}
