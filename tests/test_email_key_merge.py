"""One person, one id, whatever order the files come in: a customers file takes over the rows
that orders, tickets and returns filed by e-mail alone keyed by the e-mail (``e-…``) before it
came — the store it would have made had it come first."""

from __future__ import annotations

from pathlib import Path

import pytest

import shopperlens
from _ingest_data import write
from shopperlens.ingest import merging
from shopperlens.service import consent
from shopperlens.service.imports import ImportRejected
from shopperlens.service.privacy import email_key

ANN, BOB = email_key("ann@example.org"), email_key("bob@example.org")

# a Shopify-like orders export (no customer ids), Ann's billing country, her checkout "no"
ORDERS = """order_id,customer_id,email,ordered_at,product_id,quantity,unit_price,country,\
accepts_marketing
o1,,Ann@Example.org,2025-03-01 10:05,P1,1,20,DE,false
o2,,bob@example.org,2025-03-02 11:05,P2,1,30,FR,
o3,,ann@example.org,2025-04-01 09:05,P1,1,20,DE,false
o4,,fam@example.org,2025-04-02 09:05,P2,1,30,,
"""
# GA4-like events: the shop's own ids (user_id)
EVENTS = """event_id,session_id,visitor_id,customer_id,timestamp,event_name
e1,s1,v1,CRM1,2025-03-01 10:00,page_view
e2,s1,v1,CRM1,2025-03-01 10:04,purchase
e3,s2,v2,CRM2,2025-03-02 11:00,page_view
e4,s2,v2,CRM2,2025-03-02 11:04,purchase
e5,s3,v1,CRM1,2025-04-01 09:00,page_view
e6,s3,v1,CRM1,2025-04-01 09:04,purchase
"""
# Ann said yes at sign-up; Bob's row leaves the country blank; a family inbox names two people
CUSTOMERS = """customer_id,email,name,created_at,country,accepts_marketing
CRM1,ann@example.org,Ann,2025-01-01,NL,true
CRM2,bob@example.org,Bob,2025-01-01,,
F1,fam@example.org,Fay,2025-01-01,,
F2,fam@example.org,Finn,2025-01-01,,
"""
TICKETS = "ticket_id,customer_id,created_at,subject,email\nt1,,2025-03-05,Late,ann@example.org\n"
RETURNS = (
    "return_id,order_id,customer_id,product_id,returned_at,quantity,email\n"
    "r1,o2,,P2,2025-03-09,1,bob@example.org\n"
)


def _files(tmp_path: Path) -> dict[str, Path]:
    texts = {"orders": ORDERS, "events": EVENTS, "customers": CUSTOMERS}
    texts |= {"tickets": TICKETS, "returns": RETURNS}
    return {k: write(tmp_path, f"{k}.csv", v) for k, v in texts.items()}


def _owners(shop, table: str, key: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    rows = shop.store.execute(f"SELECT {key}, customer_id FROM {table}").fetchall()
    return dict(rows)


def _late_customers(tmp_path: Path, shop):  # type: ignore[no-untyped-def]
    f = _files(tmp_path)
    for kind in ("orders", "events", "tickets", "returns"):
        shop.import_files(kind, f[kind])
    return shop.import_customers(f["customers"])


def test_the_customers_file_takes_over_the_e_mail_keys(shop, tmp_path):
    result = _late_customers(tmp_path, shop)
    assert result.files[0].note == (
        "2 customer(s) known only by e-mail (ids e-…, from orders, tickets or returns imported "
        "before this file) now carry this file's customer id, with their orders and other rows"
    )
    assert _owners(shop, "orders", "order_id") == {
        "o1": "CRM1",
        "o2": "CRM2",
        "o3": "CRM1",
        "o4": email_key("fam@example.org"),  # two customers have that inbox: not guessed
    }
    assert _owners(shop, "tickets", "ticket_id") == {"t1": "CRM1"}
    assert _owners(shop, "returns", "return_id") == {"r1": "CRM2"}
    ids = set(shop.sql("SELECT customer_id FROM customers")["customer_id"])
    assert ids == {"CRM1", "CRM2", "F1", "F2", email_key("fam@example.org")}
    waiting = set(shop.sql("SELECT key FROM ingest_placeholders")["key"])
    assert ANN not in waiting and BOB not in waiting
    assert result.notes == []  # the events' ids and the orders' now meet


def test_the_file_s_values_stand_and_its_blanks_take_the_orders(shop, tmp_path):
    _late_customers(tmp_path, shop)
    rows = shop.store.execute(
        "SELECT customer_id, name, created_at::DATE::VARCHAR, country FROM customers "
        "WHERE customer_id IN ('CRM1', 'CRM2') ORDER BY 1"
    ).fetchall()
    assert rows == [("CRM1", "Ann", "2025-01-01", "NL"), ("CRM2", "Bob", "2025-01-01", "FR")]


def test_each_person_is_typed_once(shop, tmp_path):
    """Before, each buyer was typed twice: a looker by the visits (CRM1), a buyer without
    visits by the orders (e-…). Now one subject each, whose visits bought."""
    _late_customers(tmp_path, shop)
    types = shop.types(as_of="2025-05-01", save=False).set_index("customer_id")
    assert sorted(types.index) == sorted(["CRM1", "CRM2", "F1", "F2", email_key("fam@example.org")])
    assert types.loc["CRM1", "type"] == "need_based"
    assert types.loc["CRM1", "evidence"].startswith("2 orders; went straight to the product in 2")
    assert types.loc["CRM2", "type"] == "new"


def test_the_checkout_no_is_recorded_as_if_the_customers_file_came_first(tmp_path):
    """Ann said yes at sign-up (the customers file) and no at her checkouts after it: in the
    other order the orders file records that no; so does the merge, once, dated at her latest
    order. Both orders give the same store."""
    f = _files(tmp_path)
    a = shopperlens.open(tmp_path / "late.duckdb")
    a.import_orders(f["orders"])
    a.import_customers(f["customers"])
    b = shopperlens.open(tmp_path / "first.duckdb")
    b.import_customers(f["customers"])
    b.import_orders(f["orders"])
    query = (
        "SELECT customer_id, purpose, granted, recorded_at::VARCHAR FROM consents "
        "WHERE customer_id = 'CRM1' ORDER BY recorded_at"
    )
    late, first = a.store.execute(query).fetchall(), b.store.execute(query).fetchall()
    assert late == [("CRM1", "marketing", False, "2025-04-01 09:05:00")]
    assert first == late
    allowed = consent.allowed(store=a.store)
    assert "CRM1" not in allowed and allowed == consent.allowed(store=b.store)
    a.close()
    b.close()


def test_a_consent_of_the_e_mail_key_moves_with_it(shop, tmp_path):
    shop.import_orders(write(tmp_path, "o.csv", ORDERS))
    shop.consent_set(ANN, purpose="survey", granted=True)
    shop.import_customers(write(tmp_path, "c.csv", CUSTOMERS))
    got = shop.store.execute(
        "SELECT customer_id, purpose, granted FROM consents WHERE purpose = 'survey'"
    ).fetchall()
    assert got == [("CRM1", "survey", True)]


def test_a_rejected_customers_file_moves_nothing(shop, tmp_path):
    shop.import_orders(write(tmp_path, "o.csv", ORDERS))
    before = _owners(shop, "orders", "order_id")
    bad = CUSTOMERS + "CRM9,not an address,Zed,2025-01-01,,\n"
    with pytest.raises(ImportRejected):
        shop.import_customers(write(tmp_path, "bad.csv", bad))
    assert _owners(shop, "orders", "order_id") == before
    assert shop.store.scalar("SELECT count(*) FROM customers WHERE customer_id = ?", [ANN]) == 1


def test_the_same_files_again_change_nothing(shop, tmp_path):
    _late_customers(tmp_path, shop)
    snapshot = {
        t: sorted(map(tuple, shop.sql(f"SELECT * FROM {t}").astype(str).values.tolist()))
        for t in ("orders", "customers", "consents", "tickets", "returns", "ingest_placeholders")
    }
    f = _files(tmp_path)
    copy = write(tmp_path, "customers_again.csv", CUSTOMERS + "\n")  # another file, same rows
    for kind, path in (*((k, f[k]) for k in ("orders", "tickets", "returns")), ("customers", copy)):
        again = shop.import_files(kind, path)
        assert not any(again.added.values()) and not again.rejects, kind
    for t, rows in snapshot.items():
        assert (
            sorted(map(tuple, shop.sql(f"SELECT * FROM {t}").astype(str).values.tolist())) == rows
        )


def test_a_store_split_by_an_earlier_release_heals_with_the_next_customers_export(shop, tmp_path):
    """An earlier release left Ann under two ids (its customers file did not move the orders):
    written here as it left them. The next customers export moves them."""
    shop.import_orders(write(tmp_path, "o.csv", ORDERS))
    shop.store.execute(
        "INSERT INTO customers (customer_id, email, name, created_at, country, accepts_marketing) "
        "VALUES ('CRM1', 'ann@example.org', 'Ann', '2025-01-01', 'NL', true)"
    )
    res = shop.import_customers(write(tmp_path, "newer.csv", CUSTOMERS))
    assert not res.rejects and res.files[0].note.startswith("2 customer(s)")
    assert _owners(shop, "orders", "order_id")["o1"] == "CRM1"


def test_erasing_the_customer_takes_the_moved_rows(shop, tmp_path):
    _late_customers(tmp_path, shop)
    shop.erase_customer("CRM1")
    assert shop.store.scalar("SELECT count(*) FROM orders WHERE order_id IN ('o1', 'o3')") == 0
    assert shop.store.count("tickets") == 0


def test_every_table_naming_a_customer_is_moved_or_left_by_decision(shop):
    """A new table with a ``customer_id`` must be placed: moved with the person, or a run."""
    tables = set(
        shop.sql(
            "SELECT table_name FROM information_schema.columns WHERE column_name = 'customer_id' "
            "AND table_schema = 'main' AND NOT starts_with(table_name, '_')"
        )["table_name"]
    )
    placed = {*merging.DATA_TABLES, *merging.RUNS, "consents", "customers", "ingest_placeholders"}
    assert tables == placed


def test_the_cli_says_so(cli, tmp_path):
    f = _files(tmp_path)
    assert cli("import", "orders", str(f["orders"])).exit_code == 0
    res = cli("import", "customers", str(f["customers"]))
    assert res.exit_code == 0, res.output
    assert "2 customer(s) known only by e-mail" in " ".join(res.output.split())


def test_the_http_api_says_so(client, tmp_path):
    f = _files(tmp_path)
    for kind in ("orders", "customers"):
        got = client.post(f"/api/imports/{kind}", json={"path": str(f[kind])})
        assert got.status_code == 200, got.text
    assert got.json()["files"][0]["note"].startswith("2 customer(s) known only by e-mail")
