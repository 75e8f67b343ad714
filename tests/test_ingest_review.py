"""Imports: consent whatever the import order, JSON fields first seen late, time zones with a
one-digit offset, dates that are words, tickets and returns given only an e-mail, conflicts that
name the column, a mapping that names one column twice, and the smaller messages (a header
``E-mail``, upload names, a BOM-only file, a JSON array, YAML ``yes:``, the skip option in each
face's words, numbers too large). Each test writes its small files and checks what landed."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from _ingest_data import write
from shopperlens.errors import ShopperlensError
from shopperlens.ingest.kinds import email_key_sql
from shopperlens.ingest.rejects import Reject
from shopperlens.service import consent

OHEAD = "order_id,customer_id,ordered_at,product_id,quantity,unit_price"


def _said(res) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(Reject(**r.model_dump())) for r in res.rejects]


def _rows(shop, sql: str) -> list[tuple]:  # type: ignore[no-untyped-def, type-arg]
    return shop.store.execute(sql).fetchall()


def _email_key(shop, email: str) -> str:  # type: ignore[no-untyped-def]
    return shop.store.execute(f"SELECT {email_key_sql('?')}", [email]).fetchone()[0]


# -- 1. consent does not depend on the import order -----------------------------------------
CUST9 = "customer_id,email,accepts_marketing,created_at\nc9,other@x.com,true,2024-01-01\n"
ORD9 = (
    f"{OHEAD},email,accepts_marketing,product_name\n"
    "o1,c9,2024-05-01,p1,1,10.00,nine@x.com,false,Widget\n"
)
CUSTOMER_ROW = "SELECT * FROM customers ORDER BY customer_id"
CONSENT_ROWS = "SELECT customer_id, purpose, granted, recorded_at FROM consents ORDER BY 1, 4"


def _both_orders(shop_a, shop_b, tmp_path, customers: str, orders: str):  # type: ignore[no-untyped-def]
    c, o = write(tmp_path, "c.csv", customers), write(tmp_path, "o.csv", orders)
    shop_a.import_orders(o)
    first = shop_a.import_customers(c)
    shop_b.import_customers(c)
    shop_b.import_orders(o)
    return first


@pytest.fixture
def other_shop():  # type: ignore[no-untyped-def]
    import shopperlens

    s = shopperlens.open(":memory:")
    yield s
    s.close()


def test_a_checkout_no_withdraws_a_sign_up_yes_in_either_import_order(shop, other_shop, tmp_path):
    res = _both_orders(shop, other_shop, tmp_path, CUST9, ORD9)
    assert res.rows_rejected == 0 and res.added == {"customers": 0, "consents": 1}
    assert consent.allowed(store=shop.store) == consent.allowed(store=other_shop.store) == set()
    assert _rows(shop, CUSTOMER_ROW) == _rows(other_shop, CUSTOMER_ROW)
    assert _rows(shop, CUSTOMER_ROW)[0][:2] == ("c9", "other@x.com")  # as the customers file says
    assert _rows(shop, CONSENT_ROWS) == _rows(other_shop, CONSENT_ROWS)
    assert _rows(shop, CONSENT_ROWS) == [("c9", "marketing", False, datetime(2024, 5, 1))]
    source = _rows(shop, "SELECT source FROM consents")[0][0]
    assert source.startswith("orders") and "c.csv" in source
    # the same customers file again (a re-export) is no conflict, and records nothing more
    again = shop.import_customers(write(tmp_path, "c2.csv", CUST9 + "c10,ten@x.com,true,\n"))
    assert again.rows_rejected == 0 and again.added == {"customers": 1}
    assert len(_rows(shop, CONSENT_ROWS)) == 1


def test_a_sign_up_after_a_guest_order_keeps_its_yes_in_either_import_order(
    shop, other_shop, tmp_path
):
    customers = "customer_id,created_at,accepts_marketing\nk2,2024-06-01,true\n"
    orders = f"{OHEAD},accepts_marketing\ng1,k2,2024-01-15,p1,1,10,false\n"
    _both_orders(shop, other_shop, tmp_path, customers, orders)
    assert consent.allowed(store=shop.store) == consent.allowed(store=other_shop.store) == {"k2"}
    assert _rows(shop, CUSTOMER_ROW) == _rows(other_shop, CUSTOMER_ROW)
    assert _rows(shop, CONSENT_ROWS) == _rows(other_shop, CONSENT_ROWS) == []


def test_a_customers_file_without_consent_keeps_the_orders_answer(shop, tmp_path):
    shop.import_orders(write(tmp_path, "o.csv", ORD9))
    shop.import_customers(write(tmp_path, "c.csv", "customer_id,country\nc9,DE\n"))
    assert _rows(shop, "SELECT email, country, accepts_marketing FROM customers") == [
        ("nine@x.com", "DE", False)
    ]
    assert _rows(shop, CONSENT_ROWS) == [] and consent.allowed(store=shop.store) == set()


def test_a_placeholder_named_twice_with_other_content_is_not_completed(shop, tmp_path):
    shop.import_orders(write(tmp_path, "o.csv", ORD9))
    twice = CUST9 + "c9,nine@x.com,false,2024-01-01\n"
    res = shop.import_customers(write(tmp_path, "c.csv", twice), on_error="skip")
    assert res.rows_rejected == 2
    assert _rows(shop, "SELECT email, accepts_marketing, created_at FROM customers") == [
        ("nine@x.com", False, datetime(2024, 5, 1))
    ]
    assert _rows(shop, "SELECT kind, key FROM ingest_placeholders WHERE kind = 'customers'") == [
        ("customers", "c9")
    ]


# -- 2. JSON Lines: a field first seen after DuckDB's sample ---------------------------------
def test_json_lines_field_first_seen_after_the_sample_is_read(shop, tmp_path):
    lines = [json.dumps({"customer_id": f"x{i}", "country": "DE"}) for i in range(25_000)]
    lines += [
        json.dumps({"customer_id": f"y{i}", "E-Mail": f"P{i}@x.com", "accepts_marketing": False})
        for i in range(10)
    ]
    res = shop.import_customers(write(tmp_path, "late.jsonl", "\n".join(lines) + "\n"))
    assert res.rows_rejected == 0 and res.added == {"customers": 25_010}
    assert _rows(shop, "SELECT count(email), count(accepts_marketing) FROM customers") == [(10, 10)]
    assert _rows(shop, "SELECT email FROM customers WHERE customer_id = 'y3'") == [("p3@x.com",)]


def test_json_lines_late_field_reaches_the_repeated_column_check(shop, tmp_path):
    lines = [json.dumps({"customer_id": f"x{i}", "email": f"{i}@x.com"}) for i in range(20_500)]
    lines.append(json.dumps({"customer_id": "z", "Email": "z@x.com"}))
    with pytest.raises(ShopperlensError, match="'email' and 'Email' both give email"):
        shop.import_customers(write(tmp_path, "late.jsonl", "\n".join(lines) + "\n"))
    assert shop.store.count("customers") == 0


# -- 3. time zones with a one-digit offset ---------------------------------------------------
TZ_ROWS = {
    "2024-07-01 10:00:00 UTC+2": datetime(2024, 7, 1, 8, 0),
    "2024-07-01 10:00:00 GMT+1": datetime(2024, 7, 1, 9, 0),
    "2024-07-01 10:00 GMT+1": datetime(2024, 7, 1, 9, 0),
    "2024-07-01 10:00:00 Etc/GMT+5": datetime(2024, 7, 1, 15, 0),
    "2024-07-01 10:00:00 Etc/GMT-2": datetime(2024, 7, 1, 8, 0),
    "2024-07-01 10:00:00 UTC-3": datetime(2024, 7, 1, 13, 0),
    "2024-07-01 10:00:00 -01:00": datetime(2024, 7, 1, 11, 0),
    "2024-07-01 10:00:00+14:00": datetime(2024, 6, 30, 20, 0),  # (Kiribati)
    "2024-07-01 10:00:00-12:00": datetime(2024, 7, 1, 22, 0),
    "2024-07-01 10:00:00+01:00:00": datetime(2024, 7, 1, 9, 0),
    "2024-7-1 1:00-01:00": datetime(2024, 7, 1, 2, 0),
    "2024-07-01 10:00:00.5 -01": datetime(2024, 7, 1, 11, 0, 0, 500000),
    "2024-07-01 10:00:00": datetime(2024, 7, 1, 10, 0),
    "2024-07-01T10:00:00": datetime(2024, 7, 1, 10, 0),
    "2024-07-01 10:00": datetime(2024, 7, 1, 10, 0),
    "2024-07-01 10:00:00.250": datetime(2024, 7, 1, 10, 0, 0, 250000),
    "2024-7-1 9:05": datetime(2024, 7, 1, 9, 5),
    "2024-07-01": datetime(2024, 7, 1),
}
#: a zone (or what may be one) DuckDB's TIMESTAMP cast would drop: rejected, never stored as 10:00
TZ_REJECTED = [
    "2024-07-01 10:00:00 +1",
    "2024-07-01T10:00:00+1",
    "2024-7-1 1:00 +1",
    "2024-07-01 10:00 +1",
    "2024-07-01 10:00:00 +01:00:00",
    "2024-07-01 10:00:00 XYZ",
    "2024-07-01 10:00:00 123",
    "2024-07-01 10:00:00.5 x",
]


@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
def test_zones_with_one_digit_offsets_become_utc(shop, tmp_path, zone):
    shop.store.execute(f"SET TimeZone = '{zone}'")
    head = "ticket_id,customer_id,created_at,subject\n"
    rows = "".join(f"t{i},c1,{text},x\n" for i, text in enumerate(TZ_ROWS))
    res = shop.import_tickets(write(tmp_path, "t.csv", head + rows))
    assert res.rows_rejected == 0
    got = dict(_rows(shop, "SELECT ticket_id, created_at FROM tickets"))
    assert {text: got[f"t{i}"] for i, text in enumerate(TZ_ROWS)} == TZ_ROWS


def test_an_offset_no_place_has_is_rejected(shop, tmp_path):
    """DuckDB reads ``+25:00`` and ``+99`` as that many hours: the time moved by them."""
    head = "ticket_id,customer_id,created_at,subject\n"
    bad = [
        "2024-07-01 10:00:00+25:00", "2024-07-01 10:00:00 +99", "2024-07-01T10:00:00-1500",
        "2024-07-01 10:00:00+15:00:00", "2024-07-01 10:00:00+14:30", "2024-07-01 10:00:00-1459",
    ]  # fmt: skip
    rows = "".join(f"t{i},c1,{text},x\n" for i, text in enumerate(bad))
    res = shop.import_tickets(write(tmp_path, "t.csv", head + rows), on_error="skip")
    assert shop.store.count("tickets") == 0
    assert _said(res) == [
        f"t.csv:{i + 2} created_at={t!r}: not a date/time" for i, t in enumerate(bad)
    ]


def test_a_zone_that_does_not_convert_is_rejected_not_dropped(shop, tmp_path):
    head = "ticket_id,customer_id,created_at,subject\n"
    rows = "".join(f"t{i},c1,{text},x\n" for i, text in enumerate(TZ_REJECTED))
    res = shop.import_tickets(write(tmp_path, "t.csv", head + rows), on_error="skip")
    assert shop.store.count("tickets") == 0
    assert _said(res) == [
        f"t.csv:{i + 2} created_at={text!r}: not a date/time" for i, text in enumerate(TZ_REJECTED)
    ]


# -- 4. words DuckDB reads as dates ----------------------------------------------------------
WORDS = ["infinity", "-infinity", "epoch", "Infinity", "12024-03-01"]


def test_infinity_and_epoch_are_not_dates(shop, tmp_path):
    rows = [f"o{i},c1,{w},p1,1,10" for i, w in enumerate(WORDS)] + ["ok,c1,2024-05-01,p1,1,10"]
    res = shop.import_orders(
        write(tmp_path, "o.csv", "\n".join([OHEAD, *rows]) + "\n"), on_error="skip"
    )
    assert _said(res) == [
        f"o.csv:{i + 2} ordered_at={w!r}: not a date/time" for i, w in enumerate(WORDS)
    ]
    assert _rows(shop, "SELECT order_id, ordered_at FROM orders") == [("ok", datetime(2024, 5, 1))]
    head = "ticket_id,customer_id,created_at,subject\n"
    tickets = write(tmp_path, "t.csv", head + "t1,c1,infinity,typo\nt2,c2,epoch,x\n")
    with pytest.raises(ShopperlensError, match=r"t.csv:2 created_at='infinity': not a date/time"):
        shop.import_tickets(tickets)
    assert shop.store.count("tickets") == 0


# -- 5. a ticket or return given only an e-mail ----------------------------------------------
CUSTOMERS = "customer_id,email\nc1,ann@example.com\nc2,bob@example.com\nc3,bob@example.com\n"


def test_a_ticket_with_only_an_e_mail_joins_the_one_customer_who_has_it(shop, tmp_path):
    shop.import_customers(write(tmp_path, "c.csv", CUSTOMERS))
    tickets = (
        "ticket_id,customer_id,created_at,subject,email\n"
        "t20,,2024-04-05,Where is my order, ANN@Example.com \n"
        "t21,,2024-04-05,Two of us,bob@example.com\n"
        "t22,,2024-04-05,Unknown,nobody@example.com\n"
        "t23,c2,2024-04-05,Given,ann@example.com\n"
    )
    res = shop.import_tickets(write(tmp_path, "t.csv", tickets))
    assert res.rows_rejected == 0
    assert dict(_rows(shop, "SELECT ticket_id, customer_id FROM tickets")) == {
        "t20": "c1",
        "t21": _email_key(shop, "bob@example.com"),  # two customers have it: not guessed
        "t22": _email_key(shop, "nobody@example.com"),
        "t23": "c2",  # a customer_id the file gives stays
    }
    assert shop.store.count("customers") == 3


def test_a_return_with_only_an_e_mail_is_treated_like_a_ticket(shop, tmp_path):
    shop.import_customers(write(tmp_path, "c.csv", CUSTOMERS))
    returns = (
        "return_id,order_id,customer_id,product_id,returned_at,quantity,email\n"
        "r1,o1,,p1,2024-04-05,1,Ann@example.com\n"
        "r2,o2,,p1,2024-04-05,1,nobody@example.com\n"
        "r3,o3,,p1,2024-04-05,1,\n"
    )
    res = shop.import_returns(write(tmp_path, "r.csv", returns))
    assert res.rows_rejected == 0
    assert dict(_rows(shop, "SELECT return_id, customer_id FROM returns")) == {
        "r1": "c1",
        "r2": _email_key(shop, "nobody@example.com"),
        "r3": None,
    }


def test_a_ticket_stored_before_its_customer_joins_the_customer_later(shop, tmp_path):
    """A ticket filed by e-mail before the customers file: its e-mail key gives way to the
    customer the file brings, and the ticket export again (with one more) is no conflict."""
    tickets = "ticket_id,customer_id,created_at,subject,email\nt1,,2024-04-05,Hi,ann@example.com\n"
    shop.import_tickets(write(tmp_path, "t1.csv", tickets))
    shop.import_customers(write(tmp_path, "c.csv", CUSTOMERS))
    assert dict(_rows(shop, "SELECT ticket_id, customer_id FROM tickets")) == {"t1": "c1"}
    more = tickets + "t2,,2024-04-06,Again,ann@example.com\n"
    res = shop.import_tickets(write(tmp_path, "t2.csv", more))
    assert res.rows_rejected == 0 and res.added == {"tickets": 1}
    assert dict(_rows(shop, "SELECT ticket_id, customer_id FROM tickets")) == {
        "t1": "c1",
        "t2": "c1",
    }


# -- 6. a conflict names the column ----------------------------------------------------------
def test_a_changed_customer_names_the_column_not_personal_values(shop, tmp_path):
    head = "customer_id,email,name,country,accepts_marketing\n"
    shop.import_customers(write(tmp_path, "c1.csv", head + "c1,a@x.com,Ann,DE,true\n"))
    changed = head + "c1,b@x.com,Anne,NL,false\n"
    res = shop.import_customers(write(tmp_path, "c2.csv", changed), on_error="skip")
    (reject,) = res.rejects
    assert (reject.column, reject.value) == ("customer_id", "c1")
    assert reject.reason == (
        "key already imported with different content: email, name, "
        "country (stored 'DE', file 'NL'), accepts_marketing (stored 'true', file 'false')"
    )
    assert "a@x.com" not in reject.reason and "b@x.com" not in reject.reason
    assert "Ann" not in reject.reason


def test_orders_products_and_tickets_conflicts_name_the_column(shop, tmp_path):
    shop.import_orders(write(tmp_path, "o1.csv", f"{OHEAD}\no1,c1,2024-05-01,p1,2,10\n"))
    res = shop.import_orders(
        write(tmp_path, "o2.csv", f"{OHEAD}\no1,c1,2024-05-02,p1,3,10\n"), on_error="skip"
    )
    assert [r.reason for r in res.rejects] == [
        "order already imported with different content: "
        "ordered_at (stored '2024-05-01 00:00:00', file '2024-05-02 00:00:00')"
    ]
    res = shop.import_orders(
        write(tmp_path, "o3.csv", f"{OHEAD}\no1,c1,2024-05-01,p1,3,10\n"), on_error="skip"
    )
    assert [r.reason for r in res.rejects] == [
        "order line already imported with different content: quantity (stored '2', file '3')"
    ]
    shop.import_products(write(tmp_path, "p1.csv", "product_id,product_name,price\nq1,Mug,9.5\n"))
    res = shop.import_products(
        write(tmp_path, "p2.csv", "product_id,product_name,price\nq1,Cup,9.5\n"), on_error="skip"
    )
    assert [r.reason for r in res.rejects] == [
        "key already imported with different content: product_name (stored 'Mug', file 'Cup')"
    ]
    head = "ticket_id,customer_id,created_at,subject,channel\n"
    shop.import_tickets(write(tmp_path, "t1.csv", head + "t1,c1,2024-05-01,Refund for Ann,mail\n"))
    res = shop.import_tickets(
        write(tmp_path, "t2.csv", head + "t1,c1,2024-05-01,Refund for Anne,chat\n"),
        on_error="skip",
    )
    assert [r.reason for r in res.rejects] == [
        "key already imported with different content: subject, channel (stored 'mail', file 'chat')"
    ]


def test_a_key_repeated_in_the_file_names_the_columns(shop, tmp_path):
    text = "customer_id,email,country\nc1,a@x.com,DE\nc1,b@x.com,DE\n"
    res = shop.import_customers(write(tmp_path, "c.csv", text), on_error="skip")
    assert [r.reason for r in res.rejects] == [
        "duplicate key with different content in the file: email"
    ] * 2


# -- 7. two columns mapped to one --------------------------------------------------------------
MAPPED = "Kundennr;E-Mail;Mail2;Land\nk1;a@x.com;b@x.com;DE\n"


def test_two_columns_mapped_to_one_canonical_column_are_refused(shop, tmp_path, cli):
    path = write(tmp_path, "map.csv", MAPPED)
    mapping = {"Kundennr": "customer_id", "E-Mail": "email", "Mail2": "email"}
    with pytest.raises(ShopperlensError) as info:
        shop.import_customers(path, mapping=mapping)
    assert str(info.value) == (
        "map.csv: the mapping gives email from 2 columns ('E-Mail' and 'Mail2'); map one"
    )
    assert shop.store.count("customers") == 0
    res = cli(
        "import", "customers", str(path), "--map", "Kundennr=customer_id",
        "--map", "E-Mail=email", "--map", "Mail2=email",
    )  # fmt: skip
    assert res.exit_code == 1 and "('E-Mail' and 'Mail2')" in res.output
    assert "Traceback" not in res.output


def test_one_column_mapped_twice_on_the_command_line_is_refused(cli, tmp_path):
    path = write(tmp_path, "map.csv", MAPPED)
    res = cli(
        "import", "customers", str(path), "--map", "Kundennr=customer_id",
        "--map", "Kundennr=email",
    )  # fmt: skip
    assert res.exit_code != 0 and "'Kundennr'" in res.output and "twice" in res.output


# -- 8. smaller ----------------------------------------------------------------------------------
def test_a_header_e_mail_is_the_email_column(shop, tmp_path):
    shop.import_customers(write(tmp_path, "c.csv", "customer_id,E-mail\nc1,Ann@X.com\n"))
    assert _rows(shop, "SELECT customer_id, email FROM customers") == [("c1", "ann@x.com")]
    both = "customer_id,email,E-Mail\nc2,a@x.com,b@x.com\n"
    with pytest.raises(ShopperlensError, match="'email' and 'E-Mail' both give email"):
        shop.import_customers(write(tmp_path, "c2.csv", both))


def test_http_errors_name_the_uploaded_file(client):
    bad = client.post("/api/imports/customers", files={"file": ("mzero.csv", b"", "text/csv")})
    assert bad.status_code == 400
    assert bad.json()["detail"] == (
        "mzero.csv: the file is empty (a day with nothing to import passes with ?allow_empty=true)"
    )


def test_a_file_that_is_only_a_bom_is_empty(shop, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf\n")
    with pytest.raises(
        ShopperlensError,
        match=r"^bom.csv: the file is empty \(a day with nothing to import passes with --allow",
    ):
        shop.import_customers(path)


@pytest.mark.parametrize(
    "text",
    [
        '[{"customer_id":"a1","email":"a1@x.com"},\n {"customer_id":"a2","email":"a2@x.com"}]\n',
        '[{"customer_id":"a1","email":"a1@x.com"}, {"customer_id":"a2"}]',
        '\ufeff[\n  {"customer_id": "a1"}\n]\n',
    ],
)
def test_a_json_array_is_refused_with_one_clear_message(shop, tmp_path, text):
    with pytest.raises(ShopperlensError) as info:
        shop.import_customers(write(tmp_path, "arr.json", text))
    assert str(info.value) == "arr.json: a JSON array, not JSON Lines: one object per line expected"
    assert shop.store.count("customers") == 0


def test_a_json_lines_file_whose_first_record_is_an_array_still_rejects_that_record(shop, tmp_path):
    text = '[1, 2]\n{"customer_id": "a1"}\n'
    res = shop.import_customers(write(tmp_path, "c.jsonl", text), on_error="skip")
    assert _said(res) == [
        "c.jsonl:1 (row) (value in the rejects file): malformed JSON: an array, not an object"
    ]
    assert _rows(shop, "SELECT customer_id FROM customers") == [("a1",)]


def test_yaml_mapping_keys_stay_text(shop, tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("columns:\n  Kundennr: customer_id\n  yes: name\n  2024: country\n")
    text = "Kundennr;yes;2024\nk2;Y;DE\n"
    shop.import_customers(write(tmp_path, "c.csv", text), mapping=mapping)
    assert _rows(shop, "SELECT customer_id, name, country FROM customers") == [("k2", "Y", "DE")]


BAD_ROW = f"{OHEAD}\no1,c1,2024-05-01,p1,-1,10\n"


def test_the_skip_option_is_named_in_each_face_s_words(shop, tmp_path, cli, client):
    path = write(tmp_path, "o.csv", BAD_ROW)
    with pytest.raises(ShopperlensError) as info:
        shop.import_orders(path)
    assert "on_error='skip'" in str(info.value) and "--on-error" not in str(info.value)
    res = cli("import", "orders", str(path))
    assert res.exit_code == 1 and "--on-error skip" in res.output
    up = client.post("/api/imports/orders", files={"file": ("o.csv", BAD_ROW.encode())})
    assert up.status_code == 400
    assert "?on_error=skip" in up.json()["detail"] and "--on-error" not in up.json()["detail"]


def test_a_whole_number_too_large_is_out_of_range(shop, tmp_path):
    sessions = "session_id,page_views\ns1,1e20\ns2,3000000000\ns3,1.5\ns4,4\n"
    res = shop.import_sessions(write(tmp_path, "s.csv", sessions), on_error="skip")
    assert _said(res) == [
        "s.csv:2 page_views='1e20': out of range",
        "s.csv:3 page_views='3000000000': out of range",
        "s.csv:4 page_views='1.5': not a whole number",
    ]
    assert _rows(shop, "SELECT session_id, page_views FROM sessions") == [("s4", 4)]
    orders = f"{OHEAD}\no1,c1,2024-05-01,p1,3000000000,10\no2,c1,2024-05-01,p1,1,10\n"
    res = shop.import_orders(write(tmp_path, "o.csv", orders), on_error="skip")
    assert _said(res) == ["o.csv:2 quantity='3000000000': out of range"]
    assert _rows(shop, "SELECT order_id FROM orders") == [("o2",)]


# -- one person, one id: a Shopify export after the shop's customers file ----------------------
CRM = "customer_id,email,name,created_at,country\nCRM1,anna.jansen@example.com,Anna,2024-01-01,NL\n"


def _order_owners(shop) -> dict[str, str]:  # type: ignore[no-untyped-def]
    rows = shop.sql("SELECT order_id, customer_id FROM orders").itertuples(index=False)
    return {r.order_id: r.customer_id for r in rows}


def test_a_shopify_export_after_the_customers_file_lands_on_the_customer(shop, tmp_path):
    """Anna is CRM1 in the customers file; the Shopify export knows her by e-mail only. Her
    orders (#1001, #1003 in the fixture) are CRM1's, not a second customer's; the other
    buyers, whom the customers file does not have, keep their e-mail keys."""
    from _ingest_data import SHOPIFY

    shop.import_customers(write(tmp_path, "crm.csv", CRM))
    first = shop.import_orders(SHOPIFY)
    owners = _order_owners(shop)
    assert owners["#1001"] == owners["#1003"] == "CRM1"
    anna_key = shop.sql(f"SELECT {email_key_sql(repr('anna.jansen@example.com'))}").iloc[0, 0]
    assert anna_key not in set(owners.values()) and anna_key not in set(
        shop.sql("SELECT customer_id FROM customers")["customer_id"]
    )
    assert first.added["customers"] == 3  # the three buyers the customers file lacks
    assert shop.import_orders(SHOPIFY).added == {}  # the same file again changes nothing


def test_a_shopify_export_before_the_customers_file_moves_to_the_customer(shop, tmp_path):
    """The other order: the export came first, so Anna's orders carried her e-mail key; the
    customers file then brings CRM1 with the same address, and her orders, her customer row
    and its placeholder move to CRM1 — the store the other order makes. The other buyers keep
    their e-mail keys. Re-importing the export is no conflict and moves nothing."""
    from _ingest_data import SHOPIFY

    shop.import_orders(SHOPIFY)
    before = _order_owners(shop)
    anna_key = before["#1001"]
    assert anna_key.startswith("e-") and before["#1003"] == anna_key
    res = shop.import_customers(write(tmp_path, "crm.csv", CRM))
    assert res.notes[0].startswith("1 customer(s) known only by e-mail")
    moved = _order_owners(shop)
    assert moved == {o: "CRM1" if c == anna_key else c for o, c in before.items()}
    assert (
        shop.store.scalar("SELECT count(*) FROM customers WHERE customer_id = ?", [anna_key]) == 0
    )
    assert _rows(
        shop,
        "SELECT name, created_at::DATE::VARCHAR, country FROM customers WHERE customer_id = 'CRM1'",
    ) == [("Anna", "2024-01-01", "NL")]  # the file's
    assert not _rows(shop, f"SELECT * FROM ingest_placeholders WHERE key = '{anna_key}'")
    again = shop.import_orders(SHOPIFY)
    assert again.added == {} and not again.rejects
    assert _order_owners(shop) == moved
    assert shop.import_customers(write(tmp_path, "crm.csv", CRM)).files[0].skipped


def test_a_later_export_is_no_conflict_once_a_second_customer_shares_the_address(shop, tmp_path):
    """Anna's orders went to CRM1; then CRM2 arrives with her address (a shared inbox). The
    next, overlapping export cannot tell whose they are and keeps them on the e-mail's key —
    which is no conflict with the orders stored under CRM1, and moves nothing."""
    from _ingest_data import SHOPIFY

    shop.import_customers(write(tmp_path, "crm.csv", CRM))
    shop.import_orders(SHOPIFY)
    before = _order_owners(shop)
    assert before["#1001"] == "CRM1"
    shop.import_customers(
        write(tmp_path, "crm2.csv", CRM.replace("CRM1", "CRM2").replace("Anna", "Bert"))
    )
    overlapping = tmp_path / "export_2.csv"  # this export plus a new order of Lars's
    data = SHOPIFY.read_bytes()
    last = data.rstrip(b"\r\n").rsplit(b"\r\n", 1)[1]
    overlapping.write_bytes(data + last.replace(b"#1005", b"#1006") + b"\r\n")
    again = shop.import_orders(overlapping)
    assert (again.added["orders"], again.added["order_lines"]) == (1, 1) and not again.rejects
    before["#1006"] = before["#1005"]
    assert _order_owners(shop) == before
