"""What to do for each persona and how to reach its members, on every face that shows one.

The demo shop plants an eco persona and a frugal one: the first must get the eco action, the
second a price one. An action rests on a statement the card shows and comes from the table
``personas/data/actions.yaml``: an answer it does not know, a survey without bank questions
and a persona too small to describe give none. The reach counts what ``audience export``
writes for the persona's segment.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import shopperlens
from _demo_data import demo_shop
from shopperlens.personas import normalise_answers, synthesise
from shopperlens.personas.actions import MAX_ACTIONS, actions_for, table
from shopperlens.personas.naming import Distinctive
from shopperlens.reports import persona_cards
from shopperlens.service import personas as svc

TOKEN = "persona-actions-token"


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo shop's data with one persona run over its survey answers."""
    from shopperlens.demo import load
    from shopperlens.store import connect

    data = demo_shop()
    path = tmp_path_factory.mktemp("actions") / "demo.duckdb"
    with connect(path) as store:
        load(store, data)
    with shopperlens.open(path) as shop:
        shop.personas_build(frame=data.survey_answers)
    return path


@pytest.fixture
def demo(demo_path: Path) -> Iterator[shopperlens.Shop]:
    with shopperlens.open(demo_path) as shop:
        yield shop


def _by_adjective(run: svc.PersonaRun, adjective: str) -> Any:
    (found,) = [p for p in run.personas if p.adjective == adjective]
    return found


def test_the_planted_eco_persona_gets_the_eco_action(demo) -> None:  # type: ignore[no-untyped-def]
    eco = _by_adjective(demo.personas(), "Eco")
    topics = [a.topic for a in eco.actions]
    assert "eco" in topics and 2 <= len(eco.actions) <= MAX_ACTIONS
    action = eco.actions[topics.index("eco")]
    assert "lead with materials and sourcing" in action.text
    assert action.question in {"values", "motivation"}


def test_the_planted_frugal_persona_gets_a_price_action_with_the_rules(demo) -> None:  # type: ignore[no-untyped-def]
    frugal = _by_adjective(demo.personas(), "Frugal")
    (price,) = [a for a in frugal.actions if a.topic == "price"]  # one per topic
    assert price.command == "shopperlens rules" and "bundles" in price.text
    assert any(a.command == "shopperlens threshold" for a in frugal.actions)  # shipping cost


def test_every_action_repeats_a_shown_distinctive_statement(demo) -> None:  # type: ignore[no-untyped-def]
    """An action opens with its evidence, the very words of a statement on the card, and
    only an answer clearly more common in the persona than overall gives one."""
    for p in demo.personas().personas:
        shown = {s.text: s for s in p.statements}
        for a in p.actions:
            said, _, rest = a.text.partition(": ")
            assert said in shown and rest == a.do, a.text
            ev = shown[said].evidence
            assert not ev.suppressed and ev.value is not None and ev.value > (ev.overall or 0)
            assert (a.question, a.answer) in {
                (s.evidence.question, s.evidence.answer or a.answer) for s in p.statements
            }


def test_the_reach_counts_the_rows_the_audience_export_writes(demo) -> None:  # type: ignore[no-untyped-def]
    for p in demo.personas().personas:
        r = p.reach
        assert r is not None and r.segment == f"persona == '{p.name}'"
        assert r.command == f'shopperlens audience export --segment "{r.segment}" --to klaviyo'
        rows = demo.audience(segment=r.segment, to="klaviyo")
        assert r.reachable == len(rows) > 0, p.name
        everyone = demo.audience(segment=r.segment, to="csv")
        assert r.customers == len(everyone) > r.reachable  # some gave no marketing consent
        assert r.prospects == p.size - p.known_customers > 0  # respondents who never bought
        assert f"{r.reachable:,} of its {r.customers:,} customers" in r.text
        assert f"{r.prospects:,} members are prospects" in r.text


def test_an_older_run_has_no_reach(demo_path, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``persona == 'NAME'`` selects by the latest run: an older run's persona is no segment."""
    import shutil

    copy = tmp_path / "two-runs.duckdb"
    shutil.copy(demo_path, copy)
    with shopperlens.open(copy) as shop:
        shop.personas_build(frame=demo_shop().survey_answers, k=3)
        old = shop.personas(1)
        assert all(p.reach is None for p in old.personas)
        assert all(p.actions for p in old.personas)  # the actions are the run's own
        assert all(p.reach is not None for p in shop.personas().personas)


def test_showing_a_run_with_its_reach_stores_no_types_run(demo_path, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The reach needs no types: ``personas show`` computed and stored a types run (a write,
    and a whole types computation) on a store that had none."""
    import shutil

    copy = tmp_path / "no-types.duckdb"
    shutil.copy(demo_path, copy)
    with shopperlens.open(copy) as shop:
        shop.store.execute("DELETE FROM customer_types")
        shop.store.execute("DELETE FROM type_runs")
        assert all(p.reach is not None for p in shop.personas().personas)
        assert shop.store.count("type_runs") == shop.store.count("customer_types") == 0


def test_the_cli_shows_what_to_do_and_how_to_reach_them(demo_path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from shopperlens.cli import app

    def cli(*args: str) -> str:
        res = CliRunner().invoke(app, ["--db", str(demo_path), *args])
        assert res.exit_code == 0, res.output
        return " ".join(res.output.split())

    with shopperlens.open(demo_path) as shop:
        eco = _by_adjective(shop.personas(), "Eco")
    out = cli("personas", "show", eco.first_name)
    assert f"What to do for {eco.name}:" in out and f"- {eco.actions[0].text}" in out
    assert f"Reach them: {eco.reach.command}" in out and eco.reach.text in out
    assert "e-mailable" in cli("personas", "show")
    markdown = cli("personas", "show", eco.first_name, "--markdown")
    assert f"### What to do for {eco.name}" in markdown and "### Reach them" in markdown


def test_json_http_card_markdown_and_page_show_them(demo) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from shopperlens.config import Settings
    from shopperlens.reports import pages_personas, site
    from shopperlens.web.app import create_app

    run = demo.personas()
    frugal = _by_adjective(run, "Frugal")
    app = create_app(Settings(token=TOKEN), shop=demo)
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        got = client.get(f"/api/personas/{frugal.persona_id}").json()
        card = html.unescape(client.get(f"/api/personas/{frugal.persona_id}/card").text)
    assert got["actions"] == [a.model_dump() for a in frugal.actions]
    assert got["reach"]["reachable"] == frugal.reach.reachable and got["reach"]["text"]
    assert json.loads(persona_cards.render_json(run))["personas"][0]["actions"]
    markdown = persona_cards.render_markdown(run, frugal)
    page = html.unescape(site.render(site.find("personas"), pages_personas._build(demo.store), []))
    for text in (card, markdown.replace("\\", ""), page):
        assert f"What to do for {frugal.name}" in text
        assert frugal.actions[0].do in text and frugal.reach.command in text


def test_a_provisional_persona_keeps_its_warning_beside_the_actions(demo) -> None:  # type: ignore[no-untyped-def]
    run = demo.personas()
    p = run.personas[0]
    p.provisional = True
    note = persona_cards.PROVISIONAL_ACTIONS
    assert note in persona_cards.render_markdown(run, p).replace("\\", "")
    assert html.escape(note, quote=False) in persona_cards.render_card(run, p).replace("&#39;", "'")


def _custom_frame(n: int = 60) -> tuple[pd.DataFrame, np.ndarray]:
    """Two groups answering a shop's own questions, none of them from the bank."""
    half = n // 2
    df = pd.DataFrame(
        {
            "respondent": [f"r{i}" for i in range(n)],
            "favourite_colour": ["green"] * half + ["red"] * half,
            "pet": ["dog"] * half + ["cat"] * half,
            # a bank answer under a question the table does not know is no action either
            "reason": ["eco_friendly"] * half + ["save_money"] * half,
        }
    )
    return normalise_answers(df), np.array([0] * half + [1] * half)


def test_a_survey_without_bank_questions_gives_no_actions() -> None:
    df, labels = _custom_frame()
    personas = synthesise(df, labels, min_group_size=5)
    assert all(p.statements and not p.actions for p in personas)


def test_a_persona_too_small_to_describe_gets_no_action_and_no_reach(shop) -> None:  # type: ignore[no-untyped-def]
    n_big, n_small = 40, 3
    df = normalise_answers(
        pd.DataFrame(
            {
                "respondent": [f"r{i}" for i in range(n_big + n_small)],
                "customer_id": [None] * (n_big + n_small),
                "motivation": ["save_money"] * n_big + ["eco_friendly"] * n_small,
                "barrier": ["price"] * n_big + ["shipping_cost"] * n_small,
            }
        )
    )
    labels = np.array([0] * n_big + [1] * n_small)
    big, small = synthesise(df, labels, min_group_size=5)
    assert small.suppressed and small.actions == []
    run = svc.PersonaRun(
        run_id=1,
        created_at="2026-01-01T00:00:00Z",
        survey=None,
        source="frame",
        n_respondents=n_big + n_small,
        n_personas=2,
        k_requested="2",
        seed=0,
        silhouette=None,
        stability_ari=None,
        scores={},
        min_group_size=5,
        income_adjustment=0.9,
        personas=[big, small],
    )
    svc.reach(store=shop.store, run=run)
    assert small.reach is None
    assert big.reach is not None and big.reach.customers == 0 and big.reach.prospects == n_big
    assert "no audience export reaches them" in big.reach.text
    for text in (persona_cards.render_markdown(run, small), persona_cards.render_card(run, small)):
        assert "What to do" not in text and "Reach them" not in text


def test_an_answer_the_table_does_not_know_gives_no_action() -> None:
    assert ("hobbies", "outdoors") not in table() and ("barrier", "none") not in table()
    distinct = [Distinctive("hobbies", "outdoors", 2.0), Distinctive("barrier", "none", 1.5)]
    assert actions_for(distinct, []) == []


def test_every_table_entry_is_a_bank_answer() -> None:
    """The table speaks of the question bank's answers: an entry for an answer the bank does
    not offer would never be given."""
    from shopperlens.personas.naming import answer_code
    from shopperlens.surveys.definition import question_bank

    bank = question_bank()
    for (question, answer), entry in table().items():
        q = bank[question]
        if answer in {"+", "-"}:
            assert q.kind in {"scale", "number"}, question
        else:
            assert answer in {answer_code(c) for c in q.choices or []}, (question, answer)
        assert entry.topic and entry.do


def test_a_survey_asked_in_the_bank_s_display_words_gets_the_same_actions() -> None:
    """Answers stored as the bank shows them ("Compare prices") are the table's
    ``compare_prices``."""
    rng = np.random.default_rng(5)
    n = 80
    df = normalise_answers(
        pd.DataFrame(
            {
                "respondent": [f"r{i}" for i in range(n)],
                "spending_habit": ["Compare prices"] * 40 + list(rng.choice(["Spontaneous"], 40)),
                "gender": rng.choice(["female", "male"], n),
            }
        )
    )
    labels = np.array([0] * 40 + [1] * 40)
    first = synthesise(df, labels, min_group_size=5)[0]
    assert [a.topic for a in first.actions] == ["price"]
    assert synthesise(df, labels, min_group_size=5)[0].actions == first.actions  # deterministic
