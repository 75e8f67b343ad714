"""Input Python's or DuckDB's own readers fail on in ways of their own is read, or refused in
one sentence, never with a traceback: a segment nested past the recursion limit or holding text
UTF-8 cannot carry, a YAML value that does not fit its type (``2024-02-30``, ``!!int abc``), a
definition nested too deeply or holding a number of 5,000 digits, an import's JSON body nested
3,000 deep, a JSON Lines record nested as deep, a consents or survey CSV whose lines end in a
bare ``\r`` (Excel for Mac), and an interview note whose prose holds a date no calendar has."""

from __future__ import annotations

import pytest

import shopperlens
from _ingest_data import write
from shopperlens.errors import ShopperlensError
from shopperlens.ingest.generic import load_mapping
from shopperlens.service import consent, interviews, playbooks, surveys
from shopperlens.store import Store
from shopperlens.surveys.definition import load_definition
from shopperlens.types.config import load_config

#: what a segment the parser cannot read is told
UNREADABLE = "cannot read segment"

#: segments Python's parser gives up on: too deep for its recursion limit, or a lone
#: surrogate (what a shell passes for an invalid byte, and JSON's ``"\udcff"``)
SEGMENTS = [
    "not " * 3000 + "orders >= 1",
    "-" * 5000 + "orders > 1",
    "+".join(["orders"] * 5000) + " > 1",
    "type == '\udcff'",
    "country == '\udcff'",
]


def _buyers(store: Store) -> None:
    """Two customers, one with an order."""
    for cid in ("c1", "c2"):
        store.execute("INSERT INTO customers (customer_id) VALUES (?)", [cid])
    store.execute(
        "INSERT INTO orders (order_id, customer_id, ordered_at) VALUES ('o1', 'c1', '2025-01-01')"
    )
    store.execute(
        "INSERT INTO order_lines (order_id, line_no, product_id, quantity, unit_price) "
        "VALUES ('o1', 1, 'P1', 1, 10.0)"
    )


@pytest.mark.parametrize("segment", SEGMENTS, ids=lambda s: s[:12])
def test_a_segment_the_parser_cannot_read_is_refused(shop, segment):
    _buyers(shop.store)
    with pytest.raises(ShopperlensError, match=UNREADABLE):
        playbooks.audience_customers(store=shop.store, segment=segment)


def test_a_segment_nested_too_deeply_is_a_400_over_http(shop, client):
    _buyers(shop.store)
    res = client.get("/api/playbooks/audience", params={"segment": SEGMENTS[0], "to": "csv"})
    assert res.status_code == 400, res.text[:200]
    assert res.json()["detail"].startswith(UNREADABLE)


@pytest.mark.parametrize("segment", [SEGMENTS[0], SEGMENTS[3]], ids=["deep", "surrogate"])
def test_a_segment_the_parser_cannot_read_is_one_error_line_in_the_cli(
    cli, db_path, tmp_path, segment
):
    with shopperlens.open(db_path) as s:
        _buyers(s.store)
    out = tmp_path / "aud.csv"
    res = cli("audience", "export", "--segment", segment, "--to", "csv", "--out", str(out))
    assert res.exit_code == 1, res.output[-300:]
    assert UNREADABLE in res.stderr and "unexpected" not in res.stderr
    assert not out.exists()


# -- YAML values that do not fit their type ------------------------------------------------
def test_a_types_config_date_that_is_no_day_is_refused_at_its_place(tmp_path):
    path = write(tmp_path, "types.yaml", "windows:\n  new_days: 2024-02-30\n")
    with pytest.raises(ShopperlensError) as err:
        load_config(path)
    said = str(err.value)
    assert "not valid YAML" in said and "'2024-02-30'" in said and "line 2, column 13" in said


def test_a_types_config_date_that_is_no_day_is_one_error_line_in_the_cli(cli, tmp_path):
    path = write(tmp_path, "types.yaml", "windows:\n  new_days: 2024-02-30\n")
    res = cli("types", "--config", str(path))
    assert res.exit_code == 1, res.output[-300:]
    assert "not valid YAML" in res.stderr and "unexpected" not in res.stderr


@pytest.mark.parametrize(
    ("name", "text", "said"),
    [
        ("s.yaml", "name: s\ntitle: !!int abc\nquestions: []\n", "cannot read 'abc' as !!int"),
        ("s.yaml", "name: s\ntitle: !!bool maybe\n", "cannot read 'maybe' as !!bool"),
        ("s.yaml", "name: s\ntitle: !!timestamp 2024-01-01 25:00:00\n", "!!timestamp"),
        ("s.yaml", "name: s\ntitle: " + "[" * 3000 + "]" * 3000 + "\n", "nested too deeply"),
        ("s.json", '{"name": "s", "title": ' + "[" * 3000 + "]" * 3000 + "}", "too deeply"),
        ("s.json", '{"name": "s", "title": ' + "9" * 5000 + "}", "more than 4,300 digits"),
    ],
    ids=["int", "bool", "timestamp", "deep-yaml", "deep-json", "long-number"],
)
def test_a_survey_definition_python_cannot_read_is_refused(tmp_path, name, text, said):
    with pytest.raises(ShopperlensError, match="is not valid") as err:
        load_definition(write(tmp_path, name, text))
    assert said in str(err.value)


def test_a_survey_definition_nested_too_deeply_is_one_error_line_in_the_cli(cli, tmp_path):
    path = write(tmp_path, "s.json", '{"name": "s", "title": ' + "[" * 3000 + "]" * 3000 + "}")
    res = cli("survey", "create", "s", "--from", str(path))
    assert res.exit_code == 1, res.output[-300:]
    assert "is not valid JSON" in res.stderr and "unexpected" not in res.stderr


# -- a JSON mapping file --------------------------------------------------------------------
#: JSON Python's reader gives up on, and what the refusal says
BAD_JSON = {
    "deep": ("[" * 5000 + "]" * 5000, "lists or objects nested too deeply"),
    "long-number": ('{"id": ' + "9" * 5000 + "}", "a number has more than 4,300 digits"),
    "syntax": ('{"id": }', "Expecting value: line 1 column 8 (char 7)"),
}


@pytest.mark.parametrize(("text", "said"), BAD_JSON.values(), ids=BAD_JSON.keys())
def test_a_json_mapping_file_python_cannot_read_is_refused(tmp_path, text, said):
    """A mapping file nested thousands deep was refused with Python's own "maximum recursion
    depth exceeded while decoding a JSON array from a unicode string"."""
    with pytest.raises(ShopperlensError) as err:
        load_mapping(write(tmp_path, "m.json", text))
    assert str(err.value) == f"mapping file m.json is not valid JSON: {said}"


def test_a_json_mapping_file_nested_too_deeply_is_one_error_line_in_the_cli(cli, tmp_path):
    orders = write(tmp_path, "o.csv", "order_id,customer_id,ordered_at\no1,c1,2024-01-01\n")
    mapping = write(tmp_path, "m.json", "[" * 5000)
    res = cli("import", "orders", str(orders), "--mapping-file", str(mapping))
    assert res.exit_code == 1, res.output[-300:]
    assert res.stderr == (
        "error: mapping file m.json is not valid JSON: lists or objects nested too deeply\n"
    )


def test_a_survey_body_python_cannot_read_is_a_400_in_the_same_words(shop, client):
    surveys.ensure_builtin(store=shop.store)
    res = client.post(
        "/s/demo-profile/responses",
        content=BAD_JSON["deep"][0],
        headers={"content-type": "application/json"},
    )
    assert res.status_code == 400, res.text[:200]
    assert res.json()["detail"] == f"the body is not valid JSON: {BAD_JSON['deep'][1]}"


# -- an import's JSON body ----------------------------------------------------------------
def test_an_import_body_nested_too_deeply_is_a_400_not_a_500(shop, client):
    res = client.post(
        "/api/imports/orders",
        content="[" * 3000 + "]" * 3000,
        headers={"content-type": "application/json"},
    )
    assert res.status_code == 400, res.text[:200]
    assert "JSON" in res.json()["detail"]
    assert shop.store.count("orders") == 0 and shop.store.count("imports") == 0


# -- CSV files whose lines end in a bare \r -----------------------------------------------------
#: Excel for Mac's "CSV (Macintosh)": every line ends in a bare carriage return
MAC = "\r"


def test_a_consents_file_with_mac_line_endings_is_read(shop, tmp_path):
    _buyers(shop.store)
    text = "customer_id,purpose,granted\rc1,marketing,true\rc2,marketing,false\r"
    res = consent.import_consents(store=shop.store, path=write(tmp_path, "k.csv", text))
    assert res.added == 2


def test_a_consents_file_with_mac_line_endings_names_the_bad_line(shop, tmp_path):
    _buyers(shop.store)
    text = "customer_id,purpose,granted\rc1,marketing,true\rc2,marketing,maybe\r"
    with pytest.raises(ShopperlensError, match="line 3: granted"):
        consent.import_consents(store=shop.store, path=write(tmp_path, "k.csv", text))
    assert shop.store.count("consents") == 0


@pytest.mark.parametrize("sep", [",", ";"])
def test_a_survey_export_with_mac_line_endings_is_read(shop, tmp_path, sep):
    surveys.ensure_builtin(store=shop.store)
    text = MAC.join([f"respondent{sep}age_bracket", f"r1{sep}25-34", f"r2{sep}65+", ""])
    res = surveys.import_survey_csv(
        store=shop.store, survey="demo-profile", path=write(tmp_path, "s.csv", text)
    )
    assert res.rows_accepted == 2


def test_a_survey_export_with_mac_line_endings_names_the_bad_line(shop, tmp_path):
    surveys.ensure_builtin(store=shop.store)
    text = MAC.join(["respondent,age_bracket", "r1,25-34", "r2,99-99", ""])
    path = write(tmp_path, "s.csv", text)
    with pytest.raises(ShopperlensError, match="s.csv:3 age_bracket"):
        surveys.import_survey_csv(store=shop.store, survey="demo-profile", path=path)
    assert shop.store.count("survey_responses") == 0


# -- an interview note's date ----------------------------------------------------------------
def test_a_note_whose_prose_holds_a_date_no_calendar_has_is_imported(shop, tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "01.md").write_text(
        "# Interview 01: customer C0042\n\nHer order 2024-02-30 never came. "
        "We spoke on 2024-03-05.\n",
        "utf-8",
    )
    interviews.import_notes(store=shop.store, paths=[folder])
    when = shop.store.scalar("SELECT interviewed_at FROM interview_notes")
    assert str(when).startswith("2024-03-05")


def test_a_note_with_no_real_date_has_none(shop, tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "01.md").write_text("# Interview 01\n\nReference 0000-00-00.\n", "utf-8")
    interviews.import_notes(store=shop.store, paths=[folder])
    assert shop.store.scalar("SELECT count(*) FROM interview_notes") == 1
    assert shop.store.scalar("SELECT interviewed_at FROM interview_notes") is None


# -- a JSON Lines record nested past the recursion limit ----------------------------------------
GOOD_EVENT = '{"visitor_id": "v0", "timestamp": "2024-01-01", "event_name": "page_view"}\n'
DEEP_RECORDS = {
    "deep-alone": GOOD_EVENT + "[" * 5000 + "]" * 5000 + "\n",
    "deep-and-cut": GOOD_EVENT + "{bad\n" + "[" * 5000 + "]" * 5000 + "\n",
}


@pytest.mark.parametrize("text", DEEP_RECORDS.values(), ids=DEEP_RECORDS.keys())
def test_a_json_record_nested_too_deeply_is_a_reject_naming_its_line(shop, tmp_path, text):
    path = write(tmp_path, "events.jsonl", text)
    with pytest.raises(ShopperlensError, match=r"events.jsonl:\d \(row\).*nested too deeply"):
        shop.import_events(path)
    assert shop.store.count("events") == 0 and shop.store.count("imports") == 0
    res = shop.import_events(path, on_error="skip")
    assert res.added["events"] == 1
    assert any(r.reason == "malformed JSON: nested too deeply" for r in res.rejects)
