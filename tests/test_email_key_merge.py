"""One person, one id, whatever order the files come in: a customers file takes over the rows
that orders, tickets and returns filed by e-mail alone keyed by the e-mail (``e-…``) before it
came — the store it would have made had it come first."""

from __future__ import annotations

from datetime import date, timedelta
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
    assert result.notes == [  # (and none says the events' ids and the orders' never meet)
        "2 customer(s) known only by e-mail (ids e-…, from orders, tickets, returns or survey "
        "answers imported before the customers file) now carry their id from the customers "
        "file, with their orders and other rows"
    ]
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


@pytest.mark.parametrize("how", ["next export", "same file with update"])
def test_a_store_split_by_an_earlier_release_heals_with_a_customers_file(shop, tmp_path, how):
    """An earlier release left Ann under two ids (its customers file did not move the orders):
    written here as it left them, the customers file's import on record. The next customers
    export moves them, and so does that very file read again with ``update``."""
    shop.import_orders(write(tmp_path, "o.csv", ORDERS))
    crm = write(tmp_path, "c.csv", CUSTOMERS)
    shop.import_customers(crm)
    shop.store.execute(f"UPDATE orders SET customer_id = '{ANN}' WHERE order_id IN ('o1', 'o3')")
    shop.store.execute(
        "INSERT INTO customers (customer_id, email, created_at, country) "
        f"VALUES ('{ANN}', 'ann@example.org', '2025-03-01 10:05', 'DE')"
    )
    if how == "next export":
        res = shop.import_customers(write(tmp_path, "newer.csv", CUSTOMERS + "\n"))
    else:
        res = shop.import_customers(crm, update=True)
    assert not res.rejects and res.notes[0].startswith("1 customer(s)")
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
    assert got.json()["notes"][0].startswith("2 customer(s) known only by e-mail")


# -- what a second reading found -------------------------------------------------------------
def test_a_guest_return_does_not_make_every_customer_look_merged(shop, tmp_path):
    """A return with no customer (a guest's) beside a guest order's e-mail key: the next
    customers export took no id over, yet said all of them had, and made every stored types
    run one of other data (``type_history`` then refused the customer's)."""
    orders = (
        "order_id,customer_id,email,ordered_at,product_id,quantity,unit_price\n"
        "o1,CRM1,,2025-03-01 10:05,P1,1,20\no2,,guest@example.org,2025-03-02 11:05,P2,1,30\n"
    )
    shop.import_orders(write(tmp_path, "o.csv", orders))
    returns = (
        "return_id,order_id,customer_id,product_id,returned_at,quantity\nr1,o2,,P2,2025-03-05,1\n"
    )
    shop.import_returns(write(tmp_path, "r.csv", returns))
    first = "customer_id,email,created_at\nCRM1,ann@example.org,2025-01-01\n"
    shop.import_customers(write(tmp_path, "c1.csv", first))
    shop.types(as_of="2025-04-01")
    again = shop.import_customers(  # a customer who signed up after the run's date
        write(tmp_path, "c2.csv", first + "CRM2,bob@example.org,2025-05-01\n")
    )
    assert again.notes == []
    assert len(shop.type_history("CRM1")) == 1


def test_a_family_inbox_whose_two_customers_come_in_two_files_of_one_call_keeps_its_key(
    shop, tmp_path
):
    shop.import_orders(write(tmp_path, "o.csv", ORDERS))
    head = "customer_id,email,created_at\n"
    fay = write(tmp_path, "fay.csv", head + "F1,fam@example.org,2025-01-01\n")
    finn = write(tmp_path, "finn.csv", head + "F2,fam@example.org,2025-01-01\n")
    res = shop.import_customers(fay, finn)
    assert res.notes == []
    assert _owners(shop, "orders", "order_id")["o4"] == email_key("fam@example.org")


def test_a_refusal_at_the_same_instant_as_a_yes_stands(shop, tmp_path):
    shop.import_orders(write(tmp_path, "o.csv", ORDERS))
    at = "2025-06-01"
    shop.import_customers(write(tmp_path, "c0.csv", "customer_id,email\nCRM9,zed@example.org\n"))
    shop.consent_set(ANN, purpose="survey", granted=False, recorded_at=at)
    shop.store.execute(  # CRM1 said yes the same instant (before the customers file came)
        "INSERT INTO consents VALUES ('CRM1', 'survey', true, TIMESTAMP '2025-06-01', 'form')"
    )
    shop.import_customers(write(tmp_path, "c.csv", CUSTOMERS))
    got = shop.store.execute(
        "SELECT customer_id, granted FROM consents WHERE purpose = 'survey'"
    ).fetchall()
    assert got == [("CRM1", False)]


def test_a_survey_answer_given_by_e_mail_joins_the_customer(shop, tmp_path):
    """Imported before the customers file, an answer by e-mail was kept under the e-mail's id
    with no customer; in the other order it has the customer. Now both orders give that."""
    from shopperlens.service import surveys

    surveys.ensure_builtin(store=shop.store)
    answers = write(tmp_path, "a.csv", "respondent,age_bracket\nAnn@Example.org,35-44\n")
    shop.survey_import(answers, survey="demo-profile")
    shop.import_customers(write(tmp_path, "c.csv", CUSTOMERS))
    got = shop.store.execute("SELECT respondent, customer_id FROM survey_responses").fetchall()
    assert got == [(ANN, "CRM1")]


def _buyers_by_email(n: int) -> tuple[str, str]:
    """An orders file of ``n`` buyers known by e-mail alone (1–4 orders each over a year), and
    the customers file giving them the shop's ids."""
    orders = ["order_id,customer_id,email,ordered_at,product_id,quantity,unit_price"]
    customers = ["customer_id,email,created_at"]
    for i in range(n):
        customers.append(f"CRM{i},buyer{i}@example.org,2024-01-01")
        for k in range(1 + i % 4):
            day = date(2024, 1, 2) + timedelta(days=(i * 7 + k * 83) % 360)
            orders.append(f"o{i}-{k},,buyer{i}@example.org,{day} 10:00,P1,1,{10 + i % 9}")
    text = "\n".join(orders) + "\n"
    return text, "\n".join(customers) + "\n"


def test_the_stored_clv_run_is_made_again_for_the_customers_ids(shop, tmp_path):
    """A CLV run made while the orders knew their buyers by e-mail named the e- ids: after the
    customers file it stood as current (the same buyers, no new orders), so the customers'
    types showed no CLV and the loyal playbook no one at risk."""
    from shopperlens.service import value_run

    orders, customers = _buyers_by_email(160)
    shop.import_orders(write(tmp_path, "o.csv", orders))
    assert value_run.ensure_current(store=shop.store) is None  # the report's run, stored
    assert value_run.is_current(store=shop.store)
    shop.import_customers(write(tmp_path, "c.csv", customers))
    assert not value_run.is_current(store=shop.store)
    types = shop.types().set_index("customer_id")  # (as `shopperlens types` reads them)
    assert types.loc[[f"CRM{i}" for i in range(160)], "clv"].notna().all()
    assert not any(str(i).startswith("e-") for i in types.index)
