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
    "stored rows by itself (a later export of customers or products: import it with the "
    "update option)"
)


def _refusal(tmp_path: Path, later: str) -> str:
    with shopperlens.open(tmp_path / "s.duckdb") as shop:
        shop.import_customers(write(tmp_path, "first.csv", FIRST))
        with pytest.raises(ShopperlensError) as err:
            shop.import_customers(write(tmp_path, "later.csv", later))
    return str(err.value)


def test_a_later_export_is_not_told_to_fix_itself(tmp_path: Path) -> None:
    said = _refusal(tmp_path, LATER)
    assert said.endswith(f"{HELD}; import the file's other rows with on_error='skip'")
    assert "fix the file" not in said


def test_a_real_fault_among_them_is_still_named(tmp_path: Path) -> None:
    said = _refusal(tmp_path, LATER + "C4,d@x.org,not a date,BE,no\n")
    assert said.endswith(
        f"{HELD}; fix the file's other rejected rows, or import its good rows with on_error='skip'"
    )
