"""Free-text themes name what their answers say, and show their own answers as examples.

Planted: ten answers about four things (slow shipping, prices too high, cheap prices, boot
quality). The theme built on the complaints about prices must not be called after praise.
"""

from __future__ import annotations

from collections import Counter

from shopperlens.surveys import analysis

ANSWERS = [
    "shipping was too slow and late",
    "fast shipping great price",
    "great price cheap",
    "price too high expensive",
    "slow shipping delivery",
    "great quality boots",
    "quality boots last long",
    "price cheap good",
    "expensive price",
    "quality great",
]
COMPLAINTS = {"price too high expensive", "expensive price"}


def _theme_of(found: list[analysis.Theme], answer: str) -> analysis.Theme:
    i = ANSWERS.index(answer)
    return next(th for th in found if i in th.members)


def test_a_theme_about_prices_too_high_is_not_named_after_praise() -> None:
    found = analysis.themes(ANSWERS)
    dear = _theme_of(found, "price too high expensive")
    assert {ANSWERS[i] for i in dear.members} == COMPLAINTS
    named = dear.theme.split(" / ")
    assert "expensive" in named
    # "great price" and "shipping" weigh next to nothing in it: neither names nor tops it
    assert not {"great price", "great", "shipping"} & set(named)
    assert not {"great price", "great", "shipping", "quality boots"} & set(dear.top_terms)


def test_examples_are_the_themes_own_answers_each_used_once() -> None:
    found = analysis.themes(ANSWERS)
    used = Counter(e for th in found for e in th.examples)
    assert used and max(used.values()) == 1  # "fast shipping great price" stood in three
    for th in found:
        assert set(th.examples) <= {ANSWERS[i] for i in th.members}
    assert set(_theme_of(found, "expensive price").examples) == COMPLAINTS


def test_a_name_keeps_a_word_pair_only_when_it_weighs_as_much_as_its_words() -> None:
    heavy = [("took long", 0.9), ("long", 0.95), ("took", 0.9), ("late", 0.8)]
    assert analysis._name(heavy) == "took long / late"
    light = [("quality", 1.0), ("boots", 0.7), ("quality boots", 0.7), ("great", 0.6)]
    assert analysis._name(light) == "quality / boots / great"
    faint = [("expensive", 0.918), ("price", 0.653), ("great price", 0.017)]
    assert analysis._name(faint) == "expensive / price"
