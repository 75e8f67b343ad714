"""A file giving stored rows other content is not told to "fix the file".

A later customers export in which a customer withdrew marketing consent was refused with
"fix the file, or import the good rows": the file is right, the store holds the older word,
and an import never overwrites stored rows. The refusal says so, and where a consent change
goes; a file with a real fault among such rows is still told to fix it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import shopperlens
from _ingest_data import write
from shopperlens.errors import ShopperlensError

HEAD = "customer_id,email,created_at,country,accepts_marketing\n"
FIRST = HEAD + "C1,a@x.org,2024-01-01,DE,yes\n"
#: C1 withdrew consent; C3 is new
LATER = HEAD + "C1,a@x.org,2024-01-01,DE,no\nC3,c@x.org,2024-02-01,NL,yes\n"
HELD = (
    "the store already holds these rows with other content, and an import never overwrites "
    "stored rows by itself (a later export of the shop's customers: import it with {update})"
)


def _refusal(tmp_path: Path, later: str) -> str:
    with shopperlens.open(tmp_path / "s.duckdb") as shop:
        shop.import_customers(write(tmp_path, "first.csv", FIRST))
        with pytest.raises(ShopperlensError) as err:
            shop.import_customers(write(tmp_path, "later.csv", later))
    return str(err.value)


def test_a_later_export_is_not_told_to_fix_itself(tmp_path: Path) -> None:
    said = _refusal(tmp_path, LATER)
    held = HELD.format(update="update=True")
    assert said.endswith(f"{held}; import the file's other rows with on_error='skip'")
    assert "fix the file" not in said


def test_a_real_fault_among_them_is_still_named(tmp_path: Path) -> None:
    said = _refusal(tmp_path, LATER + "C4,d@x.org,not a date,BE,no\n")
    held = HELD.format(update="update=True")
    assert said.endswith(
        f"{held}; fix the file's other rejected rows, or import its good rows with on_error='skip'"
    )


def test_the_update_option_is_offered_only_where_it_applies(tmp_path: Path) -> None:
    head = "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
    with shopperlens.open(tmp_path / "s.duckdb") as shop:
        shop.import_orders(write(tmp_path, "o1.csv", head + "O1,C1,2024-03-01,P1,1,10\n"))
        with pytest.raises(ShopperlensError) as err:
            shop.import_orders(write(tmp_path, "o2.csv", head + "O1,C1,2024-03-01,P1,2,10\n"))
    said = str(err.value)
    assert "an import never overwrites stored rows by itself; import" in said
    assert "update=True" not in said


def test_a_file_first_imported_with_its_changes_skipped_takes_them_with_update(
    tmp_path: Path,
) -> None:
    """Following the advice in turn: ``skip`` imports C3 and leaves C1's change out; the same
    file again with ``update`` is read again (not skipped as already imported) and applies it."""
    with shopperlens.open(tmp_path / "s.duckdb") as shop:
        shop.import_customers(write(tmp_path, "first.csv", FIRST))
        later = write(tmp_path, "later.csv", LATER)
        assert shop.import_customers(later, on_error="skip").rows_rejected == 1
        res = shop.import_customers(later, update=True)
        assert not res.files[0].skipped and res.updated == 1 and res.added["consents"] == 1
        assert shop.store.execute(
            "SELECT accepts_marketing FROM customers WHERE customer_id = 'C1'"
        ).fetchone() == (False,)


def test_the_cli_and_the_http_api_name_the_update_option_in_their_words(
    tmp_path: Path, cli, file_shop
) -> None:  # type: ignore[no-untyped-def]
    """The CLI says ``--update`` and ``--on-error skip``; the HTTP API ``?update=true`` and
    ``?on_error=skip`` (it left the update advice out)."""
    first, later = write(tmp_path, "first.csv", FIRST), write(tmp_path, "later.csv", LATER)
    assert cli("import", "customers", str(first)).exit_code == 0
    res = cli("import", "customers", str(later))
    assert res.exit_code == 1
    said = " ".join(res.output.split())
    assert (
        HELD.format(update="--update") + "; import the file's other rows with --on-error skip"
        in said
    )
    shop, client = file_shop
    shop.import_customers(first)
    got = client.post("/api/imports/customers", json={"path": str(later)})
    assert got.status_code == 400, got.text
    detail = str(got.json())
    assert HELD.format(update="?update=true") in detail and "?on_error=skip" in detail


def test_the_update_advice_stays_beside_a_refused_file(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """A refused file in the same call dropped the advice: the right file was told to fix
    its rows."""
    first, later = write(tmp_path, "first.csv", FIRST), write(tmp_path, "later.csv", LATER)
    bad = write(tmp_path, "bad.csv", "email,country\nz@x.org,DE\n")  # no customer_id column
    assert cli("import", "customers", str(first)).exit_code == 0
    res = cli("import", "customers", str(later), str(bad))
    assert res.exit_code == 1
    said = " ".join(res.output.split())
    assert "fix the refused file(s); then the store already holds these rows" in said
    assert "import it with --update" in said
