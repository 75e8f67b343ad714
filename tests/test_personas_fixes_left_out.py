"""Respondents who answered too little to be placed (the on-site pop-up asks one question) are
left out of the personas, counted, and said to be left out on every face.

Planted: three groups of full survey answers whose membership is known, and pop-up answers that
give only ``barrier``. Whatever the pop-up respondents answered, they belong to no persona.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

import shopperlens
from shopperlens.service import personas as svc
from shopperlens.service import surveys
from shopperlens.store import Store
from shopperlens.surveys.definition import survey_from_dict

QUESTIONS = ["age_bracket", "occupation", "values", "hobbies", "spending_habit", "barrier"]
QUESTIONS += ["motivation"]
GROUPS = {
    "thrifty": ("55-64", "retired", "price", "diy", "compare_prices", "price", "save_money"),
    "green": ("35-44", "employee", "sustainability", "outdoors", "plan_ahead", "product_info",
              "eco_friendly"),
    "trendy": ("18-24", "student", "brand", "fashion", "spontaneous", "none", "treat_myself"),
}  # fmt: skip
N_PER_GROUP, N_POPUP = 20, 60


def _full_answers(seed: int = 0) -> pd.DataFrame:
    """``N_PER_GROUP`` respondents per planted group; one answer in ten is another group's."""
    rng = np.random.default_rng(seed)
    names = list(GROUPS)
    rows = []
    for g, name in enumerate(names):
        for i in range(N_PER_GROUP):
            row = {"respondent": f"{name}{i}", "truth": name}
            for q, answer in enumerate(GROUPS[name]):
                other = GROUPS[names[(g + 1) % 3]][q]
                row[QUESTIONS[q]] = other if rng.random() < 0.1 else answer
            rows.append(row)
    return pd.DataFrame(rows)


def _popup_answers() -> pd.DataFrame:
    """What the one-question pop-up collects: ``respondent, barrier`` (a barrier no planted
    group gives, so an old-style persona of them would stand out as "Wary")."""
    return pd.DataFrame(
        {"respondent": [f"pop{i}" for i in range(N_POPUP)], "barrier": ["trust"] * N_POPUP}
    )


def _survey_with_both(store: Store, tmp_path: Path) -> pd.DataFrame:
    """Store the survey, import the full answers and the pop-up answers; return the truth."""
    surveys.save_survey(
        store=store,
        survey=survey_from_dict({"name": "boots", "title": "B", "from_bank": QUESTIONS}),
    )
    full = _full_answers()
    full.drop(columns="truth").to_csv(tmp_path / "full.csv", index=False)
    _popup_answers().to_csv(tmp_path / "pop.csv", index=False)
    surveys.import_survey_csv(store=store, survey="boots", path=tmp_path / "full.csv")
    surveys.import_survey_csv(store=store, survey="boots", path=tmp_path / "pop.csv")
    return full


def test_popup_answers_are_left_out_and_the_planted_groups_found(store, tmp_path):  # type: ignore[no-untyped-def]
    truth = _survey_with_both(store, tmp_path)
    run = svc.build(store=store, survey="boots", n_resamples=5)
    members = svc.members(store=store, run_id=run.run_id)
    assert not members["respondent"].str.startswith("pop").any()
    assert run.n_respondents == 3 * N_PER_GROUP
    assert run.n_left_out == N_POPUP
    assert run.left_out_note is not None
    assert f"{N_POPUP} respondents were left out" in run.left_out_note
    assert f"fewer than 4 of the {len(QUESTIONS)} questions" in run.left_out_note
    planted = truth.set_index("respondent").loc[members["respondent"], "truth"]
    assert adjusted_rand_score(planted, members["persona_id"]) >= 0.9
    # the stored run says the same when read back
    again = svc.show(store=store, run_id=run.run_id)
    assert (again.n_left_out, again.left_out_note) == (run.n_left_out, run.left_out_note)


def test_half_the_questions_answered_is_enough_and_fewer_is_not(store):  # type: ignore[no-untyped-def]
    """Seven clustering questions: four answered (at least half) is clustered, three is not."""
    frame = _full_answers().drop(columns="truth")
    half = {"respondent": "half", **dict(zip(QUESTIONS[:4], GROUPS["thrifty"][:4], strict=True))}
    less = {"respondent": "less", **dict(zip(QUESTIONS[:3], GROUPS["thrifty"][:3], strict=True))}
    frame = pd.concat([frame, pd.DataFrame([half, less])], ignore_index=True)
    run = svc.build(store=store, frame=frame, n_resamples=3)
    clustered = set(svc.members(store=store, run_id=run.run_id)["respondent"])
    assert "half" in clustered
    assert "less" not in clustered
    assert run.n_left_out == 1


def test_too_few_full_answers_says_how_many_were_left_out(store):  # type: ignore[no-untyped-def]
    """Fifteen full answers and sixty pop-up answers: the refusal counts both."""
    frame = pd.concat(
        [_full_answers().drop(columns="truth").head(15), _popup_answers()], ignore_index=True
    )
    with pytest.raises(shopperlens.ShopperlensError) as err:
        svc.build(store=store, frame=frame, n_resamples=3)
    message = str(err.value)
    assert "got 15" in message
    assert f"{N_POPUP} more respondents answered fewer than 4" in message


def test_every_face_says_who_was_left_out(db_path, cli, tmp_path):  # type: ignore[no-untyped-def]
    shop = shopperlens.open(db_path)
    _survey_with_both(shop.store, tmp_path)
    shop.close()
    res = cli("personas", "build", "--survey", "boots")
    assert res.exit_code == 0, res.output
    assert f"{N_POPUP} respondents were left out" in res.output
    with shopperlens.open(db_path) as shop:
        shop.report(tmp_path / "report")
        from fastapi.testclient import TestClient

        from conftest import TOKEN
        from shopperlens.config import Settings
        from shopperlens.web.app import create_app

        app = create_app(Settings(token=TOKEN), shop=shop)
        with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            body = client.get("/api/personas").json()
    assert body["n_left_out"] == N_POPUP
    assert f"{N_POPUP} respondents were left out" in body["left_out_note"]
    page = (tmp_path / "report" / "personas.html").read_text(encoding="utf-8")
    assert f"{N_POPUP} respondents were left out" in page
