"""What the faces say about personas: one persona's Markdown, how runs compare, and where a
survey's questions show on the card.

Planted: groups whose members, answers and incomes are known, and survey definitions that put
each question in its group.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import shopperlens
from shopperlens.service import personas as svc
from shopperlens.service import surveys
from shopperlens.service.survey_results import survey_results
from shopperlens.store import Store
from shopperlens.surveys.definition import survey_from_dict

ANSWERS = {
    "a": {"values": "price", "barrier": "price", "hobbies": "diy", "motivation": "save_money"},
    "b": {"values": "quality", "barrier": "trust", "hobbies": "reading",
          "motivation": "best_quality"},
    "c": {"values": "brand", "barrier": "none", "hobbies": "fashion",
          "motivation": "treat_myself"},
}  # fmt: skip


def _groups(**sizes: int) -> pd.DataFrame:
    """``sizes[g]`` respondents ``g0``… giving group ``g``'s answers."""
    rows = [{"respondent": f"{g}{i}", **ANSWERS[g]} for g, n in sizes.items() for i in range(n)]
    return pd.DataFrame(rows)


# -- one persona's Markdown ------------------------------------------------------------------------
def test_show_one_persona_as_markdown_prints_only_that_one(db_path, cli):  # type: ignore[no-untyped-def]
    with shopperlens.open(db_path) as shop:
        run = shop.personas_build(frame=_groups(a=20, b=20), k=2)
    wanted, other = run.personas[0], run.personas[1]
    res = cli("personas", "show", wanted.first_name, "--markdown")
    assert res.exit_code == 0, res.output
    assert re.findall(r"^## (.+)$", res.output, flags=re.M) == [wanted.name]
    assert other.name not in res.output
    everyone = cli("personas", "show", "--markdown")
    assert len(re.findall(r"^## ", everyone.output, flags=re.M)) == 2


# -- how runs compare ----------------------------------------------------------------------------
def _names(run: svc.PersonaRun, store: Store, group: str) -> str:
    members = svc.members(store=store, run_id=run.run_id).set_index("respondent")
    return run.persona(int(members.loc[f"{group}0", "persona_id"])).name


def test_a_new_persona_does_not_make_the_unchanged_ones_shrink(store):  # type: ignore[no-untyped-def]
    """Run 2 adds a third group; the first two keep all their 20 people, so their shares fall
    from 50 % to 33 % without anyone leaving: they are stable, and the note says why."""
    svc.build(store=store, frame=_groups(a=20, b=20), k=2, n_resamples=0)
    second = svc.build(store=store, frame=_groups(a=20, b=20, c=20), k=3, n_resamples=0)
    new = _names(second, store, "c")
    evo = svc.diff(store=store)
    by_name = {c.current_name: c for c in evo.changes}
    assert by_name[new].status == "appeared"
    for group in ("a", "b"):
        change = by_name[_names(second, store, group)]
        assert change.status == "stable"
        assert (change.previous_size, change.current_size) == (20, 20)
        assert change.note is not None and new in change.note
        # the number of people, not who: a run matched by answer profiles shares nobody
        assert "its number of people did not (20 then and now)" in change.note


def test_a_persona_that_lost_people_shrank(store):  # type: ignore[no-untyped-def]
    svc.build(store=store, frame=_groups(a=20, b=20, c=20), k=3, n_resamples=0)
    third = svc.build(store=store, frame=_groups(a=8, b=20, c=20), k=3, n_resamples=0)
    change = next(
        c for c in svc.diff(store=store).changes if c.current_name == _names(third, store, "a")
    )
    assert change.status == "shrank"
    assert (change.previous_size, change.current_size) == (20, 8)


def test_cli_diff_shows_people_and_why(db_path, cli):  # type: ignore[no-untyped-def]
    with shopperlens.open(db_path) as shop:
        shop.personas_build(frame=_groups(a=20, b=20), k=2)
        shop.personas_build(frame=_groups(a=20, b=20, c=20), k=3)
    res = cli("personas", "diff")
    assert res.exit_code == 0, res.output
    assert "shrank" not in res.output
    assert res.output.count("took a share of its own") == 2


# -- the survey's groups and income on the card --------------------------------------------------
HOMETOWN = {
    "id": "hometown",
    "kind": "single",
    "group": "demographic",
    "text": "Where do you live?",
    "choices": ["city", "suburb", "village"],
}
HOUSEHOLD_INCOME = {
    "id": "household_income",
    "kind": "number",
    "group": "financial",
    "text": "What is your yearly household income in EUR?",
    "min": 0,
    "max": 10_000_000,
}
#: each group's incomes: medians 32,000 (a) and 61,000 (b)
INCOMES = {
    "a": [30_000 + 200 * i for i in range(21)],
    "b": [58_000 + 300 * i for i in range(21)],
}


def _survey_answers(store: Store, tmp_path: Path) -> None:
    definition = {
        "name": "boots",
        "title": "B",
        "from_bank": ["values", "barrier", "hobbies", "motivation"],
        "questions": [HOMETOWN, HOUSEHOLD_INCOME],
    }
    surveys.save_survey(store=store, survey=survey_from_dict(definition))
    frame = _groups(a=21, b=21)
    frame["hometown"] = ["village"] * 21 + ["city"] * 21
    frame["household_income"] = INCOMES["a"] + INCOMES["b"]
    frame.to_csv(tmp_path / "answers.csv", index=False)
    surveys.import_survey_csv(store=store, survey="boots", path=tmp_path / "answers.csv")


def test_the_survey_groups_decide_who_and_why_and_income_is_adjusted(store, tmp_path):  # type: ignore[no-untyped-def]
    _survey_answers(store, tmp_path)
    run = svc.build(store=store, survey="boots", k=2, n_resamples=0)
    factor = survey_results(store=store, survey="boots", with_types=False).income["factor"]
    medians = {"a": 32_000, "b": 61_000}
    for group in ("a", "b"):
        p = run.persona(_names(run, store, group))
        why = {s.evidence.question for s in p.section("why")}
        who = {s.evidence.question for s in p.section("who")}
        assert {"hometown", "household_income"}.isdisjoint(why)
        assert {"hometown", "household_income"} <= who
        assert p.income_stated == medians[group]
        assert p.income_adjusted == pytest.approx(factor * medians[group])
