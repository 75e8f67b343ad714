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


def test_choices_stay_as_written_where_yaml_1_1_read_numbers(tmp_path):
    """YAML 1.1 read ``9:30`` as the base-60 number 570 and ``010`` as the octal 8: every plain
    value of a survey file is the text written."""
    survey = _survey(
        tmp_path,
        "  - {id: slot, kind: single, text: When, choices: [9:30, 10:30, 11:30]}\n"
        "  - {id: size, kind: single, text: Size, choices: [010, 020, 1.10, 1_000, .inf, true]}\n"
        "  - {id: stars, kind: scale, text: Stars, min: 1, max: 5, required: true}\n",
    )
    got = {q.id: q for q in survey.questions}
    assert got["slot"].choices == ["9:30", "10:30", "11:30"]
    assert got["size"].choices == ["010", "020", "1.10", "1_000", ".inf", "true"]
    assert (got["stars"].min, got["stars"].max, got["stars"].required) == (1, 5, True)


def test_a_true_false_choice_in_json_is_refused_naming_the_question_and_the_fix(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(
        '{"name": "s", "title": "S", "questions": [{"id": "ok", "kind": "single", '
        '"text": "OK", "choices": [true, false]}]}'
    )
    with pytest.raises(ShopperlensError) as raised:
        load_definition(path)
    said = str(raised.value)
    assert said.startswith("invalid survey definition: question 'ok': a true/false")
    assert "in quotes" in said and "choices.0" in said


def test_the_types_configs_yaml_is_yaml_1_2s_core_schema():
    from shopperlens._yaml import load

    got = load("a: 010\nb: 9:30\nc: 0x1F\nd: 1_000\ne: 6e1\nf: on\ng: true\nh: .inf\ni: 0o17\n")
    assert got == {"a": 10, "b": "9:30", "c": 31, "d": "1_000", "e": 60.0, "f": "on", "g": True,
                   "h": float("inf"), "i": 15}  # fmt: skip


def test_a_yaml_mistake_is_one_line_with_the_editors_line_and_column(tmp_path, cli):  # type: ignore[no-untyped-def]
    """PyYAML's text ran over five lines, quoting ``"<unicode string>"`` and a caret line; the
    survey definition, the types config and the mapping file now say it in one line."""
    from shopperlens.ingest.generic import load_mapping
    from shopperlens.types.config import load_config

    survey = write(tmp_path, "s.yaml", HEAD + '  - id: a\n    text: "unclosed\n  - id: b\n')
    config = write(tmp_path, "t.yaml", "loyal:\n  min_orders: [1\n")
    mapping = write(tmp_path, "m.yaml", "Order: order_id\nTotal: unit_price: x\n")
    for read, path, said in (
        (load_definition, survey, f"{survey} is not valid yaml: while scanning a quoted scalar "
         "at line 5, column 11: found unexpected end of stream at line 7, column 1"),
        (load_config, config, f"types config {config} is not valid YAML: while parsing a flow "
         "sequence at line 2, column 15: expected ',' or ']', but got '<stream end>' at line 3, "
         "column 1"),
        (load_mapping, mapping, "mapping file m.yaml is not valid YAML/JSON: mapping values are "
         "not allowed here at line 2, column 18"),
    ):  # fmt: skip
        with pytest.raises(ShopperlensError) as bad:
            read(path)
        assert str(bad.value) == said
    res = cli("types", "--config", str(config))
    assert res.exit_code == 1 and len(res.stderr.strip().splitlines()) <= 2  # (Rich may wrap)
    assert "<unicode string>" not in res.stderr and "^" not in res.stderr
