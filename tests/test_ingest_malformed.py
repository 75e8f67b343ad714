"""Malformed CSV rows (more or fewer values than the header has columns, a quote left open)
are rejects like any other: named by file, physical line, column, value and reason, kept out
with ``--on-error skip`` while the good rows land, and the whole file refused by default."""

from __future__ import annotations

import pytest

from _ingest_data import EVENTS, SHOPIFY, counts, write
from shopperlens.errors import ShopperlensError
from shopperlens.ingest.rejects import WITHHELD

HEAD = "order_id,customer_id,ordered_at,product_id,quantity,unit_price"
GOOD = "{n},c{n},2024-01-05 10:00:00,p1,1,9.50"


def _rows(res) -> list[tuple[int, str, str | None, str]]:  # type: ignore[no-untyped-def]
    return [(r.line, r.column, r.value, r.reason) for r in res.rejects]


def _file(*lines: str) -> str:
    return "\n".join([HEAD, *lines]) + "\n"


MIXED = _file(
    GOOD.format(n=1),  # line 2
    "2,c2,2024-01-05 10:00:00,p1,1,9.50,extra",  # 3: seven values
    "",  # 4: blank
    '3,c3,2024-01-05 10:00:00,"p\n1",1,9.50',  # 5-6: a value spanning lines (no id may)
    "4,c4,2024-01-05",  # 7: three values
    "5,c5,not a date,p1,1,9.50",  # 8: a good row's own reject
    GOOD.format(n=6),  # 9
)


def test_skip_keeps_good_rows_and_names_each_malformed_line(shop, tmp_path):
    res = shop.import_orders(write(tmp_path, "o.csv", MIXED), on_error="skip")
    assert (res.rows_read, res.rows_accepted, res.rows_rejected) == (6, 2, 4)
    # a malformed row's value is its whole line: results show it only in the rejects file
    assert _rows(res) == [
        (3, "(row)", WITHHELD, "malformed row: more values than the header's 6 columns"),
        (5, "product_id", "p\n1", "holds a control character U+000A"),
        (7, "product_id", WITHHELD, "malformed row: 3 values where the header has 6 columns"),
        (8, "ordered_at", "not a date", "not a date/time"),
    ]  # fmt: skip
    # the value spanning lines 5-6 is read whole, and the lines after it keep their numbers
    ids = shop.store.execute("SELECT order_id FROM orders ORDER BY order_id").fetchall()
    assert [r[0] for r in ids] == ["1", "6"]


def test_abort_writes_nothing_and_lists_the_malformed_rows(shop, tmp_path):
    before = counts(shop)
    with pytest.raises(ShopperlensError) as info:
        shop.import_orders(write(tmp_path, "o.csv", MIXED))
    said = str(info.value)
    assert "4 row(s) rejected, nothing imported" in said
    # a whole row may hold e-mails and names: messages point to the rejects file for it
    assert "o.csv:3 (row) (value in the rejects file): " in said
    assert "o.csv:7 product_id (value in the rejects file)" in said
    assert counts(shop) == before


def test_a_quote_left_open_is_one_reject_and_the_rows_before_it_land(shop, tmp_path):
    quoted = '1,c1,2024-01-05 10:00:00,"p,1",1,9.50'  # (so the file is read with quotes)
    text = _file(quoted, '2,c2,"2024-01-05,p1,1,9.50', GOOD.format(n=3))
    res = shop.import_orders(write(tmp_path, "o.csv", text), on_error="skip")
    assert [(r.line, r.value) for r in res.rejects] == [(3, WITHHELD)]
    assert "a quote left open takes in the rest of the file" in res.rejects[0].reason
    assert res.rows_accepted == 1  # line 4 is inside the open quote: the reject says so


def test_a_malformed_row_past_the_sniffers_sample(shop, tmp_path):
    """DuckDB sniffs the first 20,480 rows; a bad row after them fails the read itself."""
    rows = [GOOD.format(n=n) for n in range(1, 25_001)]
    rows[24_000] = rows[24_000] + ",extra"  # line 24,002
    res = shop.import_orders(write(tmp_path, "o.csv", _file(*rows)), on_error="skip")
    assert [(r.line, r.column) for r in res.rejects] == [(24_002, "(row)")]
    assert res.rows_accepted == 24_999


@pytest.mark.parametrize("name", ["o.tsv", "o.csv.gz"])
def test_tsv_and_gzip(shop, tmp_path, name):
    text = MIXED.replace(",", "\t") if name.endswith(".tsv") else MIXED
    res = shop.import_orders(write(tmp_path, name, text), on_error="skip")
    assert [r.line for r in res.rejects] == [3, 5, 7, 8]
    assert res.rows_accepted == 2


def test_excel_sep_line(shop, tmp_path):
    res = shop.import_orders(write(tmp_path, "o.csv", "sep=,\n" + MIXED), on_error="skip")
    assert [r.line for r in res.rejects] == [4, 6, 8, 9]
    assert res.rows_accepted == 2


def test_events_file_into_an_empty_store_and_again(shop, tmp_path):
    """The first events file into an empty table is read on the optimistic path."""
    lines = EVENTS.splitlines()
    lines.insert(3, "e9,v9,,2024-01-05 09:00:00,page_view")
    path = write(tmp_path, "e.csv", "\n".join(lines) + "\n")
    res = shop.import_events(path, on_error="skip")
    assert [(r.line, r.column) for r in res.rejects] == [(4, "page")]
    assert counts(shop, "events") == {"events": 5}
    again = shop.import_events(path, on_error="skip")
    assert again.files[0].skipped and counts(shop, "events") == {"events": 5}


def test_a_bad_byte_after_a_malformed_row_is_still_an_encoding_error(shop, tmp_path):
    rows = [GOOD.format(n=n) for n in range(1, 40_001)]  # past the 1 MiB the check reads
    rows[1] = rows[1] + ",extra"
    rows[-1] = rows[-1].replace("p1", "p\xe9")
    path = tmp_path / "o.csv"
    path.write_bytes(_file(*rows).encode("latin-1"))
    with pytest.raises(ShopperlensError, match=r"o\.csv: the file is not UTF-8 encoded"):
        shop.import_orders(path, on_error="skip")
    assert counts(shop, "orders") == {"orders": 0}


def test_cli_exit_and_message(cli, tmp_path):
    res = cli("import", "orders", str(write(tmp_path, "o.csv", MIXED)))
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "malformed row: more values than the header's 6 columns" in " ".join(res.output.split())
    ok = cli("import", "orders", str(write(tmp_path, "o.csv", MIXED)), "--on-error", "skip")
    assert ok.exit_code == 0 and "4 row(s) rejected" in ok.output, ok.output


def test_rows_starting_with_a_hash_are_rows_not_comments(shop, tmp_path):
    """DuckDB's sniffer took '#' for a comment mark and dropped such rows without a word."""
    rows = [f"{'#' if n % 2 else ''}o{n},c{n},2024-01-05 10:00:00,p1,1,9.50" for n in range(10)]
    rows.insert(5, "#o99,c1")  # line 7, malformed
    res = shop.import_orders(write(tmp_path, "o.csv", _file(*rows)), on_error="skip")
    assert [(r.line, r.value) for r in res.rejects] == [(7, WITHHELD)]
    assert counts(shop, "orders") == {"orders": 10}


def test_a_malformed_row_in_a_shopify_export(shop, tmp_path):
    lines = SHOPIFY.read_text(encoding="utf-8").splitlines()
    lines.insert(2, "#1002,x@y.z,paid")
    res = shop.import_orders(write(tmp_path, "s.csv", "\n".join(lines) + "\n"), on_error="skip")
    # the malformed row names order #1002: its real line (5) is kept out with it
    assert [(r.line, r.value) for r in res.rejects] == [(3, WITHHELD), (5, "#1002")]
    clean = SHOPIFY.read_text(encoding="utf-8").count("\n") - 1
    assert res.rows_accepted == clean - 1


def test_a_row_wider_than_the_header_at_the_end_is_no_header(shop, tmp_path):
    text = _file(GOOD.format(n=1), GOOD.format(n=2), GOOD.format(n=3) + ",x,y")
    res = shop.import_orders(write(tmp_path, "o.csv", text), on_error="skip")
    assert [(r.line, r.column) for r in res.rejects] == [(4, "(row)")]
    assert counts(shop, "orders") == {"orders": 2}


def test_mixed_line_endings_are_named(shop, tmp_path):
    """Lines appended in another editor (LF after CR LF) failed with "The CSV Parser state
    machine reached an invalid state"."""
    text = "customer_id,email\r\nC1,a@x.io\r\nC2,b@x.io\nC3,c@x.io\n"
    with pytest.raises(ShopperlensError, match="mixes Windows .CR LF. and Unix .LF. line endings"):
        shop.import_customers(write(tmp_path, "mixed.csv", text))
    assert counts(shop, "customers") == {"customers": 0}


def test_a_row_over_the_line_size_limit_is_a_reject(shop, tmp_path):
    """A row over DuckDB's 2,000,000-byte limit came back with no message: every face failed
    on an unexpected AttributeError (HTTP 500) and the good rows were lost under skip."""
    long = "2,c2,2024-01-05 10:00:00,p" + "1" * 2_100_000 + ",1,9.50"
    text = _file(GOOD.format(n=1), long, GOOD.format(n=3))
    with pytest.raises(ShopperlensError) as info:
        shop.import_orders(write(tmp_path, "o.csv", text))
    assert "1 row(s) rejected, nothing imported" in str(info.value)
    res = shop.import_orders(write(tmp_path, "o.csv", text), on_error="skip")
    assert (res.rows_accepted, res.rows_rejected) == (2, 1)
    ((line, column, _, reason),) = _rows(res)
    assert (line, column) == (3, "(row)") and "2,000,000 bytes" in reason
