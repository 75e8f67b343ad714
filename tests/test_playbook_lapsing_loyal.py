"""A loyal customer who stopped buying is named by the loyal playbook even without CLV figures
(a small shop: "nobody can be flagged at risk" while ``types moves`` showed loyal → lapsed),
with the segment that selects exactly them."""

from __future__ import annotations

from _ingest_data import write
from shopperlens.service import playbooks

HEAD = "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"


def test_a_lapsing_loyal_customer_is_named_with_its_segment(shop, tmp_path):
    rows = [f"L{m},LOY1,2024-{m:02d}-05,P1,1,40" for m in range(6, 13)]  # monthly, then gone
    rows += [f"S{m},STAY,2025-{m:02d}-05,P1,1,40" for m in range(1, 7)]  # monthly, still buying
    rows += [f"N{i},NEW{i},2025-06-2{i},P2,1,20" for i in range(3)]
    shop.import_orders(write(tmp_path, "o.csv", HEAD + "\n".join(rows) + "\n"))
    pb = playbooks.playbook(store=shop.store, type="loyal")
    (service,) = [a for a in pb.actions if a.number == 3]
    said = " ".join(str(e) for e in service.evidence)
    segment = "type == 'loyal' and days_since_last_order > 180"
    assert f"1 loyal customer bought nothing for over 180 days (lapsing: `{segment}`)" in said
    assert "nobody can be flagged at risk: no CLV figures" in said
    chosen = shop.audience(segment=segment)
    assert list(chosen.customer_id) == ["LOY1"]
