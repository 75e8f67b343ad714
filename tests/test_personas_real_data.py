"""Personas from real customers: the Customer Personality Analysis file (2,240 customers of a
food retailer; Kaggle, CC0 — see tests/data/customer_personality_marketing_campaign/SOURCE.md).

There is no planted truth here, so the tests check what a shop owner relies on: sensible sizes,
stability under resampling, and that every statement on every card can be recomputed from the
raw file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from shopperlens.personas import customer_personality_frame
from shopperlens.service import personas as svc

DATA = Path(__file__).parent / "data"

CPA = DATA / "customer_personality_marketing_campaign" / "marketing_campaign.csv"


@pytest.fixture(scope="module")
def run_and_frame():  # type: ignore[no-untyped-def]
    from shopperlens.store import connect

    frame = customer_personality_frame(CPA)
    with connect(":memory:") as store:
        run = svc.build(store=store, frame=frame, seed=0)
        members = svc.members(store=store)
    return run, frame, members


def test_file_maps_to_a_respondents_frame():
    frame = customer_personality_frame(CPA)
    assert len(frame) == 2240
    assert frame["income"].isna().sum() == 24  # SOURCE.md: 24 rows have empty Income
    assert set(frame["education"].dropna()) == {
        "secondary",
        "vocational",
        "bachelor",
        "master",
        "phd",
    }
    assert frame["age"].max() <= 100  # the three impossible birth years become unknown


def test_sizes_are_sensible(run_and_frame):  # type: ignore[no-untyped-def]
    run, frame, _ = run_and_frame
    assert 3 <= run.n_personas <= 4  # the mission's 3–4 profiles
    assert sum(p.size for p in run.personas) == len(frame)
    for p in run.personas:
        assert 0.15 <= p.share <= 0.5
    assert sum(p.revenue_share or 0 for p in run.personas) == pytest.approx(1.0)
    # the persona with the highest income brings the largest share of revenue
    rich = max(run.personas, key=lambda p: p.income_stated or 0)
    assert rich.revenue_share == max(p.revenue_share or 0 for p in run.personas)


def test_personas_are_stable_under_resampling(run_and_frame):  # type: ignore[no-untyped-def]
    """Bootstrap refits reproduce the personas (Hennig 2007: Jaccard above 0.75 is stable)."""
    run, _, _ = run_and_frame
    assert run.stability_ari is not None and run.stability_ari >= 0.85
    assert all(p.stability is not None and p.stability >= 0.85 for p in run.personas)


def test_every_statement_traces_to_the_raw_file(run_and_frame):  # type: ignore[no-untyped-def]
    run, _, members = run_and_frame
    raw = pd.read_csv(CPA, sep="\t")
    raw["ID"] = raw["ID"].astype(str)
    by_persona = members.set_index("respondent")["persona_id"]
    raw["persona"] = raw["ID"].map(by_persona)
    raw["age"] = 2014 - raw["Year_Birth"]
    raw.loc[raw["age"] > 100, "age"] = None
    raw["children"] = raw["Kidhome"] + raw["Teenhome"]
    source = {"age": "age", "children": "children", "spend_wine": "MntWines",
              "spend_meat": "MntMeatProducts", "deals": "NumDealsPurchases",
              "web_visits": "NumWebVisitsMonth", "education": "Education"}  # fmt: skip
    education = {"Graduation": "bachelor", "PhD": "phd", "Master": "master",
                 "2n Cycle": "vocational", "Basic": "secondary"}  # fmt: skip
    checked = 0
    for p in run.personas:
        mine = raw[raw["persona"] == p.persona_id]
        # cards state the median income (robust to one typed 666,666), stated and adjusted
        assert p.income_stated == pytest.approx(mine["Income"].median())
        assert p.income_adjusted == pytest.approx(0.9 * mine["Income"].median())
        for s in p.statements:
            e = s.evidence
            assert not e.suppressed and e.n is not None
            col = source.get(e.question)
            if col is None:
                continue
            if e.measure == "mean":
                assert e.value == pytest.approx(mine[col].mean())
                assert e.n == mine[col].notna().sum()
            else:
                answers = mine[col].map(education)
                assert e.count == (answers == e.answer).sum()
                assert e.n == answers.notna().sum()
            checked += 1
    assert checked >= 3 * len(run.personas)


def test_names_are_unique_and_alliterative(run_and_frame):  # type: ignore[no-untyped-def]
    run, _, _ = run_and_frame
    assert len({p.name for p in run.personas}) == run.n_personas
    for p in run.personas:
        assert p.name == f"{p.adjective} {p.first_name}"
        assert p.adjective[0] == p.first_name[0]
        assert p.trait


def test_channel_spend_shift_follows_the_channel_reach(run_and_frame):  # type: ignore[no-untyped-def]
    """Each channel's index is the share of the persona's members who bought through it over
    the share of all customers who did (recomputed from the raw purchase counts)."""
    run, frame, members = run_and_frame
    persona_of = members.set_index("respondent")["persona_id"]
    for p in run.personas:
        assert {c.channel for c in p.channels} == {"web", "catalogue", "store"}
        assert sum(c.suggested_budget_share or 0 for c in p.channels) == pytest.approx(1.0)
        mine = frame[frame["respondent"].map(persona_of) == p.persona_id]
        for c in p.channels:
            column = f"channel_{c.channel}"
            share, everyone = (mine[column] > 0).mean(), (frame[column] > 0).mean()
            assert c.index == pytest.approx(share / everyone)
            assert c.advice == ("more" if c.index >= 1.2 else "less" if c.index <= 0.8 else "keep")
