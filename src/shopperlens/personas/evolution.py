"""Personas evolve: match a new run to the previous one and say what grew, shrank, vanished or
appeared.

Two runs are matched by the Hungarian algorithm (``scipy.optimize.linear_sum_assignment``) on a
similarity between every old and every new persona:

* **members** — when at least ``min_common`` respondents are in both runs, the Jaccard overlap
  of the two personas' members, counted over those common respondents (newcomers cannot count
  against a match);
* **profile** — otherwise, how close the answer profiles are: ``1 - RMS / 0.25`` over the answers
  both runs know (shares 0–1; numbers as relative differences), floored at 0.

A pair below ``min_similarity`` is no match: the old persona vanished and the new one appeared.
A matched persona grew or shrank when its share of respondents moved by at least
``share_tolerance`` (2 percentage points by default) *and* its number of people moved the same
way; else it is stable. A share moves on its own when other personas come or go: a persona
whose members are all still there falls from 40 % to 30 % when a new persona takes a quarter of
the respondents. That persona did not shrink, so it is stable, with a ``note`` saying why its
share moved. The size and share of a persona too small to show (``suppressed``) are used for
matching but never reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel
from scipy.optimize import linear_sum_assignment

Status = Literal["grew", "shrank", "stable", "vanished", "appeared"]


class PersonaRef(BaseModel):
    """What evolution needs to know about one persona of a run."""

    persona_id: int
    name: str
    size: int
    share: float
    profile: dict[str, float] = {}
    #: too small to show: its size and share are left out of the changes reported
    suppressed: bool = False

    def shown(self) -> tuple[int | None, float | None]:
        """Size and share as they may be reported (None for a suppressed persona)."""
        return (None, None) if self.suppressed else (self.size, self.share)


class PersonaChange(BaseModel):
    status: Status
    previous_id: int | None = None
    previous_name: str | None = None
    previous_size: int | None = None
    previous_share: float | None = None
    current_id: int | None = None
    current_name: str | None = None
    current_size: int | None = None
    current_share: float | None = None
    similarity: float | None = None
    note: str | None = None


class Evolution(BaseModel):
    previous_run: int | None
    current_run: int | None
    basis: Literal["members", "profile", "none"]
    changes: list[PersonaChange]

    def summary(self) -> str:
        counts = pd.Series([c.status for c in self.changes]).value_counts()
        return ", ".join(f"{v} {k}" for k, v in counts.items()) or "no personas"


def _profile_similarity(a: dict[str, float], b: dict[str, float]) -> float:
    keys = sorted(set(a) & set(b))
    if not keys:
        return 0.0
    diffs = []
    for k in keys:
        x, y = a[k], b[k]
        if "=" in k:
            diffs.append(x - y)
        else:
            scale = max(abs(x), abs(y)) or 1.0
            diffs.append((x - y) / scale)
    rms = float(np.sqrt(np.mean(np.square(diffs))))
    return max(0.0, 1.0 - rms / 0.25)


def similarity_matrix(
    previous: Sequence[PersonaRef],
    current: Sequence[PersonaRef],
    previous_members: pd.DataFrame | None = None,
    current_members: pd.DataFrame | None = None,
    *,
    min_common: int = 10,
) -> tuple[np.ndarray, Literal["members", "profile"]]:
    """Similarity of every previous (rows) to every current (columns) persona, and its basis.

    ``*_members`` have columns ``respondent`` and ``persona_id``.
    """
    sim = np.zeros((len(previous), len(current)))
    if previous_members is not None and current_members is not None:
        old = previous_members.drop_duplicates("respondent").set_index("respondent")["persona_id"]
        new = current_members.drop_duplicates("respondent").set_index("respondent")["persona_id"]
        common = old.index.intersection(new.index)
        if len(common) >= min_common:
            o, n = old.loc[common].to_numpy(), new.loc[common].to_numpy()
            for i, p in enumerate(previous):
                a = o == p.persona_id
                for j, c in enumerate(current):
                    b = n == c.persona_id
                    union = int((a | b).sum())
                    sim[i, j] = (a & b).sum() / union if union else 0.0
            return sim, "members"
    for i, p in enumerate(previous):
        for j, c in enumerate(current):
            sim[i, j] = _profile_similarity(p.profile, c.profile)
    return sim, "profile"


def compare_runs(
    previous: Sequence[PersonaRef],
    current: Sequence[PersonaRef],
    previous_members: pd.DataFrame | None = None,
    current_members: pd.DataFrame | None = None,
    *,
    previous_run: int | None = None,
    current_run: int | None = None,
    min_similarity: float = 0.3,
    share_tolerance: float = 0.02,
) -> Evolution:
    """Match ``current`` personas to ``previous`` ones and classify every change."""
    if not previous:
        changes = [_appeared(c) for c in current]
        return Evolution(
            previous_run=previous_run, current_run=current_run, basis="none", changes=changes
        )
    sim, basis = similarity_matrix(previous, current, previous_members, current_members)
    rows, cols = linear_sum_assignment(-sim)
    matched_prev, matched_cur = set(), set()
    changes: list[PersonaChange] = []
    for i, j in zip(rows, cols, strict=True):
        if sim[i, j] < min_similarity:
            continue
        p, c = previous[i], current[j]
        matched_prev.add(i)
        matched_cur.add(j)
        status = _status(p, c, share_tolerance)
        (p_size, p_share), (c_size, c_share) = p.shown(), c.shown()
        changes.append(
            PersonaChange(
                status=status,
                previous_id=p.persona_id,
                previous_name=p.name,
                previous_size=p_size,
                previous_share=p_share,
                current_id=c.persona_id,
                current_name=c.name,
                current_size=c_size,
                current_share=c_share,
                similarity=float(sim[i, j]),
            )
        )
    for i, p in enumerate(previous):
        if i not in matched_prev:
            p_size, p_share = p.shown()
            changes.append(
                PersonaChange(
                    status="vanished",
                    previous_id=p.persona_id,
                    previous_name=p.name,
                    previous_size=p_size,
                    previous_share=p_share,
                    similarity=float(sim[i].max()) if sim.shape[1] else None,
                )
            )
    changes += [_appeared(c) for j, c in enumerate(current) if j not in matched_cur]
    _explain_shares(changes, previous, current, share_tolerance)
    changes.sort(key=lambda ch: (ch.current_id is None, ch.current_id or 0, ch.previous_id or 0))
    return Evolution(
        previous_run=previous_run, current_run=current_run, basis=basis, changes=changes
    )


def _status(p: PersonaRef, c: PersonaRef, tolerance: float) -> Status:
    """grew / shrank when the share moved by ``tolerance`` and the people the same way."""
    delta = c.share - p.share
    if delta >= tolerance and c.size > p.size:
        return "grew"
    if delta <= -tolerance and c.size < p.size:
        return "shrank"
    return "stable"


def _explain_shares(
    changes: list[PersonaChange],
    previous: Sequence[PersonaRef],
    current: Sequence[PersonaRef],
    tolerance: float,
) -> None:
    """Note on each stable persona whose share still moved by ``tolerance``: its people did not
    move with it, the other personas did (one appeared or vanished, or the others gained or
    lost respondents). Sizes are named only for personas big enough to show."""
    appeared = [c.current_name for c in changes if c.status == "appeared" and c.current_name]
    vanished = [c.previous_name for c in changes if c.status == "vanished" and c.previous_name]
    before = {p.persona_id: p for p in previous}
    now = {c.persona_id: c for c in current}
    for ch in changes:
        if ch.status != "stable" or ch.previous_id is None or ch.current_id is None:
            continue
        p, c = before[ch.previous_id], now[ch.current_id]
        delta = c.share - p.share
        if abs(delta) < tolerance:
            continue
        ch.note = _share_note(p, c, appeared if delta < 0 else vanished, delta < 0)


def _share_note(p: PersonaRef, c: PersonaRef, others: list[str], fell: bool) -> str:
    """Why a persona's share moved while its number of people did not, in one sentence (the
    number, not who: a run matched by answer profiles shares no respondents to compare)."""
    moved = "fell" if fell else "rose"
    people = (
        ""
        if p.suppressed or c.suppressed
        else f" ({p.size:,} people then, {c.size:,} now)"
        if p.size != c.size
        else f" ({c.size:,} then and now)"
    )
    if others:
        names = ", ".join(others)
        cause = (
            f"the new persona {names} took a share of its own"
            if fell
            else f"the persona {names} is gone"
        )
        if len(others) > 1:
            cause = f"the new personas {names} took shares" if fell else f"{names} are gone"
    else:
        cause = "the other personas gained respondents" if fell else "the others lost respondents"
    return f"its share {moved} but its number of people did not{people}: {cause}"


def _appeared(c: PersonaRef) -> PersonaChange:
    size, share = c.shown()
    return PersonaChange(
        status="appeared",
        current_id=c.persona_id,
        current_name=c.name,
        current_size=size,
        current_share=share,
    )
