"""What ``erase`` left behind: survey-upload rejects, ledger file names, encoded log paths.

1. A survey upload refuses a row by a question id (a free-text ``why_buy`` holding markup), and
   its rejects file never said whose row it was: erase, which matched only a ``customer_id`` or
   ``email`` column, kept the answer with the person's name, e-mail and phone number.
2. The import ledger (``imports``) is skipped by erase (its checksums keep imports idempotent),
   so a file named ``crm_ann@example.org.csv`` kept the address there and in the store's bytes.
3. The access log decoded a path once: ``ann%2540example.com`` was logged as
   ``ann%40example.com``, which decodes back to the address.
"""

from __future__ import annotations

import csv
from pathlib import Path

from fastapi.testclient import TestClient

import shopperlens
from shopperlens.service.privacy import email_key
from shopperlens.web.logs import redact_path

# -- 1. survey-upload rejects ----------------------------------------------------------------------
CUSTOMERS = (
    "INSERT INTO customers (customer_id, email, name) VALUES "
    "('C90001', 'zq.unique1@example.org', 'Quorvath Blenkinsop'), "
    "('C90002', 'zq.unique2@example.org', 'Yselmira Thrandlewick'), "
    "('C90003', 'zq.unique3@example.org', 'Pell Oddway')"
)
#: every row is refused for the markup in ``why_buy``: C90002's by its e-mail respondent and
#: its answer, C90001's by its customer id alone, C90003's names nobody erased
UPLOAD = (
    "respondent,customer_id,age_bracket,why_buy\n"
    'Zq.Unique2@EXAMPLE.org,,35-44,"<b>Yselmira Thrandlewick</b> phone +31 6 5555 4444"\n'
    'resp-zz1,C90001,35-44,"<i>call me</i> +31 6 1111 2222"\n'
    'resp-zz3,C90003,35-44,"<b>fine</b> joanzq.unique2@example.org"\n'
)


def _upload(client: TestClient, text: str, name: str = "upload.csv") -> dict[str, object]:
    res = client.post(
        "/api/surveys/demo-profile/import?on_error=skip",
        files={"file": (name, text, "text/csv")},
    )
    assert res.status_code == 200, res.text
    body: dict[str, object] = res.json()
    return body


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_erase_removes_the_survey_upload_rejects_of_the_person(file_shop, tmp_path):  # type: ignore[no-untyped-def]
    """By id the row is found by the customer id the file now records, by e-mail (any case)
    by the respondent; the row of someone else, whose answer holds a longer address ending in
    the erased one, stays."""
    shop, client = file_shop
    shop.store.execute(CUSTOMERS)
    assert _upload(client, UPLOAD)["rows_rejected"] == 3
    kept = tmp_path / "shop.survey-rejects.csv"

    assert shop.erase_customer("C90001").rejects_removed == 1
    assert shop.erase_customer(email="ZQ.Unique2@EXAMPLE.org").rejects_removed == 1
    text = kept.read_text(encoding="utf-8")
    assert "1111" not in text and "5555" not in text and "Thrandlewick" not in text
    assert [(r["respondent"], r["customer_id"]) for r in _rows(kept)] == [("resp-zz3", "C90003")]


def test_an_upload_records_an_email_respondent_by_its_key_not_the_address(file_shop, tmp_path):  # type: ignore[no-untyped-def]
    """The respondent column the file gained must not add an address the reject hid."""
    shop, client = file_shop
    _upload(client, "respondent,why_buy\nAnn@Example.ORG,<b>x</b>\n")
    rows = _rows(tmp_path / "shop.survey-rejects.csv")
    assert [(r["survey"], r["respondent"]) for r in rows] == [
        ("demo-profile", email_key("ann@example.org"))
    ]
    assert "example.org" not in (tmp_path / "shop.survey-rejects.csv").read_text().lower()


def test_a_rejected_row_of_a_respondent_whose_answers_are_erased_goes_too(file_shop, tmp_path):  # type: ignore[no-untyped-def]
    """A later upload's row of the same respondent, without the customer id, is theirs: the
    respondent of an erased response in the same survey."""
    shop, client = file_shop
    shop.store.execute(CUSTOMERS)
    _upload(client, "respondent,customer_id,age_bracket\nresp-7,C90003,35-44\n", "first.csv")
    _upload(client, "respondent,age_bracket,why_buy\nresp-7,35-44,<b>again</b>\nresp-8,,x\n")
    report = shop.erase_customer("C90003")
    assert report.rows_deleted["survey_responses"] == 1 and report.rejects_removed == 1
    assert _rows(tmp_path / "shop.survey-rejects.csv") == []


OLD_FILE = (  # written before the file recorded whose rows they are
    "file,line,column,value,reason\n"
    "u.csv,2,why_buy,<b>Yselmira  THRANDLEWICK</b> +31 6 5555 4444,must be plain text\n"
    "u.csv,3,why_buy,<i>write to ZQ.Unique2@Example.ORG.</i>,must be plain text\n"
    "u.csv,4,why_buy,<i>ask joanzq.unique2@example.org</i>,must be plain text\n"
    "u.csv,5,why_buy,<i>Yselmira</i> liked it,must be plain text\n"
    "u.csv,6,why_buy,<b>Yselmira Thrandlewickson</b>,must be plain text\n"
    "u.csv,7,why_buy,<b>Pell Oddway</b> zq.unique3@example.org.uk,must be plain text\n"
)


def test_an_older_survey_rejects_file_is_scrubbed_by_email_and_stored_name(tmp_path: Path) -> None:
    """Without the new columns the answer is all there is: the person's e-mail (any case,
    a full stop after it) or stored name (any case, any spaces) in it takes the row; another
    address ending in theirs, a first name alone, a longer name, another address and another
    customer's name do not."""
    db = tmp_path / "shop.duckdb"
    kept = db.with_name("shop.survey-rejects.csv")
    kept.write_text(OLD_FILE, encoding="utf-8")
    shop = shopperlens.open(db)
    shop.store.execute(CUSTOMERS)
    report = shop.erase_customer("C90002")
    shop.close()
    assert report.rejects_removed == 2
    assert [r["line"] for r in _rows(kept)] == ["4", "5", "6", "7"]


def test_a_name_another_customer_has_too_names_nobody(tmp_path: Path) -> None:
    """Two customers named alike (as two sharing an inbox): the answer could be the other's."""
    db = tmp_path / "shop.duckdb"
    kept = db.with_name("shop.survey-rejects.csv")
    kept.write_text(OLD_FILE, encoding="utf-8")
    shop = shopperlens.open(db)
    shop.store.execute(CUSTOMERS)
    shop.store.execute(
        "INSERT INTO customers (customer_id, email, name) VALUES "
        "('C90009', 'other@example.org', 'yselmira thrandlewick')"
    )
    assert shop.erase_customer("C90002").rejects_removed == 1  # by the e-mail only
    shop.close()
    assert [r["line"] for r in _rows(kept)] == ["2", "4", "5", "6", "7"]


def test_an_import_reject_holding_the_email_in_a_display_name_is_removed(tmp_path: Path) -> None:
    """``Ann <ann@example.org>`` is refused as not one address, and names Ann all the same;
    the rows of other people in a file named after her keep their rows, her address gone
    from the file name."""
    db = tmp_path / "shop.duckdb"
    rejects = db.with_name("shop.rejects.csv")
    rejects.write_text(
        "file,line,column,value,reason\n"
        "crm_ZQ.Unique5@example.org.csv,2,email,Wendral Obstacky <ZQ.Unique5@example.org>,"
        "not one e-mail address\n"
        "crm_ZQ.Unique5@example.org.csv,3,email,Jo <joanzq.unique5@example.org>,"
        "not one e-mail address\n",
        encoding="utf-8",
    )
    shop = shopperlens.open(db)
    report = shop.erase_customer(email="zq.unique5@example.org")
    shop.close()
    assert report.rejects_removed == 1
    assert [(r["file"], r["line"]) for r in _rows(rejects)] == [("crm_[erased].csv", "3")]


# -- 2. the import ledger --------------------------------------------------------------------------
def _ledger_of(shop: shopperlens.Shop) -> list[str]:
    rows = shop.store.execute("SELECT file FROM imports ORDER BY import_id").fetchall()
    return [r[0] for r in rows]


def _ledger(db: Path) -> list[str]:
    shop = shopperlens.open(db)
    try:
        return _ledger_of(shop)
    finally:
        shop.close()


def test_erase_redacts_the_person_in_the_ledger_file_names_and_the_file_bytes(
    tmp_path: Path,
) -> None:
    """The e-mail in any case and the id as a whole token become ``[erased]``; the rows stay
    (importing the same file again is still recognised), and so do other names: a longer id,
    another customer's address, and a bare-number id (a date or counter as often as not)."""
    db = tmp_path / "shop.duckdb"
    mine = "customer_id,email\nC90005,zq.unique5@example.org\n"
    files = {
        "crm_ZQ.Unique5@EXAMPLE.org.csv": mine,
        "orders_C90005.csv": mine + "C90006,x@example.org\n",
        "orders_C900051.csv": "customer_id,email\nC900051,b@example.org\n",
        "2024_other@example.org.csv": "customer_id,email\n2024,other@example.org\n",
    }
    shop = shopperlens.open(db)
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        shop.import_customers(tmp_path / name)
    report = shop.erase_customer("C90005")
    assert [Path(f).name for f in _ledger_of(shop)][:2] == [
        "crm_[erased].csv",
        "orders_[erased].csv",
    ]
    assert report.import_files_redacted == 2
    again = shop.import_customers(tmp_path / "orders_C90005.csv")
    assert again.files[0].skipped and again.rows_read == 0
    assert [Path(f).name for f in _ledger_of(shop)][3] == "2024_other@example.org.csv"
    assert shop.erase_customer("2024").import_files_redacted == 1
    shop.close()
    names = [Path(f).name for f in _ledger(db)]
    assert names == [
        "crm_[erased].csv",
        "orders_[erased].csv",
        "orders_C900051.csv",
        "2024_[erased].csv",
    ]
    data = b"".join(p.read_bytes() for p in (db, Path(f"{db}.wal")) if p.exists()).lower()
    assert b"unique5" not in data


def test_a_person_only_in_the_ledger_is_erased_there(tmp_path: Path) -> None:
    """Every row of the file was refused and its rejects file replaced since: the file name
    is all the store holds of them, and erase by e-mail takes it instead of "no customer"."""
    db = tmp_path / "shop.duckdb"
    shop = shopperlens.open(db)
    shop.store.execute(
        "INSERT INTO imports (kind, format, file, checksum, rows_read, rows_accepted, "
        "rows_rejected, imported_at) VALUES ('customers', 'generic', "
        "'in/crm_zq.unique5@example.org.csv', 'x', 1, 0, 1, now())"
    )
    report = shop.erase_customer(email="zq.unique5@example.org")
    shop.close()
    assert report.import_files_redacted == 1 and report.total == 0
    assert _ledger(db) == ["in/crm_[erased].csv"]


# -- 3. the access log -----------------------------------------------------------------------------
def test_redact_path_masks_an_email_encoded_more_than_once() -> None:
    """However often the ``@`` was encoded (decoding stops after three rounds, an ``@``
    still encoded counts), no form of the address is logged."""
    for path in (
        "/api/customers/zq.unique1%40example.org",
        "/api/customers/zq.unique1%2540example.org",
        "/api/customers/zq.unique1%252540example.org?token=x",
        "/api/customers/zq.unique1%25252525252540example.org",
        "/api/customers/zq.unique1%2525%2534%2530example.org",
    ):
        shown = redact_path(path)
        assert "unique1" not in shown and "example.org" not in shown, (path, shown)
        assert shown.startswith("/api/customers/<e-mail>")
    assert redact_path("/api/customers/C1/x%2520y") == "/api/customers/C1/x y"


def test_the_cli_says_it_redacted_the_ledger(cli, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    with shopperlens.open(db_path) as shop:
        shop.store.execute(
            "INSERT INTO imports (kind, format, file, checksum, rows_read, rows_accepted, "
            "rows_rejected, imported_at) VALUES ('customers', 'generic', "
            "'in/crm_zq.unique5@example.org.csv', 'x', 1, 0, 1, now())"
        )
    res = cli("erase", "--email", "zq.unique5@example.org", "--yes")
    said = " ".join(res.output.split())
    assert res.exit_code == 0 and "[erased] in 1 file name(s) of the import ledger" in said


def _files(shop: shopperlens.Shop, *names: str) -> None:
    for i, name in enumerate(names):
        shop.store.execute(
            "INSERT INTO imports (kind, format, file, checksum, rows_read, rows_accepted, "
            "rows_rejected, imported_at) VALUES ('orders', 'generic', ?, ?, 1, 1, 0, now())",
            [name, f"k{i}"],
        )


def test_an_id_that_names_nobody_redacts_nothing(tmp_path: Path) -> None:
    """A mistyped id ("csv") erased nothing, yet rewrote every ledger file name holding that
    word and said "erased": an id redacts the ledger only once rows of theirs were found."""
    import pytest

    from shopperlens.errors import NotFoundError

    names = ["orders.csv", "crm_mary.ann@example.org.csv", "export A1 B2.csv"]
    with shopperlens.open(tmp_path / "s.duckdb") as shop:
        _files(shop, *names)
        with pytest.raises(NotFoundError, match="no customer with that id"):
            shop.erase_customer("csv")
        assert _ledger_of(shop) == names
        assert shop.store.count("erasures") == 0


def test_an_email_redacts_only_that_whole_address(tmp_path: Path) -> None:
    """A letter-or-digit boundary took ``mary.ann@…`` and ``ann@example.org.uk`` for
    ``ann@example.org``; a file extension after the address still counts."""
    names = [
        "crm_mary.ann@example.org.csv", "ann@example.org.uk.csv", "jo+ann@example.org.csv",
        "crm_ANN@example.org.csv.gz", "in/ann@example.org_2024.tsv",
    ]  # fmt: skip
    with shopperlens.open(tmp_path / "s.duckdb") as shop:
        _files(shop, *names)
        assert shop.erase_customer(email="ann@example.org").import_files_redacted == 2
        assert _ledger_of(shop) == [*names[:3], "crm_[erased].csv.gz", "in/[erased]_2024.tsv"]
