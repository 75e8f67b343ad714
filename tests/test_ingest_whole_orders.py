"""An import call that meets bad rows: under ``--on-error skip`` an order is imported whole or
not at all, so its corrected rows can be imported later; under ``--on-error abort`` every file
of the call is checked before the one error names all that is wrong."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import shopperlens
from _ingest_data import counts, write
from shopperlens.errors import ShopperlensError

HEAD = "order_id,customer_id,ordered_at,product_id,quantity,unit_price"
#: O5's second line has a quantity that is no whole number; O6 is clean
O5 = f"{HEAD}\nO5,C5,2024-01-05,P1,1,10\nO5,C5,2024-01-05,P2,1.5,20\nO6,C6,2024-01-06,P1,1,10\n"
#: O7's middle line lacks its unit price: a malformed row
O7 = f"{HEAD}\nO7,C7,2024-01-07,P1,1,10\nO7,C7,2024-01-07,P2,1\nO7,C7,2024-01-07,P3,1,30\n"
EVENTS_HEAD = "event_id,visitor_id,timestamp,event_name,page"


def _lines(shop: shopperlens.Shop, order: str) -> list[tuple[int, str, int, float]]:
    return shop.store.execute(
        "SELECT line_no, product_id, quantity, unit_price FROM order_lines WHERE order_id = ? "
        "ORDER BY line_no",
        [order],
    ).fetchall()


def _total(shop: shopperlens.Shop, order: str) -> float:
    return shop.store.scalar(
        "SELECT sum(quantity * unit_price) FROM order_lines WHERE order_id = ?", [order]
    )


def _rejects_file(db: Path) -> list[dict[str, str]]:
    with db.with_name(f"{db.stem}.rejects.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _corrected_rows(source: Path, rejects: list[dict[str, str]], fix: dict[str, str]) -> str:
    """The rows the rejects file names, taken from ``source`` and corrected (``fix``: a row's
    text -> its corrected text): what a shop owner imports after a skip."""
    lines = source.read_text(encoding="utf-8").splitlines()
    rows = [lines[int(r["line"]) - 1] for r in rejects]
    return "\n".join([lines[0], *(fix.get(r, r) for r in rows)]) + "\n"


@pytest.mark.parametrize(
    ("text", "fix", "order", "total"),
    [
        (O5, {"O5,C5,2024-01-05,P2,1.5,20": "O5,C5,2024-01-05,P2,2,20"}, "O5", 50.0),
        (O7, {"O7,C7,2024-01-07,P2,1": "O7,C7,2024-01-07,P2,1,20"}, "O7", 60.0),
    ],
    ids=["bad value", "malformed row"],
)
def test_skip_keeps_the_order_out_whole_and_its_corrected_rows_import_later(
    cli, db_path, tmp_path, text, fix, order, total
):
    source = write(tmp_path, "o.csv", text)
    res = cli("import", "orders", str(source), "--on-error", "skip")
    assert res.exit_code == 0, res.output
    assert "an order is imported whole or not at all" in " ".join(res.output.split())
    rejects = _rejects_file(db_path)
    assert {r["line"] for r in rejects} == {str(n) for n in range(2, text.count(order) + 2)}
    with shopperlens.open(db_path) as shop:
        assert _lines(shop, order) == []  # not a part of it, with an understated total
    again = write(tmp_path, "fixed.csv", _corrected_rows(source, rejects, fix))
    res = cli("import", "orders", str(again))
    assert res.exit_code == 0, res.output
    with shopperlens.open(db_path) as shop:
        assert [line[:2] for line in _lines(shop, order)] == [
            (n, p) for n, p in enumerate(("P1", "P2", "P3")[: text.count(order)], start=1)
        ]
        assert _total(shop, order) == total


@pytest.mark.parametrize("text", [O5, O7], ids=["bad value", "malformed row"])
def test_the_whole_corrected_file_imports_after_a_skip(shop, tmp_path, text):
    shop.import_orders(write(tmp_path, "o.csv", text), on_error="skip")
    fixed = text.replace("P2,1.5,20", "P2,2,20").replace("P2,1\n", "P2,1,20\n")
    res = shop.import_orders(write(tmp_path, "fixed.csv", fixed))
    assert res.rows_rejected == 0
    order = "O5" if "O5" in text else "O7"
    assert _total(shop, order) == (50.0 if order == "O5" else 60.0)


def test_each_reject_of_a_kept_out_order_names_the_line_at_fault(shop, tmp_path):
    """Blank lines and a malformed row make row numbers and lines differ: each kept-out row
    is named at its own physical line, and the reason names the rejected rows' lines."""
    text = (
        f"{HEAD}\n\nA,C1,2024-01-05,P1,1,10\n\nB,C2,2024-01-06,P1,1,10\n"
        "A,C1,2024-01-05,P4,1,40,extra\nA,C1,2024-01-05,P2,x,20\nA,C1,2024-01-05,P3,1,30\n"
    )
    res = shop.import_orders(write(tmp_path, "o.csv", text), on_error="skip")
    said = [(r.line, r.column, r.reason.split(";")[0]) for r in res.rejects]
    assert [(line, column) for line, column, _ in said] == [
        (3, "order_id"),
        (6, "(row)"),
        (7, "quantity"),
        (8, "order_id"),
    ]
    why = "this order's rows on lines 6, 7 were rejected"
    assert said[0][2] == why and said[3][2] == why
    assert (res.rows_read, res.rows_accepted, res.rows_rejected) == (5, 1, 4)
    assert _lines(shop, "A") == [] and len(_lines(shop, "B")) == 1


def test_a_malformed_row_finds_its_order_by_the_mapped_column_and_delimiter(shop, tmp_path):
    text = (
        "Bestellung;customer_id;ordered_at;product_id;quantity;unit_price\n"
        '"N;1";C1;2024-01-05;P1;1;10\n"N;1";C1;2024-01-05;P2\nN2;C2;2024-01-06;P1;1;10\n'
    )
    path = write(tmp_path, "o.csv", text)
    res = shop.import_orders(path, mapping={"Bestellung": "order_id"}, on_error="skip")
    assert [(r.line, r.column) for r in res.rejects] == [(2, "Bestellung"), (3, "quantity")]
    assert _lines(shop, "N;1") == [] and len(_lines(shop, "N2")) == 1


def test_abort_lists_only_the_rows_at_fault(shop, tmp_path):
    with pytest.raises(ShopperlensError, match=r"^1 row\(s\) rejected, nothing imported"):
        shop.import_orders(write(tmp_path, "o.csv", O5))


def _events(tmp_path: Path, name: str, *rows: str) -> Path:
    return write(tmp_path, name, "\n".join([EVENTS_HEAD, *rows]) + "\n")


def _bad_files(tmp_path: Path) -> list[Path]:
    return [
        _events(tmp_path, "e0.csv", "z1,vz,2024-01-01 10:00:00,nope,/"),
        _events(tmp_path, "e2.csv", "b1,vb,2024-01-02 10:00:00,page_view,/"),
        _events(
            tmp_path,
            "e3.csv",
            "c1,vc,2024-01-03 10:00:00,page_view,/",
            "c2,vc,not-a-date,page_view,/",
            "c3,vc,2024-01-03 10:02:00,bogus_event,/",
            "c4,,2024-01-03 10:03:00,page_view,/",
            "c5,vc,2024-01-03 10:04:00,page_view,/,extra",
        ),
    ]


def test_abort_checks_every_file_of_the_call(cli, db_path, tmp_path):
    res = cli("import", "events", *map(str, _bad_files(tmp_path)))
    said = " ".join(res.output.split())
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "5 row(s) rejected, nothing imported (all of them in" in said
    assert {(Path(r["file"]).name, r["line"]) for r in _rejects_file(db_path)} == {
        ("e0.csv", "2"),
        ("e3.csv", "3"),
        ("e3.csv", "4"),
        ("e3.csv", "5"),
        ("e3.csv", "6"),
    }
    with shopperlens.open(db_path) as shop:
        assert counts(shop, "events", "imports") == {"events": 0, "imports": 0}


def test_abort_names_the_refused_files_with_the_rejects(shop, tmp_path):
    files = _bad_files(tmp_path)
    no_time = write(
        tmp_path, "cols.csv", "event_id,visitor_id,when,event_name\nd1,vd,x,page_view\n"
    )
    utf16 = tmp_path / "u16.csv"
    utf16.write_text(f"{EVENTS_HEAD}\nu1,vu,2024-01-03 10:00:00,page_view,/\n", encoding="utf-16")
    with pytest.raises(ShopperlensError) as info:
        shop.import_events(files[0], no_time, files[2], utf16)
    said = str(info.value)
    assert said.startswith("5 row(s) rejected and 2 file(s) refused, nothing imported")
    assert "  cols.csv: missing required events column(s) timestamp" in said
    assert "  u16.csv: the file is UTF-16 encoded" in said
    assert "e3.csv:6 (row)" in said
    assert counts(shop, "events") == {"events": 0}


def test_one_refused_file_alone_says_just_that(shop, tmp_path):
    good = _bad_files(tmp_path)[1]
    no_time = write(
        tmp_path, "cols.csv", "event_id,visitor_id,when,event_name\nd1,vd,x,page_view\n"
    )
    with pytest.raises(ShopperlensError, match=r"^cols\.csv: missing required events column"):
        shop.import_events(good, no_time, good)


def test_a_failure_that_ends_the_transaction_names_the_files_left_unchecked(cli, db_path, tmp_path):
    """A byte that is not UTF-8 past the first MiB fails DuckDB's read, which aborts the
    transaction: the call cannot check further files, and says so."""
    e0, _, e3 = _bad_files(tmp_path)
    rows = [f"x{i},v{i % 100},2024-01-02 10:00:00,page_view,/p{i}" for i in range(40_000)]
    rows[-1] = rows[-1].replace("/p", "/p\xe9")
    late = tmp_path / "late.csv"
    late.write_bytes(("\n".join([EVENTS_HEAD, *rows]) + "\n").encode("latin-1"))
    res = cli("import", "events", str(e0), str(late), str(e3))
    said = " ".join(res.output.split())
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "1 row(s) rejected (all of them in" in said and "1 file(s) refused" in said
    assert "late.csv: the file is not UTF-8 encoded" in said
    assert "e3.csv: not checked (the import stopped at late.csv)" in said
    assert [(Path(r["file"]).name, r["line"]) for r in _rejects_file(db_path)] == [("e0.csv", "2")]
