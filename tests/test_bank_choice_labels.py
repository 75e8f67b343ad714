"""The question bank shows respondents words they read (``PhD``, ``DIY``, ``TikTok``,
``Self employed``), while answers stored or exported with the older codes (``phd``,
``self_employed``, ``plan_ahead``) are still the same answers: validated, named and described
alike."""

from __future__ import annotations

import pytest

from shopperlens.personas.naming import Distinctive, adjective_for
from shopperlens.personas.synthesis import _label
from shopperlens.surveys.definition import from_bank

SHOWN = [
    ("education", "PhD", "phd"),
    ("hobbies", "DIY", "diy"),
    ("channels", "TikTok", "tiktok"),
    ("channels", "YouTube", "youtube"),
    ("occupation", "Self employed", "self_employed"),
    ("spending_habit", "Plan ahead", "plan_ahead"),
    ("spending_habit", "Compare prices", "compare_prices"),
]


@pytest.mark.parametrize(("question", "label", "code"), SHOWN)
def test_a_choice_is_a_word_and_its_old_code_still_answers_it(question, label, code):
    [q] = from_bank([question])
    assert label in (q.choices or [])
    assert code not in (q.choices or [])  # never shown as a code
    stored = q.validate_answer([code] if q.kind == "multi" else code)
    assert stored == ([label] if q.kind == "multi" else label)


def test_the_shopping_question_fits_its_choices():
    [q] = from_bank(["spending_habit"])
    assert "sentence" not in q.text.lower()


@pytest.mark.parametrize(
    ("question", "answer", "word"),
    [
        ("education", "PhD", "Scholarly"),
        ("education", "phd", "Scholarly"),
        ("occupation", "Self employed", "Enterprising"),
        ("hobbies", "DIY", "Handy"),
        ("spending_habit", "Plan ahead", "Prepared"),
        ("spending_habit", "Compare prices", "Thrifty"),
    ],
)
def test_personas_name_a_label_as_its_code(question, answer, word):
    assert adjective_for(Distinctive(question, answer, 1.0)) == word


def test_personas_describe_a_label_as_its_code():
    assert _label("occupation", "Self employed") == _label("occupation", "self_employed")
    assert _label("occupation", "Self employed") == "are self-employed"
    assert _label("spending_habit", "Plan ahead") == "plan purchases ahead"
    assert _label("occupation", "Manager") == "work as managers"
