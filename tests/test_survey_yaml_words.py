"""A survey definition is read as YAML 1.2 reads plain words: ``choices: [Yes, No]`` and the
country codes ``[NO, SE, DK]`` are words (YAML 1.1 made them booleans and the survey was
refused as "not a string"), numbers written as choices are their text, and a refusal names
the question."""

from __future__ import annotations

import pytest

from _ingest_data import write
from shopperlens.errors import ShopperlensError
from shopperlens.surveys.definition import load_definition

HEAD = "name: s\ntitle: S\nquestions:\n"


def _survey(tmp_path, questions: str):  # type: ignore[no-untyped-def]
    return load_definition(write(tmp_path, "s.yaml", HEAD + questions))


def test_yes_no_and_country_codes_are_words(tmp_path):
    survey = _survey(
        tmp_path,
        "  - {id: again, kind: single, text: Buy again, choices: [Yes, No, Maybe]}\n"
        "  - {id: country, kind: single, text: Where, group: demographic,"
        " choices: [NO, SE, DK, on]}\n"
        "  - {id: stars, kind: single, text: Stars, choices: [1, 2, 3, 4.5]}\n"
        "  - {id: why, kind: text, text: Why, required: true}\n",
    )
    got = {q.id: q.choices for q in survey.questions}
    assert got["again"] == ["Yes", "No", "Maybe"]
    assert got["country"] == ["NO", "SE", "DK", "on"]
    assert got["stars"] == ["1", "2", "3", "4.5"]
    assert [q.required for q in survey.questions] == [False, False, False, True]


def test_yes_and_yes_again_are_refused_as_one_choice_naming_the_question(tmp_path):
    with pytest.raises(ShopperlensError) as raised:
        _survey(tmp_path, "  - {id: again, kind: single, text: Again, choices: [Yes, yes]}\n")
    assert "again: a single question needs distinct choices" in str(raised.value)


def test_a_true_false_choice_is_refused_naming_the_question_and_the_fix(tmp_path):
    with pytest.raises(ShopperlensError) as raised:
        _survey(tmp_path, "  - {id: ok, kind: single, text: OK, choices: [true, false]}\n")
    said = str(raised.value)
    assert said.startswith("invalid survey definition: question 'ok': a true/false")
    assert "in quotes" in said and "choices.0" in said
