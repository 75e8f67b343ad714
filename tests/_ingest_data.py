"""Small generic-format files shared by the ingest tests (real shapes, few rows)."""
# ruff: noqa: E501  (CSV rows are kept one per line, as in the files they stand for)

from __future__ import annotations

import gzip
from pathlib import Path

DATA = Path(__file__).parent / "data"
SHOPIFY = DATA / "shopify" / "orders_export_1.csv"
GA4 = DATA / "ga4" / "events_20240105.jsonl"
UCI = DATA / "online_shoppers_intention" / "online_shoppers_intention.csv"

CUSTOMERS = """customer_id,email,created_at,country,name,city,birth_year,gender,accepts_marketing
c1, Anna@Example.COM ,2023-01-02,NL,,Utrecht,1985,female,true
c2,bob@example.org,2023-02-03 10:00:00,DE,,Berlin,1990,male,false
c3,,2023-03-04T12:30:00Z,BE,,,,,
"""

ORDERS = """order_id,customer_id,ordered_at,product_id,product_name,category,quantity,unit_price,discount_code
o1,c1,2024-01-05 10:00:00,p1,Mug,kitchen,2,9.50,
o1,c1,2024-01-05 10:00:00,p2,Tea,food,1,4.00,WELCOME10
o2,c2,2024-02-01 08:00:00,p1,Mug,kitchen,1,9.50,
o3,c9,2024-02-03 18:00:00,p3,Towel,textile,3,12.00,
"""

PRODUCTS = """product_id,product_name,category,price
p1,Mug,kitchen,9.50
p2,Tea,food,4.00
"""

TICKETS = """ticket_id,customer_id,created_at,subject,body,channel
t1,c1,2024-01-06 09:00:00,Where is my order?,It has not arrived,email
t2,c2,2024-02-02 11:00:00,Broken mug,,chat
"""

RETURNS = """return_id,order_id,customer_id,product_id,returned_at,quantity,reason
r1,o1,c1,p1,2024-01-20,1,damaged
"""

SESSIONS = """session_id,visitor_id,customer_id,started_at,ended_at,page_views,purchases,landing_page
s1,v1,c1,2024-01-05 09:00:00,2024-01-05 09:20:00,5,1,/
"""

# v1 browses anonymously, then buys as c1 (stitching); a 45-min gap starts a new session
EVENTS = """event_id,visitor_id,customer_id,timestamp,event_name,page,product_id,utm_source,utm_medium,utm_campaign,utm_term,device
e1,v1,,2024-01-05 09:00:00,page_view,/,,google,cpc,mugs,blue mug,mobile
e2,v1,,2024-01-05 09:10:00,view_item,/p/mug,p1,,,,,mobile
e3,v1,c1,2024-01-05 09:29:00,purchase,/thanks,p1,,,,,mobile
e4,v1,,2024-01-05 10:14:00,page_view,/,,newsletter,email,jan,,mobile
e5,v2,,2024-01-05 10:20:00,page_view,/blog,,,,,,desktop
"""

KIND_TEXT = {
    "customers": CUSTOMERS,
    "orders": ORDERS,
    "products": PRODUCTS,
    "tickets": TICKETS,
    "returns": RETURNS,
    "sessions": SESSIONS,
    "events": EVENTS,
}


def write(directory: Path, name: str, text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``directory/name`` (gzip when the name ends in .gz)."""
    path = directory / name
    data = text.encode(encoding)
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return path


def counts(shop, *tables: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Row counts of ``tables`` (all canonical tables when none are named)."""
    from shopperlens.store import CANONICAL_TABLES

    return {t: shop.store.count(t) for t in tables or CANONICAL_TABLES}
