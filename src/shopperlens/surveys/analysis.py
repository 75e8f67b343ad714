"""Survey analysis: distributions, cross-tabs, free-text themes, income adjustment,
representativeness. Pure pandas/scikit-learn over :func:`responses_frame`-shaped frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from shopperlens.surveys.definition import Survey

CHOICE_KINDS = ("single", "multi", "scale")


def _long(frame: pd.DataFrame, qid: str) -> pd.Series:
    """Answers of one question as a flat series (multi-selects exploded), blanks dropped."""
    s = frame[qid].dropna()
    if s.map(lambda v: isinstance(v, list)).any():
        s = s.explode().dropna()
    return s


def distributions(frame: pd.DataFrame, survey: Survey) -> pd.DataFrame:
    """Counts and shares of every choice/scale answer.

    ``share`` is the share of the question's respondents who gave the answer, so the shares of
    a multi-select question can add up to more than 1.
    """
    rows = []
    for q in survey.questions:
        if q.kind not in CHOICE_KINDS or q.id not in frame:
            continue
        answered = int(frame[q.id].notna().sum())
        values = _long(frame, q.id)
        levels = _scale_levels(q.min, q.max) if q.kind == "scale" else list(q.choices or [])
        counts = values.value_counts()
        for level in levels:
            n = int(counts.get(level, 0))
            rows.append(
                {
                    "question": q.id,
                    "group": q.group,
                    "kind": q.kind,
                    "value": str(int(level)) if q.kind == "scale" else str(level),
                    "count": n,
                    "share": n / answered if answered else None,
                    "answered": answered,
                }
            )
    return pd.DataFrame(
        rows, columns=["question", "group", "kind", "value", "count", "share", "answered"]
    )


def _scale_levels(low: float | None, high: float | None) -> list[float]:
    """Every point of a scale. A bound of 0 is a bound (0–10 NPS scales): only a missing one
    falls back to the 1–5 default, never a falsy one."""
    low = 1 if low is None else low
    high = 5 if high is None else high
    return [float(v) for v in range(int(low), int(high) + 1)]


def numbers(frame: pd.DataFrame, survey: Survey) -> pd.DataFrame:
    """Mean, median and quartiles of number and scale answers."""
    rows = []
    for q in survey.questions:
        if q.kind not in ("number", "scale") or q.id not in frame:
            continue
        s = pd.to_numeric(frame[q.id], errors="coerce").dropna()
        if s.empty:
            continue
        rows.append(
            {
                "question": q.id,
                "n": len(s),
                "mean": float(s.mean()),
                "median": float(s.median()),
                "p25": float(s.quantile(0.25)),
                "p75": float(s.quantile(0.75)),
            }
        )
    return pd.DataFrame(rows, columns=["question", "n", "mean", "median", "p25", "p75"])


def crosstab(frame: pd.DataFrame, by: pd.Series, question: str) -> pd.DataFrame:
    """Share of each answer within each group (rows sum to 1 for single-choice questions).

    ``by`` is aligned with ``frame`` (for example each respondent's customer type); respondents
    without a group are left out. Columns: ``group``, ``n`` and one column per answer.
    """
    data = pd.DataFrame({"group": by.values, "answer": frame[question].values}).dropna()
    if data.empty:
        return pd.DataFrame(columns=["group", "n"])
    n = data.groupby("group").size().rename("n")
    data = data.explode("answer").dropna()
    data["answer"] = data["answer"].map(lambda v: str(int(v)) if isinstance(v, float) else str(v))
    counts = pd.crosstab(data["group"], data["answer"])
    shares = counts.div(n.reindex(counts.index), axis=0)
    return shares.join(n).reset_index().rename(columns={"index": "group"})


@dataclass
class Theme:
    """One free-text theme: its most telling terms, how common it is, answers that show it."""

    theme: str
    top_terms: list[str]
    share: float
    examples: list[str] = field(default_factory=list)
    #: positions (among the non-empty answers, in input order) of the answers whose strongest
    #: theme this is, so every theme traces back to the answers behind it
    members: list[int] = field(default_factory=list)


def themes(
    texts: list[str] | pd.Series,
    *,
    n_themes: int = 4,
    n_terms: int = 6,
    n_examples: int = 3,
    random_state: int = 0,
) -> list[Theme]:
    """Free-text themes by TF-IDF and non-negative matrix factorisation (NMF).

    Each answer is weighted by TF-IDF (English stop words removed, words and word pairs); NMF
    factors the matrix into ``n_themes`` topics. A theme is named by its top terms; ``share``
    is the share of answers whose strongest topic it is; ``examples`` are the answers that load
    most on it. Lee & Seung (1999), "Learning the parts of objects by non-negative matrix
    factorization", Nature 401.
    """
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = [
        t.strip() for t in pd.Series(list(texts), dtype=object).dropna().astype(str) if t.strip()
    ]
    if len(docs) < max(4, n_themes):
        return []
    vec = TfidfVectorizer(
        stop_words="english", ngram_range=(1, 2), min_df=2, max_df=0.9, sublinear_tf=True
    )
    try:
        x = vec.fit_transform(docs)
    except ValueError:  # every word is a stop word or too rare
        return []
    k = min(n_themes, x.shape[1], len(docs) - 1)
    if k < 1:
        return []
    model = NMF(n_components=k, init="nndsvda", random_state=random_state, max_iter=500)
    w = model.fit_transform(x)
    terms = np.asarray(vec.get_feature_names_out())
    strongest = w.argmax(axis=1)
    has_topic = w.max(axis=1) > 0
    out = []
    for t in range(k):
        top = [str(s) for s in terms[np.argsort(model.components_[t])[::-1][:n_terms]]]
        order = np.argsort(w[:, t])[::-1]
        examples: list[str] = []
        for i in order:  # the best-fitting answers, each wording once
            if w[i, t] <= 0 or len(examples) == n_examples:
                break
            if docs[i] not in examples:
                examples.append(docs[i])
        mine = (strongest == t) & has_topic
        out.append(
            Theme(
                theme=_name(top),
                top_terms=top,
                share=float(mine.mean()),
                examples=examples,
                members=np.flatnonzero(mine).tolist(),
            )
        )
    out.sort(key=lambda th: th.share, reverse=True)
    return out


def _name(terms: list[str]) -> str:
    """A theme's name: its top terms, leaving out words a kept word pair already says
    (``took long`` rather than ``long / took long / took``)."""
    pairs = [t for t in terms if " " in t]
    kept = [t for t in terms if not any(t in p.split() for p in pairs if p != t)]
    return " / ".join(kept[:3])


def income_summary(stated: pd.Series, factor: float) -> dict[str, float | int | None]:
    """Stated and adjusted income side by side.

    People overstate their income even in anonymous surveys, so the adjusted figures are the
    stated ones times ``factor`` (``Settings.income_adjustment``, 0.9 by default = 10 % lower).
    """
    s = pd.to_numeric(stated, errors="coerce").dropna()
    if s.empty:
        return {
            "n": 0,
            "factor": factor,
            "stated_mean": None,
            "stated_median": None,
            "adjusted_mean": None,
            "adjusted_median": None,
        }
    return {
        "n": int(len(s)),
        "factor": factor,
        "stated_mean": float(s.mean()),
        "stated_median": float(s.median()),
        "adjusted_mean": float(s.mean() * factor),
        "adjusted_median": float(s.median() * factor),
    }


def compare_shares(
    sample: pd.Series, population: pd.Series, *, dimension: str, min_gap: float = 0.0
) -> pd.DataFrame:
    """Share of each value in a sample next to its share in the population, and the gap."""
    a = sample.dropna().astype(str).value_counts(normalize=True)
    b = population.dropna().astype(str).value_counts(normalize=True)
    idx = a.index.union(b.index)
    out = pd.DataFrame(
        {
            "dimension": dimension,
            "value": idx,
            "respondents": a.reindex(idx, fill_value=0.0).values,
            "base": b.reindex(idx, fill_value=0.0).values,
        }
    )
    out["gap"] = out["respondents"] - out["base"]
    out = out[out["gap"].abs() >= min_gap]
    return out.sort_values("gap", key=abs, ascending=False).reset_index(drop=True)
