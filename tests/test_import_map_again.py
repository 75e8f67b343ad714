"""A file the ledger holds is skipped, also when it is given again with another ``--map``: the
rows stay as first read. That skip was the same "already imported, skipped" either way, so a
column a corrected mapping would now read (left out the first time) stayed empty without a
word; the note says which columns the new mapping would read differently."""

from __future__ import annotations

from pathlib import Path

import shopperlens
from shopperlens.service.imports import SKIPPED

FIRST = {"id": "customer_id", "mail": "email", "joined": "created_at"}


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "c.csv"
    path.write_text("id,mail,joined,land\nc1,a@x.com,2024-01-01,NL\nc2,b@x.com,2024-02-01,DE\n")
    return path


def test_another_mapping_is_skipped_with_what_it_would_have_read(shop, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = _file(tmp_path)
    assert shop.import_files("customers", path, mapping=FIRST).rows_accepted == 2
    again = shop.import_files("customers", path, mapping=FIRST).files[0]
    assert again.skipped and again.note == SKIPPED  # the same reading: nothing to say
    fixed = shop.import_files("customers", path, mapping={**FIRST, "land": "country"}).files[0]
    assert fixed.skipped and fixed.rows_accepted == 0
    assert "would read country from 'land' (then no column) but changes nothing" in fixed.note
    assert "import it into a new store" in fixed.note
    assert shop.store.scalar("SELECT count(country) FROM customers") == 0  # (still skipped)
    # a name matched without --map counts as read from that column
    other = {"id": "customer_id", "land": "email", "joined": "created_at"}
    moved = shop.import_files("customers", path, mapping=other).files[0].note
    assert "email from 'land' (then 'mail')" in moved


def test_the_cli_prints_the_note_below_the_table(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = str(_file(tmp_path))
    maps = [a for k, v in FIRST.items() for a in ("--map", f"{k}={v}")]
    assert cli("import", "customers", path, *maps).exit_code == 0
    res = cli("import", "customers", path, *maps, "--map", "land=country")
    said = " ".join(res.output.split())
    assert res.exit_code == 0 and "already imported, skipped" in said
    assert "c.csv: already imported on " in said and "country from 'land'" in said


def test_a_ledger_row_from_before_says_only_skipped(tmp_path) -> None:
    """Older ledger rows do not know the columns they read: no claim is made about them."""
    path = _file(tmp_path)
    with shopperlens.open(tmp_path / "s.duckdb") as shop:
        shop.import_files("customers", path, mapping=FIRST)
        shop.store.execute("UPDATE imports SET columns_read = NULL")
        res = shop.import_files("customers", path, mapping={**FIRST, "land": "country"})
        assert res.files[0].note == SKIPPED
