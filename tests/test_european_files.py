"""Files written the European way, without the decimal-comma option: a number that may be read
two ways (``1.250``: 1250 with a thousands dot, or 1.25) is refused where the file shows that
way of writing, never guessed; a decimal comma is not a number and the reason says so; a
Windows-1252 file converted as Latin-1 (control characters where „ “ € were) is refused; the
encoding hints name the right ``iconv`` line; survey exports separated by ``;`` are read, and
a survey answer of ``2.500`` (2500, or 2.5?) is refused in an export and on the public form."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from _ingest_data import counts, write
from shopperlens.config import Settings
from shopperlens.errors import ShopperlensError
from shopperlens.ingest.rejects import Reject
from shopperlens.service.imports import ImportRejected
from shopperlens.surveys.definition import survey_from_dict
from shopperlens.web.app import create_app

#: a German shop's export, as Excel saves it: ``;`` between values, German column names
DE_HEAD = "Bestellnummer;Kunden-ID;Bestelldatum;Artikelnummer;Menge;Einzelpreis"
DE_MAP = {
    "Bestellnummer": "order_id",
    "Kunden-ID": "customer_id",
    "Bestelldatum": "ordered_at",
    "Artikelnummer": "product_id",
    "Menge": "quantity",
    "Einzelpreis": "unit_price",
}
DE_ROWS = [
    "1001;K1;2025-12-24 18:30;P1;1;1.250",  # a tent at 1250 EUR, or 1.25?
    "1002;K2;2026-01-03 09:15;P2;1.000;2.5",  # a thousand pegs, or one?
    "1003;K3;2026-01-04 10:00;P3;2;19.99",
]


def _german(tmp_path):  # type: ignore[no-untyped-def]
    return write(tmp_path, "bestellungen.csv", "\n".join([DE_HEAD, *DE_ROWS]) + "\n")


def _lines(shop) -> list[tuple[str, int, float]]:  # type: ignore[no-untyped-def]
    return shop.store.execute(
        "SELECT order_id, quantity, unit_price FROM order_lines ORDER BY order_id"
    ).fetchall()


AMBIGUOUS_PRICE = (
    "'1.250' may be 1250 with a thousands dot or 1.25: write 1250 or 1.25, or import with "
    "--decimal-comma"
)
AMBIGUOUS_QUANTITY = (
    "'1.000' may be 1000 with a thousands dot or 1: write 1000 or 1, or import with --decimal-comma"
)


# -- orders: the ambiguous number ----------------------------------------------------------------
def test_a_semicolon_file_refuses_thousands_shaped_numbers_and_writes_nothing(shop, tmp_path):
    """Before, ``1.250`` was stored as 1.25 and ``1.000`` as 1, and the import exited 0."""
    with pytest.raises(ImportRejected) as info:
        shop.import_orders(_german(tmp_path), mapping=DE_MAP)
    path = str(tmp_path / "bestellungen.csv")
    assert info.value.rejects == [
        Reject(path, 2, "Einzelpreis", "1.250", AMBIGUOUS_PRICE, "unit_price"),
        Reject(path, 3, "Menge", "1.000", AMBIGUOUS_QUANTITY, "quantity"),
    ]
    assert counts(shop, "orders", "order_lines", "imports") == {
        "orders": 0,
        "order_lines": 0,
        "imports": 0,
    }


def test_skipping_keeps_the_unambiguous_rows_only(shop, tmp_path):
    res = shop.import_orders(_german(tmp_path), mapping=DE_MAP, on_error="skip")
    assert (res.rows_accepted, res.rows_rejected) == (1, 2)
    assert _lines(shop) == [("1003", 2, 19.99)]  # (19.99: no thousands shape, a decimal point)


def test_an_english_file_keeps_three_decimals(shop, tmp_path):
    """A ``,``-separated file with no decimal comma shows no European writing: a Kuwaiti dinar
    price of 1.250 is 1.25, while the same value in a ``;`` file is refused."""
    english = "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
    english += "o1,c1,2024-03-01,p1,2,1.250\n"
    shop.import_orders(write(tmp_path, "kw.csv", english))
    assert _lines(shop) == [("o1", 2, 1.25)]
    with pytest.raises(ImportRejected):
        shop.import_orders(write(tmp_path, "kw2.csv", english.replace(",", ";")))


#: a ``,``-separated file whose unit prices are written the European way (quoted "12,50"), and
#: whose shipping column is not
COMMA_FILE = """order_id,customer_id,ordered_at,product_id,quantity,unit_price,shipping
o1,c1,2024-03-01,p1,1,"12,50",4.95
o2,c1,2024-03-02,p1,1,1.250,
o3,c1,2024-03-03,p1,2,9.99,1.250
"""


def test_a_decimal_comma_in_a_column_makes_its_thousands_shapes_ambiguous(shop, tmp_path):
    """``12,50`` in unit_price: that column writes numbers the European way, so its ``1.250``
    is refused; the shipping column shows no decimal comma and its ``1.250`` is 1.25.
    Before, the comma row was rejected and the ``1.250`` row stored at 1.25."""
    res = shop.import_orders(write(tmp_path, "c.csv", COMMA_FILE), on_error="skip")
    rejects = {(r.line, r.column, r.value, r.reason) for r in res.rejects}
    assert rejects == {
        (2, "unit_price", "12,50", "not a number (a decimal comma? import with --decimal-comma)"),
        (3, "unit_price", "1.250", AMBIGUOUS_PRICE),
    }
    got = shop.store.execute("SELECT order_id, unit_price, shipping FROM order_lines l "
                             "JOIN orders USING (order_id)").fetchall()  # fmt: skip
    assert got == [("o3", 9.99, 1.25)]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ('"12,50"', "not a number (a decimal comma? import with --decimal-comma)"),
        ('"1.234,50"', "not a number (a decimal comma? import with --decimal-comma)"),
        ("1.000.000", "not a number (a thousands dot? import with --decimal-comma)"),
    ],
)
def test_a_number_written_the_european_way_is_rejected_with_a_hint(shop, tmp_path, value, reason):
    head = "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
    path = write(tmp_path, "o.csv", f"{head}o1,c1,2024-03-01,p1,1,{value}\n")
    with pytest.raises(ImportRejected) as info:
        shop.import_orders(path)
    assert [(r.line, r.column, r.reason) for r in info.value.rejects] == [(2, "unit_price", reason)]


def test_the_cli_refuses_the_semicolon_file_and_exits_1(cli, tmp_path):
    mapping = write(tmp_path, "map.yaml", "\n".join(f"{k}: {v}" for k, v in DE_MAP.items()))
    res = cli("import", "orders", str(_german(tmp_path)), "--mapping-file", str(mapping))
    assert res.exit_code == 1
    assert f"bestellungen.csv:2 Einzelpreis='1.250': {AMBIGUOUS_PRICE}" in res.output


# -- encodings ------------------------------------------------------------------------------------
ORDERS_NAMED = "order_id,customer_id,ordered_at,product_id,quantity,unit_price,product_name\n"
TENT = "o1,c1,2024-03-01,p1,1,2.50,Zelt „Großglockner“ – 4 Personen\n"


def _latin1_converted(text: str) -> bytes:
    """What ``iconv -f latin1 -t utf-8`` makes of a Windows-1252 file: „ (0x84) becomes the
    control character U+0084."""
    return text.encode("cp1252").decode("latin-1").encode("utf-8")


def test_a_windows_file_converted_as_latin1_is_refused(shop, tmp_path):
    path = tmp_path / "o.csv"
    path.write_bytes(_latin1_converted(ORDERS_NAMED + TENT))
    with pytest.raises(ShopperlensError) as info:
        shop.import_orders(path)
    said = str(info.value)
    assert said.startswith("o.csv: the file holds a C1 control character (U+0084 on line 2)")
    assert "`iconv -f cp1252 -t utf-8`" in said
    assert counts(shop, "order_lines", "imports") == {"order_lines": 0, "imports": 0}


def test_a_control_character_past_the_first_mib_is_refused_too(shop, tmp_path):
    """The first MiB is checked before reading; the rest by the pass that sums the file."""
    good = "".join(f"o{i},c1,2024-03-01,p1,1,2.50,Zelt\n" for i in range(2, 40_000))  # ~1.2 MiB
    path = tmp_path / "o.csv"
    path.write_bytes(_latin1_converted(ORDERS_NAMED + good + TENT))
    with pytest.raises(ShopperlensError, match=r"U\+0084 on line 40000\)"):
        shop.import_orders(path)
    assert counts(shop, "order_lines") == {"order_lines": 0}


def test_a_windows_1252_file_is_told_to_convert_from_cp1252(shop, tmp_path):
    path = tmp_path / "o.csv"
    path.write_bytes((ORDERS_NAMED + TENT).encode("cp1252"))
    with pytest.raises(ShopperlensError) as info:
        shop.import_orders(path)
    assert "`iconv -f cp1252 -t utf-8`" in str(info.value)
    assert "latin1" not in str(info.value)


def test_utf16_with_a_byte_order_mark_gets_its_iconv_line(shop, tmp_path):
    path = tmp_path / "u16.csv"
    path.write_bytes((ORDERS_NAMED + TENT).encode("utf-16"))  # (a BOM, then the text)
    with pytest.raises(ShopperlensError, match="`iconv -f utf-16 -t utf-8`"):
        shop.import_orders(path)


# -- surveys --------------------------------------------------------------------------------------
UMFRAGE = {
    "name": "umfrage",
    "title": "Umfrage",
    "questions": [
        {"id": "einkommen", "kind": "number", "group": "financial", "text": "Einkommen (€)?"},
        {
            "id": "werte",
            "kind": "multi",
            "group": "psychographic",
            "text": "Was ist Ihnen wichtig?",
            "choices": ["Qualität", "günstiger Preis", "Markenimage"],
        },
        {"id": "kommentar", "kind": "text", "group": "mindset", "text": "Noch etwas?"},
    ],
}


@pytest.fixture
def umfrage(shop):  # type: ignore[no-untyped-def]
    shop.survey_create(survey_from_dict(UMFRAGE))
    return shop


def _incomes(shop) -> dict[str, float]:  # type: ignore[no-untyped-def]
    frame = shop.survey_responses("umfrage")
    return dict(zip(frame["respondent"], frame["einkommen"], strict=True))


def test_a_semicolon_survey_export_is_read(umfrage, tmp_path):
    """Before: "no 'respondent' column (found: respondent;einkommen;werte)"."""
    text = (
        "\ufeffrespondent;einkommen;werte\n"
        'r1;1800;"Qualität;günstiger Preis"\n'
        "r2;2750,50;Markenimage\n"
    )
    res = umfrage.survey_import(write(tmp_path, "antworten.csv", text), survey="umfrage")
    assert (res.rows_accepted, res.rows_rejected) == (2, 0)
    assert _incomes(umfrage) == {"r1": 1800.0, "r2": 2750.5}
    frame = umfrage.survey_responses("umfrage")
    assert frame.set_index("respondent")["werte"]["r1"] == ["Qualität", "günstiger Preis"]


def test_a_thousands_shaped_answer_in_an_export_is_refused(umfrage, tmp_path):
    text = 'respondent,einkommen\nr1,2500\nr2,2.500\nr3,"2,500"\nr4,2500.50\n'
    with pytest.raises(ShopperlensError) as info:
        umfrage.survey_import(write(tmp_path, "antworten.csv", text), survey="umfrage")
    said = str(info.value)
    assert (
        "antworten.csv:3 einkommen='2.500': '2.500' may be 2500 with a thousands dot or 2.5: "
        "write 2500 or 2.5, or import with --decimal-comma"
    ) in said
    assert "antworten.csv:4 einkommen='2,500': '2,500' may be 2500 with a thousands comma" in said
    assert umfrage.survey_responses("umfrage").empty
    res = umfrage.survey_import(
        write(tmp_path, "antworten.csv", text), survey="umfrage", on_error="skip"
    )
    assert _incomes(umfrage) == {"r1": 2500.0, "r4": 2500.5} and res.rows_rejected == 2


def test_a_survey_export_converted_as_latin1_is_refused(umfrage, tmp_path):
    path = tmp_path / "antworten.csv"
    path.write_bytes(_latin1_converted("respondent,einkommen,kommentar\nr1,1800,„Gut“ – danke\n"))
    with pytest.raises(ShopperlensError, match=r"U\+0084 on line 2.*iconv -f cp1252"):
        umfrage.survey_import(path, survey="umfrage")


def _form(shop):  # type: ignore[no-untyped-def]
    return TestClient(create_app(Settings(token="t"), shop=shop))


def test_the_public_form_refuses_a_thousands_dot_and_takes_plain_numbers(umfrage):
    """A respondent's ``2.500`` for an income was stored as 2.5."""
    with _form(umfrage) as c:
        for answer in ("2.500", "2,500", "1.000.000"):
            bad = c.post("/s/umfrage/responses", data={"einkommen": answer})
            assert bad.status_code == 422, answer
            assert "write the number without a thousands separator" in bad.text
        sent = c.post("/s/umfrage/responses", json={"answers": {"einkommen": "2.500"}})
        assert sent.status_code == 422
        assert "write the number without a thousands separator" in sent.text
        for answer in ("2500", "2500.50", "2500,50"):
            ok = c.post("/s/umfrage/responses", data={"einkommen": answer}, follow_redirects=False)
            assert ok.status_code == 303, (answer, ok.text)
    stored = umfrage.store.execute(
        "SELECT value_num FROM survey_answers WHERE question = 'einkommen' ORDER BY value_num"
    ).fetchall()
    assert stored == [(2500.0,), (2500.5,), (2500.5,)]


@pytest.mark.parametrize(
    ("text", "number"),
    [("2500", 2500.0), ("2500.50", 2500.5), ("2500,50", 2500.5), ("1.234,50", 1234.5),
     ("1,234.50", 1234.5), ("0.500", 0.5), ("-12,5", -12.5), ("1e3", 1000.0)],
)  # fmt: skip
def test_an_answer_that_reads_one_way_is_that_number(text, number):
    from shopperlens.ingest.numbers import read_number

    assert read_number(text) == number


@pytest.mark.parametrize("text", ["2.500", "12.500", "1.000.000", "2,500", "-1.250"])
def test_an_answer_that_reads_two_ways_is_refused(text):
    from shopperlens.ingest.numbers import AmbiguousNumber, read_number

    with pytest.raises(AmbiguousNumber):
        read_number(text)


def test_consent_and_interview_files_name_the_iconv_line(tmp_path: Path) -> None:
    """Consent records and interview notes are read by their own helper, which named UTF-16
    without the line that converts it, and no remedy for a Windows-1252 file."""
    import shopperlens

    text = "customer_id,purpose,granted,recorded_at\nc1,marketing,true,2025-01-01\n"
    utf16 = tmp_path / "consents16.csv"
    utf16.write_bytes(text.encode("utf-16"))
    note = tmp_path / "notes" / "01.md"
    note.parent.mkdir()
    note.write_bytes("# Interview 01\n> „Die Lieferung war zu spät.“\n".encode("cp1252"))
    with shopperlens.open(tmp_path / "s.duckdb") as shop:
        with pytest.raises(ShopperlensError, match="iconv -f utf-16 -t utf-8"):
            shop.consent_import(utf16)
        with pytest.raises(ShopperlensError, match="iconv -f cp1252 -t utf-8"):
            shop.interviews_import(note.parent)
