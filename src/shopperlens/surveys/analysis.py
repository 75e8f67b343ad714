"""Survey analysis: distributions, cross-tabs, free-text themes, income adjustment,
representativeness. Pure pandas/scikit-learn over :func:`responses_frame`-shaped frames.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from shopperlens.personas.scrubbing import MASKS
from shopperlens.surveys.definition import Survey
from shopperlens.surveys.stopwords import stop_words

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
    #: share of the members whose answer uses at least one of the name's terms: "56 % —
    #: delivery / late" reads as "56 % said so", and this says how many of them did
    name_coverage: float = 0.0


#: fewer non-empty answers than this give no themes: a topic model of three answers says nothing
MIN_TEXTS = 4
#: the words of a theme: scikit-learn's, with each mask that ``scrub`` writes (``[number]``,
#: ``[name]`` …, :data:`~shopperlens.personas.scrubbing.MASKS`) read as one word, so it can be
#: a stop word without "number" or "name" said in an answer becoming one. Answers are scrubbed
#: before the themes are found (a name or a street must never name a theme), and a theme was
#: once named "unter number" after the masked phone numbers of its answers.
_TOKENS = "(?u)" + "".join(f"{re.escape(mask)}|" for mask in MASKS) + r"\b\w\w+\b"


def themes(
    texts: list[str] | pd.Series,
    *,
    n_themes: int = 4,
    n_terms: int = 6,
    n_examples: int = 3,
    random_state: int = 0,
    language: str | None = None,
) -> list[Theme]:
    """Free-text themes by TF-IDF and non-negative matrix factorisation (NMF).

    ``language`` (the survey's BCP 47 tag) adds that language's function words to the
    English stop words (:mod:`shopperlens.surveys.stopwords`): a German survey's themes were
    named "die" and "nach / zu".

    Each answer is weighted by TF-IDF (English stop words and the masks of personal data such
    as ``[number]`` removed: :data:`_TOKENS`; words and word pairs); NMF
    factors the matrix into up to ``n_themes`` topics. A theme's ``top_terms`` are its heaviest
    terms (none below :data:`TERM_FLOOR` of the heaviest); ``share`` is the share of answers
    whose strongest topic it is (its ``members``); its name is made of the top terms that its
    members say (see :func:`_name`: each used by at least :data:`SAID_FLOOR` of them, the most
    used first), and ``name_coverage`` is the share of members using at least one of them.
    NMF weights follow TF-IDF, so a term few answers use but weigh heavily on can top a topic
    most of whose answers never say it: a theme of 30 complaints about delivery was named
    "post slow", a pair 5 of them used. ``examples`` are the answers that load most on it, so
    an answer is the example of one theme at most. Lee & Seung (1999), "Learning the parts of
    objects by non-negative matrix factorization", Nature 401.

    Only themes some answer has as its strongest are shown, each name once
    (:func:`_distinct_themes`), and there are never more topics than distinct answers (as
    TF-IDF sees them): asked for four themes of three distinct comments, NMF listed one of them
    three times, twice with a share of 0 and no examples. scikit-learn's numeric
    warnings (a reconstruction error of ``sqrt`` of a rounding-negative number, a solver not
    quite converged) are silenced here only: the weights used are checked to be finite.
    """
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

    docs = [
        t.strip() for t in pd.Series(list(texts), dtype=object).dropna().astype(str) if t.strip()
    ]
    if len(docs) < MIN_TEXTS:
        return []
    vec = TfidfVectorizer(
        stop_words=sorted(ENGLISH_STOP_WORDS | set(MASKS) | stop_words(language)),
        token_pattern=_TOKENS,
        ngram_range=(1, 2),
        min_df=2,
        max_df=0.9,
        sublinear_tf=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        try:
            x = vec.fit_transform(docs)
        except ValueError:  # every word is a stop word or too rare
            return []
        k = min(n_themes, x.shape[1], len(docs) - 1, _distinct_rows(x))
        if k < 1:
            return []
        model = NMF(n_components=k, init="nndsvda", random_state=random_state, max_iter=500)
        w = model.fit_transform(x)
    w = np.where(np.isfinite(w), w, 0.0)  # an answer with a broken loading has no topic
    components = np.where(np.isfinite(model.components_), model.components_, 0.0)
    terms = np.asarray(vec.get_feature_names_out())
    # which answer uses which term: a TF-IDF weight is never 0 for a term the vectorizer's own
    # analyzer (tokens, stop words, word pairs) finds in the answer, so this is its tokenising
    uses = (x > 0).tocsr().astype(float)
    strongest = w.argmax(axis=1)
    has_topic = w.max(axis=1) > 0
    found = []
    for t in range(k):
        mine = (strongest == t) & has_topic
        top = _top_terms(terms, components[t], n_terms)
        name = _spoken_name(top, terms, components[t], _coverage(uses, mine), n_terms)
        found.append((name, [term for term, _ in top], mine, t))
    out = []
    for name, top_terms, mine, cols in _distinct_themes(found):
        loading = w[:, cols].max(axis=1)
        out.append(
            Theme(
                theme=name,
                top_terms=top_terms,
                share=float(mine.mean()),
                examples=_examples(docs, loading, mine, n_examples),
                members=np.flatnonzero(mine).tolist(),
                name_coverage=_name_coverage(uses, mine, name, vec.vocabulary_),
            )
        )
    out.sort(key=lambda th: th.share, reverse=True)
    return out


def _distinct_rows(x: Any) -> int:
    """How many different non-empty TF-IDF rows a (sparse) matrix has: the most topics its
    answers can tell apart ("The sole broke" and "sole broke!" are one row)."""
    x = x.tocsr()
    rows = {
        (tuple(x.indices[a:b]), tuple(np.round(x.data[a:b], 9)))
        for a, b in zip(x.indptr[:-1], x.indptr[1:], strict=True)
        if b > a
    }
    return len(rows)


def _distinct_themes(
    found: list[tuple[str, list[str], np.ndarray, int]],
) -> list[tuple[str, list[str], np.ndarray, list[int]]]:
    """The topics worth showing: ``(name, top_terms, members mask, component)`` per topic in,
    ``(name, top_terms, members mask, components)`` per theme out.

    A topic no answer has as its strongest is dropped (a share of 0 with no examples says
    nothing); topics of one name are merged into one theme, its answers those of all of them
    and its top terms those of the largest (two themes "shipping expensive" read as two
    complaints where there is one).
    """
    by_name: dict[str, list[tuple[list[str], np.ndarray, int]]] = {}
    for name, top_terms, mine, col in found:
        if mine.any() and name:
            by_name.setdefault(name, []).append((top_terms, mine, col))
    out = []
    for name, parts in by_name.items():
        largest = max(parts, key=lambda p: int(p[1].sum()))
        mine = np.logical_or.reduce([p[1] for p in parts])
        out.append((name, largest[0], mine, [p[2] for p in parts]))
    return out


#: a term weighing less than this share of a theme's heaviest term is not one of its top terms:
#: NMF leaves every term some weight, and one at 0.01 of the top says nothing about the theme
TERM_FLOOR = 0.1
#: a term in a theme's name weighs at least this share of its heaviest term ("great price" at
#: 0.017 against "expensive" at 0.918 named a complaint about prices "great price")
NAME_FLOOR = 0.5
#: a word pair stands in for its words in a name only when it weighs at least this share of
#: each, and is used by at least this share of the members using each (else the words say more
#: than the pair, and the pair is left out)
PAIR_COMPARABLE = 0.8
#: a term in a theme's name is used by at least this share of the theme's members: a quarter,
#: so a theme worded many ways ("late", "slow", "took ages" for one complaint about delivery)
#: is still named by its words, while a term only a few of its answers use is not
SAID_FLOOR = 0.25


def _top_terms(terms: np.ndarray, weights: np.ndarray, n_terms: int) -> list[tuple[str, float]]:
    """The theme's ``n_terms`` heaviest terms with their weights, none below
    :data:`TERM_FLOOR` of the heaviest (nor at zero)."""
    order = np.argsort(weights)[::-1][:n_terms]
    top = float(weights[order[0]]) if len(order) else 0.0
    return [
        (str(terms[i]), float(weights[i]))
        for i in order
        if weights[i] > 0 and weights[i] >= TERM_FLOOR * top
    ]


def _coverage(uses: Any, mine: np.ndarray) -> np.ndarray:
    """Per term (vectorizer column), the share of the members ``mine`` whose answer uses it
    (0 for a theme without members)."""
    if not mine.any():
        return np.zeros(uses.shape[1])
    return np.asarray(uses[np.flatnonzero(mine)].mean(axis=0)).ravel()


def _spoken_name(
    top: list[tuple[str, float]],
    terms: np.ndarray,
    weights: np.ndarray,
    said: np.ndarray,
    n_terms: int,
) -> str:
    """A theme's name from the top terms its members say (:func:`_name`).

    When none of them is used by :data:`SAID_FLOOR` of the members (the topic is about a few
    of the answers that fall to it: five answers saying only "Posten." made a topic that 25
    complaints about delivery fell to as well), the ``n_terms`` terms the members use most
    name it by the same rules, their share standing for weight; and when none of those
    reaches the floor either, the one term most of them use (the heavier in the topic of a
    tie). Its low ``name_coverage`` then says how loosely the theme holds.
    """
    column = {str(term): i for i, term in enumerate(terms)}
    name = _name(top, {term: float(said[column[term]]) for term, _ in top})
    if name or not top:
        return name
    order = np.lexsort((-weights, -said))[: max(n_terms, 1)]
    most_said = [(str(terms[i]), float(said[i])) for i in order]
    return _name(most_said, dict(most_said)) or most_said[0][0]


def _name(top: list[tuple[str, float]], said: Mapping[str, float] | None = None) -> str:
    """A theme's name: up to three of its top terms, each at least :data:`NAME_FLOOR` of the
    heaviest and, given ``said`` (term -> share of the theme's members using it), used by at
    least :data:`SAID_FLOOR` of them, the most used first; the weight floor is taken from the
    heaviest term so used, so a rare heavy term neither names the theme nor silences the
    words most of its answers say. A word pair replaces the words of it that are also named
    (``took long`` rather than ``long / took long / took``) only when it weighs about as much as
    each of them and is said by about as many (:data:`PAIR_COMPARABLE`); otherwise the pair is
    dropped and its words speak (a pair five of thirty members used named their theme).
    Without ``said`` every term counts as used by all the members."""

    def used(term: str) -> float:
        return 1.0 if said is None else said.get(term, 0.0)

    spoken = [(term, wt) for term, wt in top if used(term) >= SAID_FLOOR]
    if not spoken:
        return ""
    heaviest = max(wt for _, wt in spoken)
    kept = {term: wt for term, wt in spoken if wt >= NAME_FLOOR * heaviest}
    for pair, wt in list(kept.items()):
        if " " not in pair or pair not in kept:
            continue
        words = [word for word in pair.split() if word in kept]
        if all(
            wt >= PAIR_COMPARABLE * kept[word] and used(pair) >= PAIR_COMPARABLE * used(word)
            for word in words
        ):
            for word in words:
                del kept[word]
        else:
            del kept[pair]
    named = sorted(kept, key=used, reverse=True)  # stable: the heavier first among equals
    return " / ".join(named[:3])


def _name_coverage(uses: Any, mine: np.ndarray, name: str, vocabulary: Mapping[str, int]) -> float:
    """Share of the members ``mine`` whose answer uses at least one of the terms of ``name``
    (terms are words and word pairs of word characters, so `` / `` only separates them)."""
    columns = [vocabulary[term] for term in name.split(" / ") if term in vocabulary]
    if not mine.any() or not columns:
        return 0.0
    said = uses[np.flatnonzero(mine)][:, columns].sum(axis=1)
    return float(np.mean(np.asarray(said).ravel() > 0))


def _examples(docs: list[str], loading: np.ndarray, mine: np.ndarray, n: int) -> list[str]:
    """Up to ``n`` of the theme's own answers (those whose strongest theme it is), the ones
    loading most on it first, each wording once. Answers of other themes are never examples
    here: "fast shipping great price" loads a little on a theme about prices being too high,
    and stood as its example."""
    out: list[str] = []
    for i in np.argsort(loading)[::-1]:
        if len(out) == n:
            break
        if mine[i] and loading[i] > 0 and docs[i] not in out:
            out.append(docs[i])
    return out


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
