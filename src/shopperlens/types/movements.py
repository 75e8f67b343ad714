"""Movements between types across two dates, and a subject's history (pure pandas).

A state is the primary type, except that a loyal customer with no order for
``windows.lapsed_days`` shows as **lapsed** (still loyal by history, but drifting away), and a
subject that did not exist yet at the earlier date shows as **unseen**. The shop sees
"looker → new → loyal" and "loyal → lapsed" as rows of one matrix.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopperlens.types.config import TYPES, UNTYPED

LAPSED = "lapsed"
UNSEEN = "unseen"
#: rows/columns of a transition matrix, in reading order
STATES: tuple[str, ...] = (UNSEEN, UNTYPED, "looker", "new", "need_based", "impulse", "loyal",
                           LAPSED)  # fmt: skip


def states(run: pd.DataFrame, *, lapsed_days: float) -> pd.Series:
    """The state of each subject of a stored run (indexed by ``subject_id``)."""
    lapsed = (run["type"] == "loyal") & (run["recency_days"].astype("float64") > lapsed_days)
    s = run["type"].where(~lapsed, LAPSED)
    return pd.Series(s.to_numpy(dtype=object), index=run["subject_id"].to_numpy(), name="state")


def _as_later(a: pd.Series, same_as: dict[str, str]) -> pd.Series:
    """Earlier states under the later subject ids: an anonymous visitor whose link to a
    customer became known between the runs is that customer. Where several earlier subjects
    are one later (the customer itself, its visitors), a typed state wins over untyped, then
    the customer's own row."""
    if not same_as:
        return a
    later = a.index.map(lambda s: same_as.get(s, s))
    df = pd.DataFrame({"state": a.to_numpy(), "own": a.index == later}, index=later)
    df = df.assign(rank=(df["state"] == UNTYPED).astype(int) * 2 + (~df["own"]).astype(int))
    df = df.sort_values("rank", kind="stable")
    df = df[~df.index.duplicated(keep="first")]
    return df["state"].rename("state")


def transition_matrix(
    before: pd.DataFrame,
    after: pd.DataFrame,
    *,
    lapsed_days: float,
    same_as: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts of subjects moving from each state at the earlier run to each at the later.

    ``same_as`` maps an earlier subject id to the later one of the same person (an anonymous
    ``visitor:<id>`` to the customer it turned out to be). Returns ``(matrix, moves)``:
    ``matrix`` is indexed by the earlier state with one column per later state (only states
    that occur); ``moves`` lists every subject with both states.
    """
    a = _as_later(states(before, lapsed_days=lapsed_days), same_as or {})
    b = states(after, lapsed_days=lapsed_days)
    joined = pd.DataFrame({"to": b}).join(pd.DataFrame({"from": a}), how="outer")
    joined["from"] = joined["from"].fillna(UNSEEN)
    joined["to"] = joined["to"].fillna(UNSEEN)
    joined.index.name = "subject_id"
    order = [s for s in STATES if s in set(joined["from"]) | set(joined["to"])]
    order += sorted((set(joined["from"]) | set(joined["to"])) - set(order))
    matrix = pd.crosstab(joined["from"], joined["to"]).reindex(
        index=order, columns=order, fill_value=0
    )
    matrix = matrix.loc[(matrix.sum(axis=1) > 0), (matrix.sum(axis=0) > 0)]
    moves = joined.reset_index()[["subject_id", "from", "to"]]
    return matrix.astype("int64"), moves


def distribution(run: pd.DataFrame) -> pd.DataFrame:
    """How many subjects of each type, with their share (types in the canonical order)."""
    counts = run["type"].value_counts()
    order = [*TYPES, UNTYPED]
    n = np.array([int(counts.get(t, 0)) for t in order])
    total = max(int(n.sum()), 1)
    return pd.DataFrame({"type": order, "subjects": n, "share": n / total})
