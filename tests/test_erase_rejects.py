"""Erase removes the person from the rejects file beside the store.

``import … --on-error skip`` writes the rows it could not take to ``<db stem>.rejects.csv``, a
malformed row as its whole line: the customer's id, name and e-mail survived ``erase``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import shopperlens

CUSTOMERS = (
    "customer_id,email,name\n"
    "K00001,person1@example.org,Person Number1\n"
    "K00007,person7@example.org,Person Number7\n"
    "K00010,person10@example.org,Person Number10\n"
)
#: T10 is malformed (5 values under 6 columns): its whole line goes to the rejects file;
#: T12 and T13 are rejected for their date, and name K00010 and K00001 (not K00007)
TICKETS = (
    "ticket_id,customer_id,created_at,subject,body,email\n"
    "T9,K00007,2025-01-02,Refund,call me,person7@example.org\n"
    "T10,K00007,2025-01-03,Person Number7 again,PERSON7@Example.ORG\n"
    "T11,K00001,2025-01-01,hello,hi,person1@example.org\n"
    "T12,K00010,yesterday,hello,hi,person10@example.org\n"
    "T13,K00001,someday,about K00007,hi,person1@example.org\n"
)


def _rejects(db: Path) -> list[dict[str, str]]:
    with db.with_name(f"{db.stem}.rejects.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _import(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    (tmp_path / "tickets.csv").write_text(TICKETS, encoding="utf-8")
    assert cli("import", "customers", str(tmp_path / "customers.csv")).exit_code == 0
    res = cli("import", "tickets", str(tmp_path / "tickets.csv"), "--on-error", "skip")
    assert res.exit_code == 0, res.output


def test_erase_removes_the_rejected_lines_naming_the_customer(cli, db_path, tmp_path):  # type: ignore[no-untyped-def]
    _import(cli, tmp_path)
    before = _rejects(db_path)
    assert any("Person Number7" in r["value"] for r in before)  # the whole line is there
    res = cli("erase", "K00007", "--yes")
    assert res.exit_code == 0, res.output
    assert "removed 1 rejected rows" in res.output
    after = _rejects(db_path)
    text = db_path.with_name("shop.rejects.csv").read_text(encoding="utf-8").lower()
    assert "k00007," not in text and "person7@" not in text and "number7 " not in text
    # K00010's row stays (K00007 is no part of K000070 or K00010), and so does K00001's,
    # whose subject names K00007 but whose value is only the date it could not read
    assert [r["value"] for r in after] == [r["value"] for r in before if "7" not in r["value"]]
    assert {r["value"] for r in after} == {"yesterday", "someday"}


def test_erasing_by_email_matches_any_case_and_reports_the_count(tmp_path: Path) -> None:
    db = tmp_path / "shop.duckdb"
    db.with_name("shop.rejects.csv").write_text(
        "file,line,column,value,reason\n"
        'c.csv,2,(row),"Q1,Ann.Lee@Example.ORG,Ann Lee",malformed row\n'
        'c.csv,3,(row),"Q2,joann.lee@example.org,Jo Lee",malformed row\n'
        "c.csv,4,email,ANN.LEE@EXAMPLE.ORG,not an e-mail\n",
        encoding="utf-8",
    )
    shop = shopperlens.open(db)
    shop.store.execute(
        "INSERT INTO customers (customer_id, email, name) VALUES ('Q1', 'ann.lee@example.org', "
        "'Ann Lee'), ('Q2', 'joann.lee@example.org', 'Jo Lee')"
    )
    report = shop.erase_customer(email="ann.lee@example.org")
    shop.close()
    assert report.rejects_removed == 2
    assert [r["value"] for r in _rejects(db)] == ["Q2,joann.lee@example.org,Jo Lee"]


def test_a_customer_only_in_the_rejects_file_is_erased_there(tmp_path: Path) -> None:
    """Every row of theirs was rejected: the store has nothing, the rejects file has them."""
    db = tmp_path / "shop.duckdb"
    db.with_name("shop.rejects.csv").write_text(
        'file,line,column,value,reason\nc.csv,2,(row),"Z9,zed@example.org,Zed",malformed row\n',
        encoding="utf-8",
    )
    shop = shopperlens.open(db)
    report = shop.erase_customer(email="zed@example.org")
    shop.close()
    assert report.rejects_removed == 1 and report.rows_deleted == {}
    assert _rejects(db) == []
