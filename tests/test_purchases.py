"""A cancelled, refunded or failed order is no purchase anywhere orders are counted: survey
targeting by orders, interview recruitment by revenue (as in CLV, playbooks and the overview).

c1 placed three orders, two of them cancelled or refunded; c2 placed two real ones.
"""

from __future__ import annotations

from _ingest_data import write
from shopperlens.service import interviews, survey_delivery

ORDERS = """order_id,customer_id,email,ordered_at,product_id,quantity,unit_price,status
o1,c1,a@example.org,2024-01-01,p1,1,500,cancelled
o2,c1,a@example.org,2024-02-01,p1,1,500,Refunded
o3,c1,a@example.org,2024-03-01,p1,1,10,paid
o4,c2,b@example.org,2024-01-01,p1,1,100,paid
o5,c2,b@example.org,2024-02-01,p1,1,100,
"""


def test_survey_targeting_counts_real_orders(shop, tmp_path):
    shop.import_orders(write(tmp_path, "o.csv", ORDERS))
    people = survey_delivery.target(
        store=shop.store, audience=survey_delivery.Audience(min_orders=2)
    )
    assert set(people.customer_id) == {"c2"}


def test_interview_recruits_rank_by_real_revenue(shop, tmp_path):
    shop.import_orders(write(tmp_path, "o.csv", ORDERS))
    picked = interviews.recruit(store=shop.store, n=1, best_by="revenue", prospects=0)
    best = picked[picked.segment == "best"]
    assert list(best.customer_id) == ["c2"]
