"""Marketing consent: one rule everywhere, and an orders file's newer "no" withdraws a "yes".

c1 said yes when they signed up (customers file) and no at a later checkout (orders file);
c2 said no, then yes at checkout; c3 withdrew in the preference centre after their last order
(a consent record newer than the orders file) and stays withdrawn; c4 never changed.
"""

from __future__ import annotations

from datetime import datetime

from _ingest_data import write
from shopperlens.service import consent, playbooks, survey_delivery

CUSTOMERS = """customer_id,email,created_at,accepts_marketing
c1,a@example.org,2024-01-01,true
c2,b@example.org,2024-01-01,false
c3,c@example.org,2024-01-01,true
c4,d@example.org,2024-01-01,true
"""

ORDERS = """order_id,customer_id,ordered_at,product_id,quantity,unit_price,accepts_marketing
o1,c1,2024-02-01,p1,1,10,true
o2,c1,2024-03-01,p1,1,10,false
o3,c2,2024-03-01,p1,1,10,yes
o4,c3,2024-03-01,p1,1,10,true
o5,c4,2024-03-01,p1,1,10,true
"""


def _shop(shop, tmp_path):  # type: ignore[no-untyped-def]
    shop.import_customers(write(tmp_path, "c.csv", CUSTOMERS))
    shop.store.execute(
        "INSERT INTO consents VALUES ('c3', 'marketing', false, ?, 'preference centre')",
        [datetime(2024, 4, 1)],
    )
    return shop.import_orders(write(tmp_path, "o.csv", ORDERS))


def test_an_orders_file_records_the_consent_it_changes(shop, tmp_path):
    res = _shop(shop, tmp_path)
    assert res.added.get("consents") == 2
    rows = shop.store.execute(
        "SELECT customer_id, granted, recorded_at, source FROM consents "
        "WHERE source LIKE 'orders%' ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("c1", False, datetime(2024, 3, 1), "orders: o.csv"),
        ("c2", True, datetime(2024, 3, 1), "orders: o.csv"),
    ]
    assert consent.allowed(store=shop.store) == {"c2", "c4"}
    # the same orders in another file change nothing more
    again = shop.import_orders(write(tmp_path, "o2.csv", ORDERS + "\n"))
    assert "consents" not in again.added


def test_every_mailing_and_audience_follows_the_same_rule(shop, tmp_path):
    _shop(shop, tmp_path)
    assert survey_delivery.consenting(store=shop.store) == {"c2", "c4"}
    aud = playbooks.audience_customers(store=shop.store).set_index("customer_id")
    assert set(aud.index[aud.marketing_consent]) == {"c2", "c4"}


def test_referral_candidates_follow_the_same_rule(shop, tmp_path):
    import pandas as pd

    _shop(shop, tmp_path)
    loyal = pd.DataFrame({"customer_id": ["c1", "c2", "c3", "c4"], "type": ["loyal"] * 4})
    report = playbooks.retention_report(store=shop.store, types=loyal)
    assert set(report["referral"].customer_id) == {"c2", "c4"}


def test_an_older_orders_file_imported_late_is_no_newer_word(shop, tmp_path):
    head = "order_id,customer_id,ordered_at,product_id,quantity,unit_price,accepts_marketing\n"
    shop.import_orders(write(tmp_path, "new.csv", head + "n1,k1,2024-05-01,p1,1,10,true\n"))
    shop.import_orders(write(tmp_path, "old.csv", head + "m1,k1,2024-01-01,p1,1,10,false\n"))
    shop.import_customers(
        write(tmp_path, "c.csv", "customer_id,created_at,accepts_marketing\nk2,2024-06-01,true\n")
    )
    shop.import_orders(write(tmp_path, "guest.csv", head + "g1,k2,2024-01-15,p1,1,10,false\n"))
    assert shop.store.execute("SELECT count(*) FROM consents").fetchone()[0] == 0
    assert consent.allowed(store=shop.store) == {"k1", "k2"}
