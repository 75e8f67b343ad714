"""Persona synthesis rules: minimum group size, names, quotes, and evolution across runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from _demo_data import demo_shop
from shopperlens.errors import ShopperlensError
from shopperlens.personas import assign_names, normalise_answers, synthesise
from shopperlens.personas.naming import Distinctive
from shopperlens.personas.synthesis import scrub
from shopperlens.service import personas as svc


def _frame(n_big: int, n_small: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(3)
    n = n_big + n_small
    df = pd.DataFrame(
        {
            "respondent": [f"r{i}" for i in range(n)],
            "customer_id": [None] * n,
            "gender": rng.choice(["female", "male"], n),
            "values": ["price;quality"] * n_big + ["sustainability"] * n_small,
            "barrier": ["price"] * (n_big - 3) + ["trust"] * 3 + ["none"] * n_small,
            "income": rng.normal(40_000, 5_000, n),
            "why_buy": ["cheap and cheerful, mail me at ann@example.com"] * n,
        }
    )
    return normalise_answers(df), np.array([0] * n_big + [1] * n_small)


def test_a_persona_smaller_than_the_minimum_shows_no_figures():
    df, labels = _frame(40, 3)
    big, small = synthesise(df, labels, min_group_size=5)
    assert small.suppressed and small.size is None and small.share is None  # 3 people
    assert small.income_stated is None and small.income_adjusted is None
    assert small.profile == {}
    for s in small.statements:
        assert s.evidence.suppressed
        assert s.evidence.count is None and s.evidence.value is None and s.evidence.n is None
    assert not big.suppressed and big.income_adjusted is not None


def test_an_answer_given_by_fewer_than_the_minimum_is_withheld():
    df, labels = _frame(40, 3)
    big = synthesise(df, labels, min_group_size=5)[0]
    # three of the big persona answered barrier=trust: never shown as a figure
    assert "barrier=trust" not in big.profile
    trust = [s for s in big.statements if s.evidence.answer == "trust"]
    assert all(s.evidence.suppressed and s.evidence.count is None for s in trust)
    assert big.profile["barrier=price"] == pytest.approx(37 / 40)


def test_a_higher_minimum_withholds_more():
    df, labels = _frame(40, 3)
    big = synthesise(df, labels, min_group_size=50)[0]
    assert big.suppressed and big.profile == {}


def test_a_minimum_below_three_people_is_refused_in_every_face(store, cli, monkeypatch):  # type: ignore[no-untyped-def]
    """A threshold of 1, 0 or -3 showed a lone respondent's figures: refused before any work,
    by the setting (every face reads it) and by the service (what Python passes)."""
    from shopperlens.config import Settings
    from shopperlens.errors import ShopperlensError

    for size in ("2", "1", "0", "-3", "five"):
        monkeypatch.setenv("SHOPPERLENS_MIN_GROUP_SIZE", size)
        with pytest.raises(ShopperlensError, match=f"SHOPPERLENS_MIN_GROUP_SIZE={size} "):
            Settings()
    monkeypatch.setenv("SHOPPERLENS_MIN_GROUP_SIZE", "1")
    res = cli("personas", "show")
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert " ".join(res.stderr.split()) == (
        "error: SHOPPERLENS_MIN_GROUP_SIZE=1 would show figures of one person: use a whole "
        "number of 3 or more (the default is 5)"
    )
    monkeypatch.setenv("SHOPPERLENS_MIN_GROUP_SIZE", "3")
    assert Settings().min_group_size == 3
    df, _ = _frame(40, 3)
    with pytest.raises(ShopperlensError, match="min_group_size.* of 3 or more; got 2"):
        svc.build(store=store, frame=df, min_group_size=2, save=False)


def test_quotes_never_carry_e_mail_addresses_or_phone_numbers():
    df, labels = _frame(40, 6)
    p = synthesise(df, labels)[0]
    assert p.quotes and all("@" not in q.text for q in p.quotes)
    assert scrub("call +31 6 1234 5678 now") == "call [number] now"


def test_names_stay_unique_when_personas_share_their_top_attribute():
    price = Distinctive("values", "price", 2.0)
    names = assign_names(
        [[price, Distinctive("hobbies", "diy", 1.0)], [price, Distinctive("income", "+", 0.5)]],
        ["male", "female"],
    )
    assert names == [("Frugal", "Fred"), ("Handy", "Hannah")] or len(set(names)) == 2
    assert all(adj[0] == first[0] for adj, first in names)


def test_names_fall_back_when_nothing_stands_out():
    names = assign_names([[], []], [None, None])
    assert len(set(names)) == 2


@pytest.fixture(scope="module")
def demo_answers():  # type: ignore[no-untyped-def]
    shop = demo_shop()
    return shop.survey_answers, shop.truth_personas


def test_a_new_persona_appears_and_old_ones_grow_or_stay(store, demo_answers):  # type: ignore[no-untyped-def]
    """Evolution: first the shop has no trendy respondents; when they arrive, the next run
    reports a persona that appeared, and the others matched by their members."""
    answers, truth = demo_answers
    without = answers[truth["persona"].to_numpy() != "trendy"]
    first = svc.build(store=store, frame=without, n_resamples=3)
    second = svc.build(store=store, frame=answers, n_resamples=3)
    assert first.n_personas == 3 and second.n_personas == 4
    evo = svc.diff(store=store)
    assert evo.basis == "members" and evo.previous_run == first.run_id
    statuses = [c.status for c in evo.changes]
    assert statuses.count("appeared") == 1
    assert "vanished" not in statuses
    appeared = next(c for c in evo.changes if c.status == "appeared")
    assert appeared.current_name is not None and "Trendy" in appeared.current_name
    # matched personas keep their names and lose share to the newcomer
    for c in evo.changes:
        if c.status != "appeared":
            assert c.previous_name == c.current_name
            assert c.status in {"shrank", "stable"}
    assert second.evolution is not None and second.evolution.summary()


def test_a_persona_vanishes(store, demo_answers):  # type: ignore[no-untyped-def]
    answers, truth = demo_answers
    svc.build(store=store, frame=answers, n_resamples=3)
    svc.build(store=store, frame=answers[truth["persona"].to_numpy() != "eco"], n_resamples=3)
    evo = svc.diff(store=store)
    gone = [c for c in evo.changes if c.status == "vanished"]
    assert len(gone) == 1 and gone[0].previous_name is not None
    assert "Eco" in gone[0].previous_name


def test_runs_are_deterministic_and_stored(store, demo_answers):  # type: ignore[no-untyped-def]
    answers, _ = demo_answers
    a = svc.build(store=store, frame=answers, n_resamples=3)
    b = svc.build(store=store, frame=answers, n_resamples=3)
    assert [(p.name, p.size) for p in a.personas] == [(p.name, p.size) for p in b.personas]
    assert all(c.status == "stable" for c in svc.diff(store=store).changes)
    stored = svc.show(store=store, run_id=a.run_id)
    # the reach is counted when shown, and only for the latest run (its audience segment)
    live = {"reach"}
    assert [p.model_dump(exclude=live) for p in stored.personas] == [
        p.model_dump(exclude=live) for p in a.personas
    ]
    assert [r.run_id for r in svc.runs(store=store)] == [b.run_id, a.run_id]
    # a run id read from a DataFrame is numpy's: DuckDB refused it with a bare exception
    ids = pd.DataFrame([r.model_dump() for r in svc.runs(store=store)])["run_id"]
    assert svc.show(store=store, run_id=ids.min()).run_id == a.run_id
    assert svc.diff(store=store, run_id=ids.max(), against=ids.min()).previous_run == a.run_id
    assert len(svc.members(store=store, run_id=np.int32(a.run_id))) > 0
    with pytest.raises(ShopperlensError, match=r"run_id\) must be a whole number of 1 or more"):
        svc.show(store=store, run_id="1")


def test_known_customers_bring_revenue_and_favourite_categories(store):  # type: ignore[no-untyped-def]
    """Respondents who are customers are described with the shop's own orders."""
    shop = demo_shop()
    o = shop.orders
    with store.cursor() as cur:
        cur.register("o", o)
        cur.execute(
            "INSERT INTO orders (order_id, customer_id, ordered_at) "
            "SELECT DISTINCT order_id, customer_id, ordered_at FROM o"
        )
        cur.execute(
            "INSERT INTO order_lines (order_id, line_no, product_id, product_name, category, "
            "quantity, unit_price) SELECT order_id, row_number() OVER (PARTITION BY order_id), "
            "product_id, product_name, category, quantity, unit_price FROM o"
        )
    run = svc.build(store=store, frame=shop.survey_answers, n_resamples=3)
    assert sum(p.revenue_share or 0 for p in run.personas) == pytest.approx(1.0)
    buyers = set(o["customer_id"])
    answered = shop.survey_answers["customer_id"].isin(buyers).sum()
    revenue_n = [
        s.evidence.n for p in run.personas for s in p.statements if s.evidence.question == "revenue"
    ]
    assert sum(revenue_n) == answered
    assert any(
        s.evidence.question == "categories_bought" for p in run.personas for s in p.statements
    )


def test_runs_without_common_respondents_are_matched_by_answer_profile():
    from shopperlens.personas import PersonaRef, compare_runs

    frugal = {"values=price": 0.9, "values=quality": 0.2, "income": 30_000.0}
    eco = {"values=price": 0.1, "values=quality": 0.7, "income": 55_000.0}
    old = [
        PersonaRef(persona_id=0, name="Frugal Fred", size=50, share=0.5, profile=frugal),
        PersonaRef(persona_id=1, name="Eco Emma", size=50, share=0.5, profile=eco),
    ]
    trendy = {"values=price": 0.3, "values=quality": 0.1, "income": 90_000.0}
    new = [
        PersonaRef(persona_id=0, name="Eco Emma", size=80, share=0.8, profile=eco),
        PersonaRef(persona_id=1, name="Trendy Tina", size=20, share=0.2, profile=trendy),
    ]
    evo = compare_runs(old, new)
    assert evo.basis == "profile"
    status = {(c.previous_name, c.current_name): c.status for c in evo.changes}
    assert status == {
        ("Eco Emma", "Eco Emma"): "grew",
        ("Frugal Fred", None): "vanished",
        (None, "Trendy Tina"): "appeared",
    }


def test_names_are_always_unique_and_alliterative():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from shopperlens.personas.naming import LEXICON

    keys = sorted(LEXICON) + [("hobby", "kite surfing"), ("spend_toys", "+"), ("x", "-")]
    attr = st.builds(
        lambda k, score: Distinctive(k[0], k[1], score),
        st.sampled_from(keys),
        st.floats(0.3, 5.0),
    )

    @settings(max_examples=60, deadline=None)
    @given(
        st.lists(st.lists(attr, max_size=6), min_size=1, max_size=8),
        st.lists(st.sampled_from(["female", "male", None]), min_size=8, max_size=8),
    )
    def check(distinctive, genders):  # type: ignore[no-untyped-def]
        names = assign_names(distinctive, genders)
        full = [f"{adj} {first}" for adj, first in names]
        assert len(set(full)) == len(full) == len(distinctive)
        assert all(adj[0].upper() == first[0].upper() for adj, first in names)

    check()


def test_erasing_a_customer_removes_their_membership_and_quotes(store):  # type: ignore[no-untyped-def]
    from shopperlens.service.privacy import erase_customer

    answers = demo_shop().survey_answers
    run = svc.build(store=store, frame=answers, n_resamples=3)
    quoted = [q.customer_id for p in run.personas for q in p.quotes if q.customer_id]
    assert quoted, "the demo has customers among the quoted respondents"
    victim = quoted[0]
    before = sum(len(p.quotes) for p in run.personas)
    erase_customer(store=store, customer_id=victim)
    after = svc.show(store=store)
    assert victim not in set(svc.members(store=store)["customer_id"].dropna())
    assert store.scalar("SELECT count(*) FROM persona_quotes WHERE customer_id = ?", [victim]) == 0
    assert sum(len(p.quotes) for p in after.personas) == before - quoted.count(victim)
    assert "customer_id" not in after.personas[0].model_dump()["quotes"][0]
