"""Events naming customers by the shop's ids, orders knowing them only by e-mail (an orders
export without customer ids, imported before the customers file): the two never met, each
buyer was typed twice (a looker by the visits, a buyer without visits by the orders), and no
import said so."""

from __future__ import annotations

from pathlib import Path

import shopperlens

ORDERS = """order_id,customer_id,email,ordered_at,product_id,quantity,unit_price
o1,,Ann@Example.org,2025-03-01 10:05,P1,1,20
o2,,bob@example.org,2025-03-02 11:05,P2,1,30
"""
EVENTS = """event_id,session_id,visitor_id,customer_id,timestamp,event_name
e1,s1,v1,CRM1,2025-03-01 10:00,page_view
e2,s2,v2,CRM2,2025-03-02 11:00,page_view
"""
CUSTOMERS = """customer_id,email,created_at
CRM1,ann@example.org,2025-01-01
CRM2,bob@example.org,2025-01-01
"""


def _files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, text in (("orders", ORDERS), ("events", EVENTS), ("customers", CUSTOMERS)):
        out[name] = tmp_path / f"{name}.csv"
        out[name].write_text(text)
    return out


def test_orders_by_e_mail_and_events_by_id_are_named_on_import(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = _files(tmp_path)
    assert cli("import", "orders", str(f["orders"])).exit_code == 0
    res = cli("import", "events", str(f["events"]))
    assert res.exit_code == 0
    text = " ".join(res.output.split())
    assert (
        "note: 2 customer id(s) in the events name no stored customer, while 2 customer(s)" in text
    )
    assert (
        "Import the shop's customers file (customer id and e-mail): it moves those orders to "
        "the shop's ids." in text
    )


def test_no_note_when_the_customers_file_came_first(tmp_path: Path) -> None:
    f = _files(tmp_path)
    shop = shopperlens.open(tmp_path / "shop.duckdb")
    shop.import_customers(f["customers"])
    shop.import_orders(f["orders"])
    result = shop.import_events(f["events"])
    assert result.notes == []
    assert shop.store.scalar("SELECT count(*) FROM orders WHERE customer_id LIKE 'e-%'") == 0
    shop.close()


def test_the_python_api_carries_the_note(tmp_path: Path) -> None:
    f = _files(tmp_path)
    shop = shopperlens.open(tmp_path / "shop.duckdb")
    shop.import_orders(f["orders"])
    assert shop.import_orders(f["orders"]).notes == []  # no events yet: nothing to meet
    result = shop.import_events(f["events"])
    assert len(result.notes) == 1 and result.notes[0].startswith("2 customer id(s)")
    shop.close()
