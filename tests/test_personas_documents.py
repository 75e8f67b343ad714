"""Persona documents as a marketer briefs a copywriter and an ad buyer from them: names that can
be used in public, every group too small to describe called so, channels with their figures,
withheld figures marked as withheld, and the income said to be the adjusted one.

Planted: groups that differ only by ethnicity and religion, two groups of three people, and a
channel two members of a persona use while many others do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopperlens.personas import normalise_answers, synthesise
from shopperlens.personas.naming import Distinctive, assign_names
from shopperlens.reports.persona_cards import render_card, render_markdown
from shopperlens.service import personas as svc


def _groups(*groups: tuple[int, dict[str, str]]) -> tuple[pd.DataFrame, np.ndarray]:
    """``n`` respondents per group giving that group's answers, labelled by group."""
    rows = [answers for n, answers in groups for _ in range(n)]
    frame = pd.DataFrame(rows)
    frame.insert(0, "respondent", [f"r{i:03d}" for i in range(len(frame))])
    labels = np.concatenate([[g] * n for g, (n, _) in enumerate(groups)])
    return normalise_answers(frame), labels


def test_a_protected_attribute_never_names_a_persona():
    """Three groups alike but for ethnicity and religion: their names take neither ("Asian
    Anna", "Muslim Mia" could not go into an ad brief)."""
    base = {"values": "price", "gender": "female"}
    frame, labels = _groups(
        (20, {**base, "ethnicity": "asian", "religion": "muslim"}),
        (20, {**base, "ethnicity": "white", "religion": "christian"}),
        (20, {**base, "ethnicity": "black", "religion": "jewish"}),
    )
    personas = synthesise(frame, labels)
    words = {"asian", "white", "black", "muslim", "christian", "jewish", "female"}
    for p in personas:
        assert p.adjective.lower() not in words, p.name
    assert len({p.name for p in personas}) == len(personas)


def test_every_group_too_small_to_describe_is_called_small():
    """Two groups of three (under the minimum of five): both are "Small …", as the README
    promises, and their names still differ."""
    frame, labels = _groups(
        (20, {"values": "price", "hobbies": "diy"}),
        (3, {"values": "quality", "hobbies": "fashion"}),
        (3, {"values": "innovation", "hobbies": "gaming"}),
        (20, {"values": "sustainability", "hobbies": "reading"}),
    )
    small = [p for p in synthesise(frame, labels) if p.suppressed]
    assert len(small) == 2
    assert all(p.adjective == "Small" for p in small), [p.name for p in small]
    assert small[0].name != small[1].name


def _channel_answers() -> pd.DataFrame:
    """20 price-minded respondents, all on e-mail, two of them on TikTok; 20 trend-minded ones
    all on TikTok and Instagram."""
    rows = [
        {"values": "price", "hobbies": "diy", "channels": "email;tiktok" if i < 2 else "email"}
        for i in range(20)
    ]
    rows += [{"values": "innovation", "hobbies": "gaming", "channels": "tiktok;instagram"}] * 20
    frame = pd.DataFrame(rows)
    frame.insert(0, "respondent", [f"r{i:03d}" for i in range(len(frame))])
    return frame


def test_the_markdown_gives_each_channel_its_shares_and_marks_withheld_ones(store):  # type: ignore[no-untyped-def]
    run = svc.build(store=store, frame=_channel_answers(), k=2, n_resamples=0)
    price = next(p for p in run.personas if p.profile.get("values=price") == 1.0)
    text = render_markdown(run, price)
    assert "- email: 100% of them use it (vs 50% overall, index 2.00): more" in text
    assert "- tiktok: fewer than 5 of them use it, figure withheld" in text
    assert "tiktok: hidden" not in text


def test_the_card_names_withheld_channels_and_says_the_income_is_adjusted(store):  # type: ignore[no-untyped-def]
    frame = _channel_answers()
    frame["income"] = [50_000.0] * 20 + [30_000.0] * 20
    run = svc.build(store=store, frame=frame, k=2, n_resamples=0)
    price = next(p for p in run.personas if p.profile.get("values=price") == 1.0)
    card = render_card(run, price, "EUR")
    assert "Withheld, fewer than 5 of them use it: instagram, tiktok" in card
    assert "median income, adjusted <b>≈ EUR 45,000</b>" in card


def test_a_number_below_average_names_a_persona_by_its_lexicon_word():
    """A group earning far less than the other is "Budget …", the lexicon's word for a low
    income, not "Low-Income …"."""
    frame, labels = _groups(
        (20, {"values": "price", "income": "20000"}),
        (20, {"values": "price", "income": "90000"}),
    )
    frame["income"] = pd.to_numeric(frame["income"])
    low, high = synthesise(frame, labels)
    assert low.adjective == "Budget", low.name
    assert high.adjective == "Affluent", high.name


def test_the_size_of_a_persona_comes_with_its_95_percent_interval(store):  # type: ignore[no-untyped-def]
    """Half of 40 respondents: 50 % ± 15 points (1.96 × √(0.25 / 40) = 0.155)."""
    run = svc.build(store=store, frame=_channel_answers(), k=2, n_resamples=0)
    price = next(p for p in run.personas if p.profile.get("values=price") == 1.0)
    assert "20 respondents (50% ± 15 points, 95% interval)" in render_markdown(run, price)
    card = render_card(run, price, "EUR")
    assert "(20; ± 15 points, " in card and ">95 % interval</abbr>)" in card


def test_two_personas_of_one_letter_get_two_first_names_rather_than_a_number():
    """Two groups of men named by "B" words: "Busy Ben" and "Budget Bailey", not "Budget Ben
    4", a name no one remembers in a brief."""
    names = assign_names(
        [[Distinctive("values", "convenience", 2.0)], [Distinctive("income", "-", 1.0)]],
        ["male", "male"],
    )
    assert names == [("Busy", "Ben"), ("Budget", "Bailey")]


def test_a_name_from_a_protected_answer_is_not_carried_on_by_a_rebuild():
    """A run stored before such names were refused may hold "Muslim Mia"; a rebuild that
    matches that persona does not keep the name, while a name of an unprotected answer
    carries on as before."""
    from shopperlens.service.personas import _name_still_fits

    frame, labels = _groups(
        (20, {"values": "price", "gender": "female", "religion": "muslim"}),
        (20, {"values": "quality", "gender": "female", "religion": "christian"}),
    )
    now = synthesise(frame, labels)[0]
    assert "religion=muslim" in now.profile and not now.suppressed
    assert _name_still_fits(now.model_copy(), now)  # its own name: kept
    old = now.model_copy(update={"name": "Muslim Mia", "adjective": "Muslim", "first_name": "Mia"})
    assert not _name_still_fits(old, now)
