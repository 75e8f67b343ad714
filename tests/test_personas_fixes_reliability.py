"""Personas found in answers with no groups in them are marked provisional, on every face,
and personas of answers with planted groups are not.

Planted: respondents answering every question at random (so there are no kinds of customer to
find, whatever k-means returns), and three groups whose answers differ.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

import shopperlens
from conftest import TOKEN
from shopperlens.reports.persona_cards import render_card, render_markdown
from shopperlens.service import personas as svc

CHOICES = {
    "age_bracket": ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"],
    "education": ["secondary", "vocational", "bachelor", "master", "phd"],
    "occupation": ["student", "employee", "self_employed", "manager", "retired", "other"],
    "values": ["price", "quality", "sustainability", "convenience", "brand", "innovation"],
    "spending_habit": ["plan_ahead", "compare_prices", "spontaneous", "subscribe"],
    "barrier": ["price", "shipping_cost", "trust", "delivery_time", "product_info", "none"],
    "motivation": ["save_money", "best_quality", "eco_friendly", "treat_myself", "solve_problem"],
}
NOT_RELIABLE = "these groups are not reliable"


def _random_answers(n: int, seed: int) -> pd.DataFrame:
    """``n`` respondents answering every question at random: no groups are planted."""
    rng = np.random.default_rng(seed)
    answers = {q: rng.choice(options, n) for q, options in CHOICES.items()}
    answers["income"] = rng.integers(15_000, 90_000, n).astype(float)
    return pd.DataFrame({"respondent": [f"r{i}" for i in range(n)], **answers})


def _planted_groups(n_per_group: int = 20, seed: int = 0) -> pd.DataFrame:
    """Three groups, each giving its own answer to every question (one in ten at random)."""
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(3):
        for i in range(n_per_group):
            row = {"respondent": f"g{g}_{i}"}
            for q, options in CHOICES.items():
                row[q] = rng.choice(options) if rng.random() < 0.1 else options[g]
            row["income"] = float([25_000, 45_000, 70_000][g] + rng.integers(-3000, 3000))
            rows.append(row)
    return pd.DataFrame(rows)


def test_random_answers_give_provisional_personas(store):  # type: ignore[no-untyped-def]
    """24 respondents answering at random, as the reviewer's run: shown, but marked."""
    run = svc.build(store=store, frame=_random_answers(24, seed=0), n_resamples=10)
    assert run.provisional
    assert run.reliability_note is not None and NOT_RELIABLE in run.reliability_note
    assert all(p.provisional for p in run.personas)
    stored = svc.show(store=store, run_id=run.run_id)
    assert stored.provisional and stored.reliability_note == run.reliability_note
    assert all(p.provisional for p in stored.personas)
    assert NOT_RELIABLE in render_markdown(stored)
    assert NOT_RELIABLE in render_card(stored, stored.personas[0])


def test_many_random_answers_are_provisional_too(store):  # type: ignore[no-untyped-def]
    """600 respondents at random: k-means cuts the cloud alike on every resample, so their
    stability alone would pass; the groups are still no tighter than shuffled answers'."""
    run = svc.build(store=store, frame=_random_answers(600, seed=1), n_resamples=10)
    assert run.provisional
    assert "shuffled at random" in (run.reliability_note or "")


def test_planted_groups_are_not_provisional(store):  # type: ignore[no-untyped-def]
    run = svc.build(store=store, frame=_planted_groups(), n_resamples=10)
    assert run.n_personas == 3
    assert not run.provisional
    assert run.reliability_note is None
    assert not any(p.provisional for p in run.personas)
    assert "Provisional" not in render_markdown(svc.show(store=store, run_id=run.run_id))


def _random_survey(db_path: Path) -> None:
    """A stored survey whose 24 answers are random (the reviewer's reproduction)."""
    from shopperlens.service import surveys
    from shopperlens.surveys.definition import survey_from_dict

    with shopperlens.open(db_path) as shop:
        definition = {"name": "rnd", "title": "R", "from_bank": [*CHOICES, "income"]}
        surveys.save_survey(store=shop.store, survey=survey_from_dict(definition))
        path = db_path.parent / "rnd.csv"
        _random_answers(24, seed=0).to_csv(path, index=False)
        surveys.import_survey_csv(store=shop.store, survey="rnd", path=path)


def test_cli_http_and_report_say_it(db_path, cli, tmp_path):  # type: ignore[no-untyped-def]
    _random_survey(db_path)
    for command in (("personas", "build", "--survey", "rnd"), ("personas", "show")):
        res = cli(*command)
        assert res.exit_code == 0, res.output
        assert "Provisional: these groups are not reliable" in res.output, command
    with shopperlens.open(db_path) as shop:
        shop.report(tmp_path / "report")
        from fastapi.testclient import TestClient

        from shopperlens.config import Settings
        from shopperlens.web.app import create_app

        app = create_app(Settings(token=TOKEN), shop=shop)
        with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            built = client.post("/api/personas/build", json={"survey": "rnd"}).json()
            one = client.get("/api/personas/0").json()
    assert built["provisional"] is True
    assert NOT_RELIABLE in built["reliability_note"]
    assert one["provisional"] is True
    page = (tmp_path / "report" / "personas.html").read_text(encoding="utf-8")
    assert NOT_RELIABLE in page
    cards = list((tmp_path / "report").glob("persona-*.html"))
    assert cards and all(NOT_RELIABLE in c.read_text(encoding="utf-8") for c in cards)


def test_the_list_of_runs_marks_the_provisional_one(db_path, cli):  # type: ignore[no-untyped-def]
    """A run of random answers beside one of planted groups: the list says which is which,
    on every face (a list without the mark showed noise beside reliable personas alike)."""
    with shopperlens.open(db_path) as shop:
        shop.personas_build(frame=_random_answers(24, seed=0))
        shop.personas_build(frame=_planted_groups())
        listed = [(r.run_id, r.provisional) for r in shop.personas_runs()]
        from fastapi.testclient import TestClient

        from shopperlens.config import Settings
        from shopperlens.web.app import create_app

        app = create_app(Settings(token=TOKEN), shop=shop)
        with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            over_http = client.get("/api/personas/runs").json()
    newest, oldest = listed
    assert newest[1] is False and oldest[1] is True
    assert [(r["run_id"], r["provisional"]) for r in over_http] == listed
    res = cli("personas", "runs", "--json")
    assert res.exit_code == 0, res.output
    assert [(r["run_id"], r["provisional"]) for r in json.loads(res.output)] == listed
    table = cli("personas", "runs")
    oldest_id = oldest[0]
    assert f"Run {oldest_id} is provisional" in " ".join(table.output.split())
