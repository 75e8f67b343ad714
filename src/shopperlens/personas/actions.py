"""What the shop should do for a persona, from the answers that set it apart.

A persona's card says who its members are and why they buy; an action says what to change
for them ("67% want eco-friendly products (vs 21% overall): lead with materials and sourcing
in the e-mails and product pages they get"). Actions come from a small table,
``personas/data/actions.yaml``, keyed by the question bank's questions and answers
(:func:`table`): a persona gets one only for an answer it gives clearly more often than
everyone (the answers its name and trait are drawn from), and only when the card shows the
statement it rests on. An answer the table does not know gives nothing: no action is guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from shopperlens import _yaml as yaml12
from shopperlens.personas.naming import Distinctive, answer_code

if TYPE_CHECKING:
    from shopperlens.personas.synthesis import Statement

#: the most actions a persona gets: a handful the shop can act on, strongest first
MAX_ACTIONS = 4


class Action(BaseModel):
    """One thing to do for a persona, in words tied to the answer it follows from."""

    text: str = Field(description="the evidence and what to do, in one sentence")
    do: str = Field(description="what to do, without the evidence")
    topic: str = Field(description="what the action is about (price, shipping, eco …)")
    question: str = Field(description="the question whose answer sets the persona apart")
    answer: str = Field(description="that answer, or +/- for a scale above/below average")
    command: str | None = Field(None, description="the shopperlens command that helps")


@dataclass(frozen=True)
class _Entry:
    topic: str
    do: str
    command: str | None


@cache
def table() -> dict[tuple[str, str], _Entry]:
    """The action table by ``(question, answer)`` (``personas/data/actions.yaml``)."""
    text = resources.files("shopperlens.personas").joinpath("data/actions.yaml").read_text("utf-8")
    raw = yaml12.load_text(text)
    return {
        (question, str(answer)): _Entry(
            str(entry["topic"]), str(entry["do"]), entry.get("command") or None
        )
        for question, answers in raw.items()
        for answer, entry in answers.items()
    }


def actions_for(
    distinct: Sequence[Distinctive], statements: Sequence[Statement], suppressed: bool = False
) -> list[Action]:
    """Up to :data:`MAX_ACTIONS` actions for a persona, strongest answer first, one per topic.

    ``distinct`` are the persona's distinctive answers (strongest first) and ``statements``
    its :class:`~shopperlens.personas.synthesis.Statement` list: an action needs both a table
    entry for the answer and a shown statement of it, whose words it repeats. A persona too
    small to describe (``suppressed``) gets none: it shows no answers to act on.
    """
    if suppressed:
        return []
    entries = table()
    found: list[Action] = []
    topics: set[str] = set()
    for d in distinct:
        code = d.answer if d.answer in {"+", "-"} else answer_code(d.answer)
        entry = entries.get((d.question, code))
        if entry is None or entry.topic in topics:
            continue
        said = _statement_text(d, statements)
        if said is None:
            continue
        topics.add(entry.topic)
        found.append(
            Action(
                text=f"{said}: {entry.do}",
                do=entry.do,
                topic=entry.topic,
                question=d.question,
                answer=d.answer,
                command=entry.command,
            )
        )
        if len(found) >= MAX_ACTIONS:
            break
    return found


def _statement_text(d: Distinctive, statements: Sequence[Statement]) -> str | None:
    """The shown statement an answer's action rests on (its text), or None when there is none:
    a withheld figure, or a number whose statement is its median rather than its mean."""
    numeric = d.answer in {"+", "-"}
    for s in statements:
        ev = s.evidence
        if ev.question != d.question or ev.suppressed or ev.value is None:
            continue
        if (numeric and ev.measure == "mean") or (not numeric and ev.answer == d.answer):
            return s.text
    return None
