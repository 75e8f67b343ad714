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


def test_days_since_last_order_counts_to_the_types_as_of_date(shop, tmp_path):
    """The types run is as of the day after the newest data (2024-06-11), so a last order at
    2023-12-13 16:00 is 180.3 days back: lapsing, "no order for 181 days". Counted from the
    newest order (2024-06-10 15:00) and rounded down it was 179, and the segment the loyal
    playbook names left her out."""
    rows = [f"L{m},LOY1,2023-{m:02d}-13 16:00:00,P1,1,40" for m in range(6, 13)]
    rows += [f"S{m},STAY,2024-{m:02d}-05 10:00:00,P1,1,40" for m in range(1, 7)]
    rows += ["N1,NEW1,2024-06-10 15:00:00,P2,1,20"]
    shop.import_orders(write(tmp_path, "o.csv", HEAD + "\n".join(rows) + "\n"))
    types = shop.types()
    assert str(types.attrs["as_of"])[:10] == "2024-06-11"
    loy = types.set_index("customer_id").loc["LOY1"]
    assert loy.type == "loyal" and "no order for 181 days" in loy.evidence
    segment = "type == 'loyal' and days_since_last_order > 180"
    chosen = shop.audience(segment=segment)
    assert list(chosen.customer_id) == ["LOY1"]
    picked = playbooks.audience_customers(store=shop.store, segment=segment)
    assert picked.days_since_last_order.tolist() == [181]
    pb = playbooks.playbook(store=shop.store, type="loyal")
    said = " ".join(str(e) for a in pb.actions for e in a.evidence)
    assert "1 loyal customer bought nothing for over 180 days" in said


def test_the_lapsing_count_reads_the_shop_s_lapsed_days(shop, tmp_path):
    """With ``lapsed_days: 60`` in the shop's types config, a loyal customer quiet for about
    100 days is lapsing in ``types moves`` and in the playbook (which read the defaults' 180
    and named nobody)."""
    from shopperlens.types import load_config

    rows = [f"L{m},LOY1,2024-{m:02d}-05,P1,1,40" for m in range(1, 7)]  # monthly until June
    rows += [f"S{m},STAY,2024-{m:02d}-05,P1,1,40" for m in range(4, 10)]  # until September
    rows += ["N1,NEW1,2024-09-14,P2,1,20"]
    shop.import_orders(write(tmp_path, "o.csv", HEAD + "\n".join(rows) + "\n"))
    config = load_config(windows={"lapsed_days": 60})
    pb = playbooks.playbook(store=shop.store, type="loyal", config=config)
    said = " ".join(str(e) for a in pb.actions for e in a.evidence)
    assert "1 loyal customer bought nothing for over 60 days" in said, said
