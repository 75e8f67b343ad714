"""Whether a run's personas are reliable enough to act on, or only provisional.

k-means always returns the number of groups asked for, even from answers with no groups in
them: 24 respondents answering at random came back as four named personas. Two checks say
whether the groups are real:

* **stability** — the mean adjusted Rand index between the personas and k-means refitted on
  bootstrap resamples of the respondents (``PersonaClustering.stability_["ari"]``). 1 is the
  same groups every time, 0 is what chance gives. Under :data:`RELIABLE_STABILITY` (0.5) the
  resampled groups agree with the personas less than halfway from chance to identical: which
  persona someone lands in depends on who else happened to answer.
* **structure** — the silhouette of the personas against the silhouette k-means reaches on the
  same answers shuffled question by question (each question keeps its answers, but who gave
  which is random, so there are no groups to find; the gap statistic's idea, Tibshirani et al.
  2001). Real groups are much tighter: the demo shop's planted personas score 3×, the Customer
  Personality Analysis file 6×, and answers given at random about 1× (0.07 against 0.07). Under
  :data:`STRUCTURE_RATIO` (1.5×) the groups are no tighter than chance makes them. This check
  matters for large surveys: k-means cuts a big cloud of random answers the same way on every
  resample (600 random respondents gave a stability of 0.7), so stability alone passes them.

A run failing either check is *provisional*: its personas are shown, marked as not reliable.

A third check looks at the personas side by side: **near-duplicates**. Asked for more groups
than the answers hold, k-means cuts one real group in two, and both halves give the same
answers: two cards that read alike, each with half the people. Two personas whose answers are
under :data:`NEAR_DUPLICATE_DISTANCE` apart on average (:func:`answer_distance`: 0 is the same
mix of answers, 1 no answer in common) are flagged (:func:`near_duplicates`), with the advice
to build fewer personas. The demo shop's four planted personas are 0.57 or more apart.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from shopperlens.errors import InsufficientDataError
from shopperlens.models.clustering import PersonaClustering

if TYPE_CHECKING:
    from shopperlens.personas.synthesis import Persona

#: the least bootstrap adjusted Rand index at which personas count as reliable
RELIABLE_STABILITY = 0.5
#: how many times tighter (silhouette) the personas must be than groups found in shuffled answers
STRUCTURE_RATIO = 1.5
#: what a run without a stability figure (no resamples) is told
UNMEASURED = "their stability was not measured"
#: shuffled copies of the answers whose silhouettes are averaged
SHUFFLES = 3
#: respondents the shuffled fits use at most (the silhouette is measured on a sample anyway)
SHUFFLE_SAMPLE = 4000


def shuffled_silhouette(
    features: pd.DataFrame, k: int, *, random_state: int = 0, min_cluster_size: int = 5
) -> float | None:
    """Mean silhouette of ``k`` groups found, as the personas are, in ``features`` shuffled
    question by question (:data:`SHUFFLES` times): what groups in answers with no structure
    score. None when it cannot be measured (too few respondents)."""
    rng = np.random.default_rng([random_state, 7])
    sample = features
    if len(features) > SHUFFLE_SAMPLE:
        sample = features.iloc[rng.choice(len(features), SHUFFLE_SAMPLE, replace=False)]
    scores = []
    for draw in range(SHUFFLES):
        shuffled = _shuffle_columns(sample, rng)
        model = PersonaClustering(
            k, random_state=random_state + draw, n_resamples=0, min_cluster_size=min_cluster_size
        )
        try:
            model.fit(shuffled)
        except (InsufficientDataError, ValueError):  # a check that cannot run says nothing
            return None
        if np.isfinite(model.silhouette_):
            scores.append(float(model.silhouette_))
    return float(np.mean(scores)) if scores else None


def _shuffle_columns(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Each column's answers in a random order of its own: same answers, no link between them."""
    return pd.DataFrame(
        {c: frame[c].to_numpy()[rng.permutation(len(frame))] for c in frame.columns},
        index=frame.index,
    )


def _value(v: float | None) -> float:
    """A figure as a float, NaN when it is missing (every comparison with NaN is False)."""
    return float("nan") if v is None else float(v)


def _no_tighter(silhouette: float, shuffled: float) -> bool:
    """Whether the personas are under :data:`STRUCTURE_RATIO` times as tight as groups in
    shuffled answers (a shuffled silhouette of 0 or below, or none, gives no yardstick)."""
    return shuffled > 0 and silhouette < STRUCTURE_RATIO * shuffled


def problems(
    stability: float | None, silhouette: float | None, shuffled: float | None
) -> list[str]:
    """What makes a run's personas unreliable, in plain words (empty: reliable)."""
    found = []
    stable, tight, chance = _value(stability), _value(silhouette), _value(shuffled)
    if math.isnan(stable):
        found.append(UNMEASURED)
    elif stable < RELIABLE_STABILITY:
        found.append(
            f"re-drawing the respondents at random gives different groups (stability "
            f"{stable:.2f}; reliable groups score {RELIABLE_STABILITY} or more)"
        )
    if _no_tighter(tight, chance):
        found.append(
            f"they are hardly tighter than groups found in the same answers shuffled at "
            f"random (silhouette {tight:.2f} against {chance:.2f})"
        )
    return found


def reliability_note(
    stability: float | None, silhouette: float | None, shuffled: float | None
) -> str | None:
    """One line saying the personas are provisional and why; None when they are reliable."""
    found = problems(stability, silhouette, shuffled)
    if not found:
        return None
    if found == [UNMEASURED]:
        return f"Provisional: {UNMEASURED}, so these groups are not shown to be reliable."
    return (
        "Provisional: these groups are not reliable: "
        + "; ".join(f for f in found if f != UNMEASURED)
        + ". Collect more answers before acting on them."
    )


#: the mean answer distance (:func:`answer_distance`) under which two personas are flagged as
#: near-duplicates: split halves of one planted group measure 0.15-0.17, the demo shop's four
#: planted personas 0.57-0.69 apart, groups with nothing in common 0.9 and more
NEAR_DUPLICATE_DISTANCE = 0.25


def answer_distance(a: Persona, b: Persona) -> float | None:
    """How far apart two personas' answers are: per question, half the sum of the gaps
    between their shares of each answer (0: the same mix, 1: no answer in common), averaged
    over the questions both profiles hold; None when they share none. Shares resting on too
    few people are left out of a profile, and count as 0 here."""
    shares: dict[str, dict[str, list[float]]] = {}
    for side, profile in enumerate((a.profile, b.profile)):
        for key, share in profile.items():
            if "=" in key:  # (a key without one is a mean: an age, an income)
                question, answer = key.split("=", 1)
                shares.setdefault(question, {}).setdefault(answer, [0.0, 0.0])[side] = share
    gaps = [
        0.5 * sum(abs(x - y) for x, y in answers.values())
        for answers in shares.values()
        if any(x for x, _ in answers.values()) and any(y for _, y in answers.values())
    ]
    return sum(gaps) / len(gaps) if gaps else None


def near_duplicates(personas: list[Persona]) -> list[tuple[int, int]]:
    """Pairs of persona ids whose answers are under :data:`NEAR_DUPLICATE_DISTANCE` apart
    (see the module doc); personas too small to describe are left out (they show nothing)."""
    shown = [p for p in personas if not p.suppressed]
    pairs = []
    for i, a in enumerate(shown):
        for b in shown[i + 1 :]:
            distance = answer_distance(a, b)
            if distance is not None and distance < NEAR_DUPLICATE_DISTANCE:
                pairs.append((a.persona_id, b.persona_id))
    return pairs


def near_duplicates_note(personas: list[Persona]) -> str | None:
    """One line naming the near-duplicate personas and what to do; None when there are none."""
    pairs = near_duplicates(personas)
    if not pairs:
        return None
    names = {p.persona_id: p.name for p in personas}
    said = "; ".join(f"{names[a]} and {names[b]}" for a, b in pairs)
    fewer = max(2, len(personas) - _merges(pairs))
    return (
        f"Near-duplicates: {said} give almost the same answers, so they are probably one group "
        f"cut in two. Build fewer personas (shopperlens personas build --k {fewer}) and compare."
    )


def _merges(pairs: list[tuple[int, int]]) -> int:
    """How many personas fewer the near-duplicate ``pairs`` are as groups: three personas
    alike are three pairs but one group, two fewer, not three (asking for one persona too
    few merged two real groups)."""
    group: dict[int, int] = {}

    def root(i: int) -> int:
        while group.setdefault(i, i) != i:
            i = group[i]
        return i

    merged = 0
    for a, b in pairs:
        if (ra := root(a)) != (rb := root(b)):
            group[ra] = rb
            merged += 1
    return merged
