"""Two personas that give almost the same answers are flagged where personas are shown, with
the advice to build fewer: k-means asked for more groups than the answers hold cuts one real
group in two, and two cards reading alike, each with half the people, looked like two kinds of
customer. The demo shop's four planted personas are not flagged."""

from __future__ import annotations

import numpy as np
import pandas as pd

import shopperlens
from _demo_data import demo_shop
from conftest import TOKEN
from shopperlens.personas import quality
from shopperlens.personas.synthesis import Persona
from shopperlens.reports.persona_cards import render_card, render_markdown
from shopperlens.service import personas as svc
from test_personas_fixes_reliability import CHOICES

SAID = "give almost the same answers"


def _twins(n: int = 40, seed: int = 0) -> pd.DataFrame:
    """Three planted groups: the first two give the same answers but for the barrier to
    buying (and one in ten answers at random), the third its own answers."""
    rng = np.random.default_rng(seed)
    rows = []
    for g, own in ((0, 0), (1, 0), (2, 2)):
        for i in range(n):
            row = {"respondent": f"g{g}_{i}"}
            for q, options in CHOICES.items():
                pick = g if q == "barrier" else own
                row[q] = rng.choice(options) if rng.random() < 0.1 else options[pick]
            row["income"] = float([30_000, 30_000, 70_000][g] + rng.integers(-3000, 3000))
            rows.append(row)
    return pd.DataFrame(rows)


def test_two_personas_giving_the_same_answers_are_flagged(store):  # type: ignore[no-untyped-def]
    run = svc.build(store=store, frame=_twins(), n_resamples=5)
    assert run.n_personas == 3
    (pair,) = run.near_duplicates
    twins = [run.persona(i) for i in pair]
    assert {p.size for p in twins} <= set(range(30, 51))
    note = run.near_duplicates_note or ""
    assert SAID in note and "--k 2" in note
    assert all(p.name in note for p in twins)
    stored = svc.show(store=store, run_id=run.run_id)
    assert stored.near_duplicates == run.near_duplicates
    dumped = stored.model_dump(mode="json")
    assert dumped["near_duplicates"] == [list(pair)] and SAID in dumped["near_duplicates_note"]
    assert SAID in render_markdown(stored)
    assert SAID in render_card(stored, twins[0])
    other = next(p for p in stored.personas if p.persona_id not in pair)
    assert SAID not in render_card(stored, other)


def test_the_demo_shops_four_personas_are_not_flagged(store):  # type: ignore[no-untyped-def]
    run = svc.build(store=store, frame=demo_shop().survey_answers, n_resamples=5)
    assert run.n_personas == 4
    assert run.near_duplicates == [] and run.near_duplicates_note is None
    distances = [
        quality.answer_distance(a, b)
        for i, a in enumerate(run.personas)
        for b in run.personas[i + 1 :]
    ]
    assert min(d for d in distances if d is not None) > 2 * quality.NEAR_DUPLICATE_DISTANCE


def test_cli_and_http_say_it(db_path, cli):  # type: ignore[no-untyped-def]
    with shopperlens.open(db_path) as shop:
        shop.personas_build(frame=_twins())
    res = cli("personas", "show")
    assert res.exit_code == 0, res.output
    assert SAID in " ".join(res.output.split())
    with shopperlens.open(db_path) as shop:
        from fastapi.testclient import TestClient

        from shopperlens.config import Settings
        from shopperlens.web.app import create_app

        app = create_app(Settings(token=TOKEN), shop=shop)
        with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            got = client.get("/api/personas").json()
    assert len(got["near_duplicates"]) == 1 and SAID in got["near_duplicates_note"]


def _persona(i: int, profile: dict[str, float]) -> Persona:
    return Persona(
        persona_id=i, name=f"P{i}", adjective="", first_name="", trait="", size=10, share=0.2,
        profile=profile,
    )  # fmt: skip


def test_three_personas_alike_are_one_group_and_the_advice_counts_them_so():
    alike = {"barrier=price": 0.9, "barrier=time": 0.1}
    personas = [_persona(i, alike) for i in range(3)] + [
        _persona(3, {"barrier=trust": 1.0}),
        _persona(4, {"barrier=time": 1.0}),
    ]
    assert quality.near_duplicates(personas) == [(0, 1), (0, 2), (1, 2)]
    # three pairs, one group: five personas are three groups, not two
    assert "--k 3" in (quality.near_duplicates_note(personas) or "")
