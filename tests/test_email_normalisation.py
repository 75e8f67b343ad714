"""One e-mail normalisation in SQL (imports) and Python (erase, survey answers, routes).

The truth here is the engine itself: DuckDB's ``lower`` and Python's ``str.strip`` over every
code point, not values written down from our own function.
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import duckdb
import pytest

from shopperlens.emails import SPACE, email_sql, normalise_email
from shopperlens.errors import ShopperlensError

_ALL = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
#: the characters Python's Unicode database assigns: a character added to Unicode since may
#: compose in DuckDB's newer tables (both put an address in NFC) where Python leaves it be
_KNOWN = "".join(ch for ch in _ALL if unicodedata.category(ch) != "Cn")


def test_the_stripped_characters_are_pythons_whitespace() -> None:
    assert "".join(ch for ch in _ALL if ch.isspace()) == SPACE


def test_python_lower_cases_every_character_as_duckdb_does() -> None:
    """Python's ``lower`` turns ``İ`` into two characters; DuckDB's into ``i``: the two
    normalisations differed on it (and on nothing else, which this checks)."""
    con = duckdb.connect()
    assert con.execute(f"SELECT {email_sql('?')}", [_KNOWN]).fetchone()[0] == normalise_email(
        _KNOWN
    )
    padded = SPACE + "İpek@Example.COM" + SPACE
    assert con.execute(f"SELECT {email_sql('?')}", [padded]).fetchone()[0] == "ipek@example.com"
    assert normalise_email(padded) == "ipek@example.com"


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_erase_by_email_finds_what_the_import_keyed(shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``İpek@…`` and an address ending in a tab were stored one way and looked up another:
    erase answered "no customer with that e-mail" and their rows and tickets stayed."""
    shop.import_customers(
        _csv(tmp_path / "c.csv", "customer_id,email,name\nC1,İpek@Example.com,I Y\n"
             "C2,\"dan@example.com\t\",Dan\nC3,eve@example.com,Eve\n")
    )  # fmt: skip
    shop.import_tickets(
        _csv(tmp_path / "t.csv", "ticket_id,customer_id,created_at,subject,email\n"
             "T1,,2024-03-01,help,İPEK@example.com\nT2,,2024-03-01,help,\"tab@example.com\t\"\n")
    )  # fmt: skip
    con = shop.store
    assert con.scalar("SELECT email FROM customers WHERE customer_id = 'C2'") == "dan@example.com"
    assert shop.erase_customer(email="İpek@Example.com").total >= 2  # the customer and T1
    assert shop.erase_customer(email="dan@example.com").total >= 1
    assert shop.erase_customer(email="tab@example.com").total >= 1
    left = con.execute("SELECT customer_id FROM customers ORDER BY 1").fetchall()
    assert left == [("C3",)]
    assert con.scalar("SELECT count(*) FROM tickets") == 0
    with pytest.raises(ShopperlensError, match="no customer with that e-mail"):
        shop.erase_customer(email="nobody@example.com")
