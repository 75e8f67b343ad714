"""``export-person`` holds what ``erase`` would delete *or redact*: the import ledger keeps its
rows (their checksums make imports idempotent) but erase replaces the person's e-mail or id in
a file name with ``[erased]``, so the export lists those ledger rows, the same ones."""

from __future__ import annotations

from pathlib import Path

import pytest

import shopperlens
from shopperlens.errors import NotFoundError

FILES = {
    "orders_Jane.Doe@Example.com.csv": "customer_id,email\nC70001,jane.doe@example.com\n",
    "crm_C70001.csv": "customer_id,email\nC70001,jane.doe@example.com\nC70002,b@example.org\n",
    "crm_C700011.csv": "customer_id,email\nC700011,c@example.org\n",
    "crm_other@example.org.csv": "customer_id,email\nC70003,other@example.org\n",
}


def _ledger(shop: shopperlens.Shop) -> dict[int, str]:
    rows = shop.store.execute("SELECT import_id, file FROM imports").fetchall()
    return {int(i): f for i, f in rows}


@pytest.mark.parametrize(
    ("customer_id", "email"), [("C70001", None), (None, "jane.doe@example.com")]
)
def test_the_export_lists_the_ledger_rows_erase_redacts(
    tmp_path: Path, customer_id: str | None, email: str | None
) -> None:
    shop = shopperlens.open(tmp_path / "shop.duckdb")
    try:
        for name, text in FILES.items():
            (tmp_path / name).write_text(text, encoding="utf-8")
            shop.import_customers(tmp_path / name)
        export = shop.export_person(customer_id, email=email)
        before = _ledger(shop)
        report = shop.erase_customer(customer_id, email=email)
        after = _ledger(shop)
    finally:
        shop.close()
    redacted = {i: f for i, f in before.items() if after[i] != f}
    assert len(redacted) == report.import_files_redacted == 2
    assert {int(r["import_id"]): r["file"] for r in export.import_files} == redacted
    assert all(r["kind"] == "customers" and r["imported_at"] for r in export.import_files)
    assert "import_files" in export.about


def test_a_person_only_in_the_ledger_is_exported_there(tmp_path: Path) -> None:
    """Every row of the file was refused: its name is all the store holds, and erase takes it,
    so the export shows it instead of "no customer with that e-mail"."""
    shop = shopperlens.open(tmp_path / "shop.duckdb")
    try:
        shop.store.execute(
            "INSERT INTO imports (kind, format, file, checksum, rows_read, rows_accepted, "
            "rows_rejected, imported_at) VALUES ('customers', 'generic', "
            "'in/crm_zq.unique5@example.org.csv', 'x', 1, 0, 1, now())"
        )
        export = shop.export_person(email="zq.unique5@example.org")
        assert [r["file"] for r in export.import_files] == ["in/crm_zq.unique5@example.org.csv"]
        assert export.total == 0
        with pytest.raises(NotFoundError):
            shop.export_person(email="nobody@example.org")
    finally:
        shop.close()


def test_the_cli_counts_them(cli, db_path: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    name = "orders_Jane.Doe@Example.com.csv"
    (tmp_path / name).write_text(FILES[name], encoding="utf-8")
    assert cli("import", "customers", str(tmp_path / name)).exit_code == 0
    res = cli("export-person", "--email", "jane.doe@example.com", "--out", str(tmp_path / "j.json"))
    assert res.exit_code == 0, res.output
    assert "1 imported file name(s) naming them" in " ".join(res.output.split())
