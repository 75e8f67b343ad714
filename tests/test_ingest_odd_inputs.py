"""Odd inputs to ``import``: each gets one true message and leaves the store as it was.

A UTF-16 file without its byte order mark (or a text file holding NUL bytes), a pipe given as
the file (``import orders <(cat orders.csv)``), and an e-mail holding a character no one can
see (a NUL, a zero-width space, a soft hyphen, a direction mark …).
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb
import pytest

import shopperlens
from _ingest_data import CUSTOMERS, ORDERS, counts, write
from shopperlens.emails import ADDRESS_CHAR, ONE_ADDRESS
from shopperlens.errors import ShopperlensError
from shopperlens.playbooks import audience

_SEED = ORDERS.replace("\no", "\nx")


def _state(db: Path) -> dict[str, int]:
    with shopperlens.open(db) as shop:
        return {**counts(shop), "ledger": len(shop.imports())}


def _seeded(db: Path) -> dict[str, int]:
    """A store holding a few orders and customers, so "unchanged" means something."""
    with shopperlens.open(db) as shop:
        shop.import_orders(write(db.parent, "seed.csv", _SEED))
        shop.import_customers(write(db.parent, "seed-customers.csv", CUSTOMERS))
    return _state(db)


# -- UTF-16 without a byte order mark, NUL bytes ------------------------------------------------

_TEXT = "customer_id,email\nn1,a@x.org\n"

#: name -> (the file's bytes, its one message)
ENCODED = {
    "utf-16le, ASCII only": (
        _TEXT.encode("utf-16-le"),
        "u16.csv: the file is UTF-16 encoded (little-endian, without a byte order mark); "
        "save it as UTF-8 (e.g. `iconv -f utf-16le -t utf-8`)",
    ),
    "utf-16le, a name in German": (
        (_TEXT + "n2,jürgen@bücher.de\n").encode("utf-16-le"),
        "u16.csv: the file is UTF-16 encoded (little-endian, without a byte order mark); "
        "save it as UTF-8 (e.g. `iconv -f utf-16le -t utf-8`)",
    ),
    "utf-16be": (
        _TEXT.encode("utf-16-be"),
        "u16.csv: the file is UTF-16 encoded (big-endian, without a byte order mark); "
        "save it as UTF-8 (e.g. `iconv -f utf-16be -t utf-8`)",
    ),
    "utf-8 with a NUL byte in an e-mail": (
        b"customer_id,email\nn1,b@x.org\nn2,a@x.org\x00\n",
        "u16.csv: the file holds NUL bytes (byte 0x00 on line 3), which no text file holds "
        "(another encoding, or binary data?); save it as UTF-8",
    ),
}


@pytest.mark.parametrize("case", sorted(ENCODED))
def test_a_utf16_file_without_bom_or_one_with_nul_bytes_is_refused_as_such(
    tmp_path: Path, case: str
) -> None:
    """``customer_id,email`` / ``n1,a@x.org`` saved as UTF-16 without a BOM (a NUL byte after
    or before every ASCII character), and a UTF-8 file whose e-mail ends in a NUL byte: one
    message naming the encoding (or the NUL and its line) and how to save the file as UTF-8;
    the store keeps what it held."""
    data, message = ENCODED[case]
    db = tmp_path / "shop.duckdb"
    before = _seeded(db)
    (tmp_path / "u16.csv").write_bytes(data)
    with shopperlens.open(db) as shop, pytest.raises(ShopperlensError) as err:
        shop.import_customers(tmp_path / "u16.csv")
    assert str(err.value) == message
    assert _state(db) == before


# -- a pipe given as the file -------------------------------------------------------------------


@contextmanager
def _dev_fd_pipe(directory: Path, data: bytes) -> Iterator[tuple[Path, Callable[[], bytes]]]:
    """What ``<(cat orders.csv)`` hands a command: ``/dev/fd/N``, the read end of a pipe that
    holds ``data`` and whose writer is done (so a read never waits)."""
    r, w = os.pipe()
    try:
        os.write(w, data)
        os.close(w)
        yield Path(f"/dev/fd/{r}"), lambda: os.read(r, len(data) + 1)
    finally:
        os.close(r)


@contextmanager
def _fifo(directory: Path, data: bytes) -> Iterator[tuple[Path, Callable[[], bytes]]]:
    """A named pipe (``mkfifo``) a thread writes ``data`` into once a reader opens it. Every
    wait is bounded: what is still waiting at the end is released (a reader by a writer that
    writes nothing, the writer by a reader), so the test cannot hang."""
    path = directory / "orders.csv"
    os.mkfifo(path)

    def feed() -> None:
        try:
            with path.open("wb") as fh:  # (waits for a reader)
                fh.write(data)
        except BrokenPipeError:  # released at the end without a reader
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()

    def rest() -> bytes:
        got: list[bytes] = []
        reader = threading.Thread(target=lambda: got.append(path.read_bytes()), daemon=True)
        reader.start()
        reader.join(10)
        return got[0] if got else b"(nothing: the reader still waits for a writer)"

    try:
        yield path, rest
    finally:
        for flags in (os.O_WRONLY | os.O_NONBLOCK, os.O_RDONLY | os.O_NONBLOCK):
            with suppress(OSError):  # (ENXIO: no reader waits)
                os.close(os.open(path, flags))
        writer.join(10)


@pytest.mark.timeout(60)
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX pipes")
@pytest.mark.parametrize("pipe", [_dev_fd_pipe, _fifo], ids=["dev-fd", "mkfifo"])
def test_a_pipe_given_as_the_file_is_refused_before_it_is_read(cli, db_path, tmp_path, pipe):  # type: ignore[no-untyped-def]
    """An orders file given through a pipe (``/dev/fd/N`` of ``<(cat orders.csv)``, or a
    named pipe a thread writes four order lines into): the import says it is no regular file
    rather than that it is empty, reads none of its bytes (they are all still in the pipe)
    and leaves the store as it was."""
    before = _seeded(db_path)
    data = ORDERS.encode()
    with pipe(tmp_path, data) as (path, rest):
        res = cli("import", "orders", str(path))
        left = rest()
    said = " ".join(res.output.split())  # (the terminal wraps long messages)
    assert res.exit_code == 1, res.output
    assert said == (
        f"error: {path}: not a regular file (a pipe or device): save it to a file and import that"
    )
    assert left == data
    assert _state(db_path) == before


# -- e-mails holding an invisible character -----------------------------------------------------

#: the invisible characters planted, by name
INVISIBLE = {
    "NUL": "\x00",
    "zero-width space": "\u200b",
    "BOM (zero-width no-break space)": "\ufeff",
    "soft hyphen": "\u00ad",
    "left-to-right mark": "\u200e",
    "right-to-left mark": "\u200f",
    "word joiner": "\u2060",
    "escape": "\x1b",
}
_ALL = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)


def test_the_address_check_refuses_every_invisible_character_in_sql_and_python_alike() -> None:
    """Every code point, one at a time: DuckDB's regex (the import's check) and Python's (the
    audiences' exports) take the same characters into an address, no control (``Cc``) or
    format (``Cf``) character among them; letters such as ``ü`` are taken, and an address
    with a zero-width space is no address to hash."""
    con = duckdb.connect()
    sql = con.execute(
        f"SELECT list(regexp_full_match(c, '{ADDRESS_CHAR}')) "
        "FROM (SELECT unnest(regexp_split_to_array(?, '')) AS c)",
        [_ALL],
    ).fetchone()[0]
    assert len(sql) == len(_ALL)
    python = re.compile(ADDRESS_CHAR)
    differ = [f"U+{ord(ch):04X}" for ch, s in zip(_ALL, sql, strict=True)
              if s != bool(python.fullmatch(ch))]  # fmt: skip
    assert differ == []
    taken = [f"U+{ord(ch):04X}" for ch, s in zip(_ALL, sql, strict=True)
             if s and unicodedata.category(ch) in ("Cc", "Cf")]  # fmt: skip
    assert taken == ["U+200C", "U+200D"]  # the joiners that Persian and Indic words need
    assert re.fullmatch(ONE_ADDRESS, "\u0645\u06cc\u200c\u0631\u0648\u0645@x.ir")
    assert re.fullmatch(ONE_ADDRESS, "jürgen@bücher.de")
    assert audience.normalise_email("Jürgen@Bücher.de") == "jürgen@bücher.de"
    assert audience.normalise_email("a\u200b@x.org") is None


def _plant(tmp_path: Path, email: str) -> Path:
    """A customers file in JSON Lines: ``n1`` with ``email``, ``n2`` with ``b@x.org``. (JSON
    writes a NUL as the escape ``\\u0000``: a NUL byte would refuse a text file whole.)"""
    rows = [{"customer_id": "n1", "email": email}, {"customer_id": "n2", "email": "b@x.org"}]
    return write(tmp_path, "c.jsonl", "".join(json.dumps(r) + "\n" for r in rows))


@pytest.mark.parametrize("name", list(INVISIBLE))
def test_an_email_holding_an_invisible_character_is_rejected_not_stored(
    tmp_path: Path, name: str
) -> None:
    """``n1``'s e-mail is ``a@x.org`` with an invisible character planted in it (a NUL at
    the end, any other before the ``@``): the row is rejected as not one e-mail address
    (nothing is imported; with ``on_error='skip'`` ``n2`` lands and the rejects file holds the
    value as written), so no customer is stored under an address that ``erase --email
    a@x.org`` and the audiences' hashes would never match. The file corrected to ``A@x.org``
    imports, and erasing by ``a@x.org`` finds that customer."""
    ch = INVISIBLE[name]
    planted = "a@x.org\x00" if ch == "\x00" else f"a{ch}@x.org"
    db = tmp_path / "shop.duckdb"
    before = _seeded(db)
    path = _plant(tmp_path, planted)
    with shopperlens.open(db) as shop, pytest.raises(ShopperlensError) as err:
        shop.import_customers(path)
    said = str(err.value)
    assert "c.jsonl:1 email (value in the rejects file): not one e-mail address" in said, said
    assert said.split("\n")[1].endswith(f"holds an invisible character U+{ord(ch):04X}"), said
    assert _state(db) == before
    with shopperlens.open(db) as shop:
        res = shop.import_customers(path, on_error="skip")
        assert (res.rows_accepted, res.rows_rejected) == (1, 1)
        stored = shop.store.execute(
            "SELECT customer_id, email FROM customers "
            "WHERE customer_id IN ('n1', 'n2') OR email LIKE '%x.org%' ORDER BY 1"
        ).fetchall()
        assert stored == [("n2", "b@x.org")]
        with open(res.rejects_file or "", newline="", encoding="utf-8") as fh:
            rows = [(r["line"], r["column"], r["value"]) for r in csv.DictReader(fh)]
        assert rows == [("1", "email", planted)]
        fixed = _plant(tmp_path, "A@x.org")
        assert shop.import_customers(fixed).added == {"customers": 1}  # (n2: held)
        erased = shop.erase_customer(email="a@x.org")
        assert erased.rows_deleted.get("customers") == 1
        assert shop.store.execute("SELECT customer_id FROM customers WHERE customer_id "
                                  "IN ('n1', 'n2')").fetchall() == [("n2",)]  # fmt: skip


def test_a_nul_byte_past_the_first_mib_refuses_the_file_too(tmp_path: Path) -> None:
    """60,000 customers (about 2 MiB) with a NUL in the name on line 50,001: the first-MiB
    check could not see it, and the row was stored with the NUL inside its value."""
    rows = [
        f"c{i},c{i}@x.org,2024-01-01,NL,Ann{'' if i != 50_000 else chr(0)}" for i in range(60_000)
    ]
    path = write(
        tmp_path, "big.csv", "customer_id,email,created_at,country,name\n" + "\n".join(rows) + "\n"
    )
    assert path.stat().st_size > 1 << 20  # past what the first check reads
    db = tmp_path / "shop.duckdb"
    before = _seeded(db)
    with shopperlens.open(db) as shop, pytest.raises(ShopperlensError) as err:
        shop.import_customers(path)
    assert str(err.value) == (
        "big.csv: the file holds NUL bytes (byte 0x00 on line 50002), which no text file holds "
        "(another encoding, or binary data?); save it as UTF-8"
    )
    assert _state(db) == before
