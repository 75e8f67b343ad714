"""A person's right of access and to data portability (GDPR Art. 15 and 20): the export holds
exactly the rows erase deletes for the same request, nobody else's, and writes nothing."""

from __future__ import annotations

import hashlib
import json
import logging
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

import shopperlens
from shopperlens.config import Settings
from shopperlens.errors import NotFoundError, ShopperlensError
from shopperlens.web.app import create_app
from shopperlens.web.server import serve_in_thread
from test_privacy_review import FAMILY_KEY, _family, _shared_browser

FAMILY_EMAIL = "family@example.com"
TOKEN = "Vq3xN7pL2mR8sT4wY6zA1bC5dE9fG0hJ"  # (a server refuses a short one)
#: tables that are no person's (erase skips them too)
_NOT_PERSONAL = {"schema_migrations", "imports", "erasures", "consent_suppressions"}


def _counts(store: Any) -> dict[str, int]:
    tables = [
        r[0]
        for r in store.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
    ]
    return {t: store.count(t) for t in tables if t not in _NOT_PERSONAL}


def _derived(shop: shopperlens.Shop) -> None:
    """What the store derived about A and B: a types run, a CLV row, consent records."""
    store = shop.store
    store.execute(
        "INSERT INTO customer_types (run_id, subject_id, customer_id, type, score_need_based, "
        "score_looker, score_new, score_loyal, score_impulse, evidence, orders) VALUES "
        "(7, 'A', 'A', 'loyal', 0, 0, 0, 0.8, 0, 'two orders', 2), "
        "(7, 'B', 'B', 'new', 0, 0, 0.9, 0.1, 0, 'one order', 1)"
    )
    store.execute(
        "INSERT INTO customer_value (customer_id, as_of, horizon_days, frequency, recency, "
        '"T", monetary_value, p_alive, expected_purchases, expected_spend, clv, at_risk, '
        "computed_at) VALUES ('A', '2025-02-01', 365, 1, 1, 30, 10, 0.9, 1, 12.5, 12.5, false, "
        "now()), ('B', '2025-02-01', 365, 0, 0, 30, 20, 0.4, 0.2, 3, 3, true, now())"
    )
    shop.consent_set("A", purpose="marketing", granted=False, source="form")
    shop.consent_set("B", purpose="marketing", granted=True, source="form")


def _family_shop(shop: shopperlens.Shop, tmp_path: Path) -> None:
    _family(shop, tmp_path)
    _derived(shop)


@pytest.mark.parametrize(
    "request_",
    [{"customer_id": "A"}, {"email": FAMILY_EMAIL}, {"customer_id": "B", "email": FAMILY_EMAIL}],
    ids=["by-id", "by-email", "id-and-email"],
)
def test_the_export_holds_exactly_the_rows_erase_then_deletes(shop, tmp_path, request_):
    """A and B share an inbox and a browser: the export of one request counts, table by
    table, what erase deletes for the same request, and leaves out what erase keeps."""
    _family_shop(shop, tmp_path)
    before = _counts(shop.store)
    export = shop.export_person(**request_)
    assert _counts(shop.store) == before  # (nothing written)
    report = shop.erase_customer(**request_)
    after = _counts(shop.store)
    deleted = {t: before[t] - after[t] for t in before if before[t] != after[t]}
    assert export.rows == deleted == report.rows_deleted
    assert {t: len(rows) for t, rows in export.tables.items()} == export.rows
    assert export.kept == report.kept and export.ids_kept == report.ids_kept
    assert export.subject == report.subject


def test_the_export_of_one_of_a_shared_inbox_and_browser_holds_nothing_of_the_other(shop, tmp_path):
    _family_shop(shop, tmp_path)
    export = shop.export_person("A")
    assert export.customer_ids == ["A"]
    named = {r.get("customer_id") for rows in export.tables.values() for r in rows}
    assert named <= {"A", None}
    assert "Bert" not in export.model_dump_json()
    # the ticket filed from the shared inbox could be B's: left out, counted as erase does
    assert "tickets" not in export.tables and export.ids_kept == 1
    assert "erasing by e-mail" in (export.note or "")
    # the anonymous visit on the shared browser is nobody's to give: counted, not shown
    assert export.kept == {"events": 1}
    assert [r["session_id"] for r in export.tables["events"]] == ["s1"]
    # what shopperlens derived, with what it is
    assert export.tables["customer_types"][0]["type"] == "loyal"
    assert export.tables["customer_value"][0]["clv"] == 12.5
    assert [r["granted"] for r in export.tables["consents"]] == [False]
    assert export.about["customer_types"].startswith("types: the customer type")
    assert set(export.about) >= set(export.tables)


def test_a_pop_up_answer_of_a_shared_browser_is_left_out(shop, tmp_path):
    _shared_browser(shop, tmp_path)
    export = shop.export_person("A")
    events = sorted(r["event_id"] for r in export.tables["events"])
    assert events == ["e0", "e1", "e2", "e6", "e7"]  # A's visit, A's phone; not e3 e4 e5
    assert [r["visitor_id"] for r in export.tables["survey_responses"]] == ["V2"]
    assert len(export.tables["survey_answers"]) == 1
    assert export.kept == {"events": 1, "survey_responses": 1}
    assert shop.erase_customer("A").rows_deleted == export.rows


def test_the_json_is_portable_times_with_zone_numbers_ids_as_text(shop, tmp_path):
    _family_shop(shop, tmp_path)
    out = tmp_path / "anna.json"
    shop.export_person("A", out=out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["exported_at"].endswith("Z")
    order = doc["tables"]["orders"][0]
    assert order["order_id"] == "o1" and order["ordered_at"] == "2025-01-01T00:00:00Z"
    assert doc["tables"]["order_lines"][0]["unit_price"] == 10
    assert doc["tables"]["customer_types"][0]["run_id"] == "7"  # an id, as text
    assert doc["tables"]["customer_types"][0]["score_loyal"] == 0.8
    assert doc["rows"]["orders"] == 1 and doc["about"]["orders"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # one person's data
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_an_existing_file_is_replaced_whole(shop, tmp_path):
    _family_shop(shop, tmp_path)
    out = tmp_path / "anna.json"
    out.write_text("old", encoding="utf-8")
    shop.export_person("A", out=out)
    assert json.loads(out.read_text(encoding="utf-8"))["customer_ids"] == ["A"]


def test_a_refusal_kept_for_the_address_is_in_the_export(shop, tmp_path):
    """B refused marketing and was erased: the refusal kept for the family address is part
    of what the store holds about A's address."""
    _family_shop(shop, tmp_path)
    shop.consent_set("B", purpose="marketing", granted=False, source="call")
    shop.erase_customer("B")
    export = shop.export_person("A")
    said = {s["purpose"] for s in export.suppressions}
    assert "marketing" in said
    address = hashlib.sha256(FAMILY_EMAIL.encode()).hexdigest()
    assert {s["address_sha256"] for s in export.suppressions} == {address}
    assert export.about["suppressions"]


def test_an_erased_persons_address_still_gets_its_kept_refusals(shop):
    """Erase keeps an address's refusals (as a hash) after its customer is gone: asked for
    by that e-mail, the export holds them instead of saying nobody has it."""
    shop.store.execute("INSERT INTO customers (customer_id, email) VALUES ('C', 'cy@example.com')")
    shop.consent_set("C", purpose="marketing", granted=False, source="form")
    shop.erase_customer("C")
    export = shop.export_person(email="CY@example.com")
    assert export.rows == {} and export.tables == {} and export.customer_ids == []
    address = hashlib.sha256(b"cy@example.com").hexdigest()
    assert {(s["address_sha256"], s["purpose"]) for s in export.suppressions} >= {
        (address, "marketing")
    }
    with pytest.raises(NotFoundError, match="^no customer with that id$"):
        shop.export_person("C")  # (by the id: no address, so nothing to look for)


def test_rejected_lines_naming_the_person_are_in_the_export(shop, tmp_path):
    db = tmp_path / "shop.duckdb"
    with shopperlens.open(db) as s:
        _family_shop(s, tmp_path)
        db.with_name("shop.rejects.csv").write_text(
            "file,line,column,value,reason\no.csv,2,customer_id,A,not known\n"
            "o.csv,3,customer_id,B,not known\n",
            encoding="utf-8",
        )
        export = s.export_person("A")
    assert [(r["rejects_file"], r["value"]) for r in export.rejects] == [("shop.rejects.csv", "A")]


def test_a_rejected_value_is_exported_without_the_spreadsheet_quote(tmp_path):
    """The rejects files write ``'-5`` for the value ``-5`` (a spreadsheet would run it): the
    export is JSON, not a spreadsheet, and gives the value as the file held it."""
    db = tmp_path / "shop.duckdb"
    with shopperlens.open(db) as s:
        s.store.execute("INSERT INTO customers (customer_id) VALUES ('-5')")
        db.with_name("shop.rejects.csv").write_text(
            "file,line,column,value,reason\no.csv,2,customer_id,'-5,not known\n",
            encoding="utf-8",
        )
        export = s.export_person("-5")
    assert [r["value"] for r in export.rejects] == ["-5"]


def test_an_unknown_person_is_one_clear_message_everywhere(shop, cli, db_path, client):
    with pytest.raises(NotFoundError, match="^no customer with that id$"):
        shop.export_person("nobody")
    with pytest.raises(NotFoundError, match="^no customer with that e-mail$"):
        shop.export_person(email="nobody@example.org")
    with pytest.raises(ShopperlensError, match="name the customer to export"):
        shop.export_person()
    with shopperlens.open(db_path) as s:
        s.store.execute("INSERT INTO customers (customer_id) VALUES ('c9')")
    res = cli("export-person", "nobody", "--out", str(db_path.with_name("x.json")))
    assert res.exit_code == 1 and res.output.strip() == "error: no customer with that id"
    assert not db_path.with_name("x.json").exists()
    got = client.get("/api/privacy/export/nobody")
    assert got.status_code == 404 and got.json() == {"detail": "no customer with that id"}


def test_the_cli_writes_the_file_and_counts_the_rows_read_only(cli, db_path, tmp_path):
    with shopperlens.open(db_path) as s:
        _family_shop(s, tmp_path)
    digest = hashlib.sha256(db_path.read_bytes()).hexdigest()
    out = tmp_path / "family.json"
    res = cli("--read-only", "export-person", "--email", FAMILY_EMAIL, "--out", str(out))
    assert res.exit_code == 0, res.output
    said = " ".join(res.output.split())
    assert "under 3 customer ids" in said and str(out.name) in said
    assert "orders" in said and "customer_types" in said
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == digest
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert sorted(doc["customer_ids"]) == sorted(["A", "B", FAMILY_KEY])
    assert doc["rows"]["tickets"] == 1
    # a wrong file name is refused before any reading
    res = cli("export-person", "A", "--out", str(tmp_path / "a.csv"))
    assert res.exit_code == 1 and "must end in .json" in res.output


def test_http_needs_the_token(shop, client, tmp_path):
    _family_shop(shop, tmp_path)
    anon = TestClient(create_app(Settings(token="test-token"), shop=shop))
    assert anon.get("/api/privacy/export/A").status_code == 401
    assert anon.post("/api/privacy/export", json={"customer_id": "A"}).status_code == 401
    got = client.post("/api/privacy/export", json={"email": FAMILY_EMAIL})
    assert got.status_code == 200, got.text
    body = got.json()
    assert sorted(body["customer_ids"]) == sorted(["A", "B", FAMILY_KEY])
    assert body["rows"] == shop.export_person(email=FAMILY_EMAIL).rows
    both = {"customer_id": "A", "email": FAMILY_EMAIL}
    assert client.post("/api/privacy/export", json=both).json()["customer_ids"] == ["A"]
    assert client.get("/api/privacy/export/A").json()["customer_ids"] == ["A"]


def test_the_server_logs_no_email_of_an_export(shop, tmp_path, caplog):
    """A real server with its access log on: the e-mail in the path is masked there, and no
    other log of shopperlens or the server names the person."""
    _family_shop(shop, tmp_path)
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    keep = Keep()
    caplog.set_level(logging.DEBUG)
    app = create_app(Settings(token=TOKEN), shop=shop)
    with serve_in_thread(app, access_log=True) as url:
        logging.getLogger("uvicorn.access").addHandler(keep)
        try:
            headers = {"Authorization": f"Bearer {TOKEN}"}
            refused = httpx.get(f"{url}/api/privacy/export/{FAMILY_EMAIL}", headers=headers)
            got = httpx.post(
                f"{url}/api/privacy/export", json={"email": FAMILY_EMAIL}, headers=headers
            )
        finally:
            logging.getLogger("uvicorn.access").removeHandler(keep)
    assert refused.status_code == 400
    assert got.status_code == 200 and got.json()["rows"]["customers"] == 2
    assert len(lines) == 2 and "/api/privacy/export/<e-mail>" in lines[0], lines
    server_side = [r.getMessage() for r in caplog.records if not r.name.startswith("httpx")]
    logged = "\n".join(lines + server_side)
    assert "family" not in logged and "Anna" not in logged and "Bert" not in logged
