"""Files of results as the tools analysts open them with read them: dates in one ISO 8601 form
in every JSON file, and CSV text Excel on Windows reads as UTF-8 when the shop asks for it."""

from __future__ import annotations

import io
import json

import pandas as pd

import shopperlens
from _ingest_data import UCI, write
from conftest import _api_client
from shopperlens.plain import spreadsheet_safe
from shopperlens.reports.site import to_json
from shopperlens.service._files import write_table


def test_report_json_writes_every_time_in_iso_8601() -> None:
    """A pandas timestamp reached the report's JSON as ``2025-12-31 00:00:00`` (``str``), the
    models' times as ``2025-12-31T00:00:00``: ``types.json`` held both."""
    ctx = {"as_of": pd.Timestamp("2025-12-31"), "rows": [{"at": pd.Timestamp("2025-01-08 14:37")}]}
    out = json.loads(to_json(ctx))
    assert out == {"as_of": "2025-12-31T00:00:00", "rows": [{"at": "2025-01-08T14:37:00"}]}


NAMES = (
    "customer_id,email,created_at,accepts_marketing\n"
    "Müller,mueller@example.de,2024-01-01,true\n"
    "Õie,oie@example.ee,2024-01-01,true\n"
)
ORDERS = (
    "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
    "o1,Müller,2024-01-05,p1,1,10\no2,Õie,2024-03-05,p1,1,10\n"
)


def test_csv_bom_starts_the_types_file_with_the_mark_excel_reads_utf_8_by(
    cli, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Without the mark Excel on Windows opens a double-clicked CSV as cp1252: ``MÃ¼ller``."""
    assert cli("import", "orders", str(write(tmp_path, "o.csv", ORDERS))).exit_code == 0
    plain_out, marked_out = tmp_path / "plain.csv", tmp_path / "marked.csv"
    assert cli("types", "--out", str(plain_out), "--limit", "0").exit_code == 0
    monkeypatch.setenv("SHOPPERLENS_CSV_BOM", "true")
    res = cli("types", "--out", str(marked_out), "--limit", "0")
    assert res.exit_code == 0, res.output
    assert not plain_out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert marked_out.read_bytes().startswith(b"\xef\xbb\xbfcustomer_id,")
    back = pd.read_csv(marked_out, dtype={"customer_id": str})
    assert set(back["customer_id"]) == {"Müller", "Õie"}


def test_csv_bom_marks_the_plain_audience_file_and_leaves_a_platforms_file_alone(
    tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SHOPPERLENS_CSV_BOM", "true")
    shop = shopperlens.open(":memory:")
    try:
        shop.import_customers(write(tmp_path, "c.csv", NAMES))
        for to in ("csv", "klaviyo"):
            shop.audience(segment="orders >= 0", to=to, out=tmp_path / f"{to}.csv")
        with _api_client(shop) as client:
            served = client.get("/api/playbooks/audience", params={"segment": "orders >= 0"})
    finally:
        shop.close()
    assert (tmp_path / "csv.csv").read_bytes().startswith(b"\xef\xbb\xbfcustomer_id,")
    assert (tmp_path / "klaviyo.csv").read_bytes().startswith(b"Email,")
    assert served.status_code == 200, served.text
    assert served.content.startswith(b"\xef\xbb\xbfcustomer_id,")


def test_formula_cells_are_prefixed_in_categories_and_arrow_strings_too() -> None:
    frame = pd.DataFrame(
        {
            "persona": pd.Categorical(["=1+1", "Busy Ben"]),
            "id": pd.array(["@SUM(A1)", "c1"], dtype="string[pyarrow]"),
            "n": [-1.5, 2.0],
        }
    )
    safe = spreadsheet_safe(frame)
    assert list(safe["persona"]) == ["'=1+1", "Busy Ben"]
    assert list(safe["id"]) == ["'@SUM(A1)", "c1"]
    assert list(safe["n"]) == [-1.5, 2.0]


def test_audience_rows_keep_the_ids_and_only_the_files_are_made_spreadsheet_safe(
    shop, client, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """``shop.audience()`` handed back ``'-3`` and ``'+4930123``: ids that matched nothing
    in the analyst's own data. The file and the HTTP CSV still carry the prefix."""
    people = "customer_id,created_at\n-3,2024-01-01\n+4930123,2024-01-01\n=1+1,2024-01-01\n"
    shop.import_customers(write(tmp_path, "c.csv", people))
    rows = shop.audience(segment="orders >= 0", to="csv")
    assert set(rows["customer_id"]) == {"-3", "+4930123", "=1+1"}
    shop.audience(segment="orders >= 0", to="csv", out=tmp_path / "a.csv")
    served = client.get("/api/playbooks/audience", params={"segment": "orders >= 0"})
    for text in ((tmp_path / "a.csv").read_text(encoding="utf-8"), served.text):
        ids = pd.read_csv(io.StringIO(text), dtype={"customer_id": str})["customer_id"]
        assert set(ids) == {"'-3", "'+4930123", "'=1+1"}


def test_parquet_keeps_an_id_column_text_when_it_holds_no_id(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Persona members none of whom is linked to a customer: the column had Arrow's ``null``
    type, where a file with one linked member has text."""
    import pyarrow.parquet as pq

    members = pd.DataFrame({"respondent": ["r1", "r2"], "persona": ["A", "B"]})
    members["customer_id"] = pd.Series([None, None], dtype=object)
    out = write_table(members, tmp_path / "members.parquet")
    assert str(pq.read_schema(out).field("customer_id").type) in ("string", "large_string")
    assert pd.read_parquet(out)["customer_id"].isna().all()


def test_every_table_written_to_out_is_said_with_thousands_separated(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``types --out`` said "wrote 1200 rows" where ``clv`` says "wrote 1,200 rows", and
    ``types sessions --out`` wrote its file without a word."""
    customers = "customer_id,created_at\n" + "".join(f"c{i},2024-01-01\n" for i in range(1200))
    assert cli("import", "customers", str(write(tmp_path, "c.csv", customers))).exit_code == 0
    out = tmp_path / "types.csv"
    res = cli("types", "--out", str(out), "--limit", "0")
    assert res.exit_code == 0, res.output
    assert f"wrote 1,200 rows to {out}" in " ".join(res.stdout.split())
    assert cli("import", "sessions", str(UCI)).exit_code == 0
    out = tmp_path / "sessions.csv"
    res = cli("types", "sessions", "--out", str(out))
    assert res.exit_code == 0, res.output
    sessions = len(pd.read_csv(out))
    assert sessions > 1000 and f"wrote {sessions:,} sessions to {out}" in " ".join(
        res.stdout.split()
    )
