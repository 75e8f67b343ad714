"""Upsell picks come from rules with lift above 1, as the carousels do: three orders of HEAD
with MUG against twenty of MUG alone and twenty of HEAD with SOCK make MUG → HEAD a rule of
lift 0.24 (MUG's buyers take HEAD less often than everyone), which proposed HEAD to a MUG
buyer; and the empty "bought together" list says why."""

from __future__ import annotations

from _ingest_data import write

HEAD = "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"


def _orders(tmp_path):  # type: ignore[no-untyped-def]
    rows = []
    for i in range(3):
        rows += [f"a{i},A{i},2025-01-0{1 + i},HEAD,1,10", f"a{i},A{i},2025-01-0{1 + i},MUG,1,5"]
    rows += [f"b{i},B{i},2025-02-01,MUG,1,5" for i in range(20)]
    for i in range(20):
        rows += [f"c{i},C{i},2025-03-01,HEAD,1,10", f"c{i},C{i},2025-03-01,SOCK,1,3"]
    return write(tmp_path, "o.csv", HEAD + "\n".join(rows) + "\n")


def test_no_pick_from_a_rule_of_lift_below_one(shop, tmp_path):
    shop.import_orders(_orders(tmp_path))
    rules = shop.rules(min_confidence=0.0)
    mug_head = rules[
        (rules.antecedents == frozenset({"MUG"})) & (rules.consequents == frozenset({"HEAD"}))
    ]
    assert len(mug_head) == 1 and float(mug_head.lift.iloc[0]) < 1  # the planted rule exists
    picks = shop.upsell_picks(customer_id="B0")
    assert "HEAD" not in set(picks.get("product_id", [])), picks
    c_picks = shop.upsell_picks(customer_id="A0")  # bought HEAD and MUG: SOCK goes with HEAD
    assert set(c_picks["product_id"]) <= {"SOCK"}


def test_the_empty_together_list_names_the_lift_test(cli, tmp_path):
    assert cli("import", "orders", str(_orders(tmp_path))).exit_code == 0
    res = cli("recommend", "together", "--product", "MUG")
    said = " ".join(res.output.split())
    assert (
        "MUG was not bought together with another product in 3 or more orders and more often"
        in said
    )


def test_a_cancelled_or_refunded_order_owns_nothing(shop, tmp_path):
    """HEAD → SOCK holds in twenty orders (lift about 2, twenty orders of MUG alone beside
    them). D bought HEAD and had SOCK in an order they
    cancelled, E's only order (HEAD) was refunded: D is proposed SOCK, which they never got,
    and E is proposed nothing, owning nothing."""
    head = HEAD.rstrip("\n") + ",status\n"
    rows = [f"c{i},C{i},2025-03-01,{p},1,1,paid" for i in range(20) for p in ("HEAD", "SOCK")]
    rows += [f"m{i},M{i},2025-03-02,MUG,1,5,paid" for i in range(20)]
    rows += ["d1,D,2025-04-01,HEAD,1,10,paid", "d2,D,2025-04-02,SOCK,1,3,cancelled"]
    rows += ["e1,E,2025-04-01,HEAD,1,10,refunded"]
    shop.import_orders(write(tmp_path, "o.csv", head + "\n".join(rows) + "\n"))
    assert list(shop.upsell_picks(customer_id="D").product_id) == ["SOCK"]
    assert shop.upsell_picks(customer_id="E").empty


def test_one_customer_and_every_customer_get_the_same_picks(shop, tmp_path):
    """E's only order (HEAD) was refunded, but E viewed HEAD: asked alone or among everyone,
    E is proposed SOCK (HEAD → SOCK, lift about 2)."""
    head = HEAD.rstrip("\n") + ",status\n"
    rows = [f"c{i},C{i},2025-03-01,{p},1,1,paid" for i in range(20) for p in ("HEAD", "SOCK")]
    rows += [f"m{i},M{i},2025-03-02,MUG,1,5,paid" for i in range(20)]
    rows += ["e1,E,2025-04-01,HEAD,1,10,refunded"]
    shop.import_orders(write(tmp_path, "o.csv", head + "\n".join(rows) + "\n"))
    views = "event_id,visitor_id,customer_id,timestamp,event_name,product_id\n"
    views += "v1,vE,E,2025-04-02 10:00:00,view_item,HEAD\n"
    shop.import_events(write(tmp_path, "e.csv", views))
    alone = shop.upsell_picks(customer_id="E")
    among = shop.upsell_picks()
    assert list(alone.product_id) == ["SOCK"]
    assert list(among[among.customer_id == "E"].product_id) == ["SOCK"]
