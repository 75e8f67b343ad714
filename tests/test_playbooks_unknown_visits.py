"""Visit-based figures about buyers whose visits the imported visit data do not hold.

A shop may import its orders and a few events that belong to none of its buyers. Whether
visit data are imported says nothing about a given buyer's visits: their campaigns and open
carts are then unknown ("–", with a note saying why), not a measured 0; with some of them on
record, the figure is over those and says over how many. And a funnel rate after a step no
session reached is unknown, not 0.

The stores are planted with the CSV helpers of ``test_partial_data``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from shopperlens.playbooks import checkout, support
from shopperlens.service import playbooks as svc
from test_partial_data import imported, lookers_csv, orders_csv, page

EVENTS = "event_id,visitor_id,session_id,customer_id,timestamp,event_name,product_id,utm_campaign\n"
#: four buyers, one order each, in early March
ORDERS = [
    ("o1", "c1", "2025-03-01", "P1", 20.0),
    ("o2", "c2", "2025-03-02", "P1", 30.0),
    ("o3", "c3", "2025-03-03", "P2", 40.0),
    ("o4", "c4", "2025-03-04", "P2", 50.0),
]
NOT_ON_RECORD = "none of their visits are in the imported visit data"


def _events(rows: list[tuple[str, str, str, str, str, str]]) -> str:
    """One line per ``(visitor, customer, timestamp, event, product, campaign)``; each
    visitor's events are one session."""
    return EVENTS + "".join(
        f"e{k},{v},s-{v},{c},{at},{name},{product},{campaign}\n"
        for k, (v, c, at, name, product, campaign) in enumerate(rows)
    )


def _offers_table(html: str) -> list[list[str]]:
    """The cells of the "Response to discount codes and campaigns" rows."""
    table = html.split("Response to discount codes and campaigns")[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)[1:]
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td.*?</td>", r)] for r in rows
    ]


# -- campaigns --------------------------------------------------------------------------------
def test_campaign_share_is_unknown_when_no_buyer_visit_is_on_record(shop, tmp_path: Path) -> None:
    """Orders, and anonymous lookers' events: no buyer's campaign is known."""
    imported(shop, tmp_path, orders=orders_csv(ORDERS), events=lookers_csv(4))
    offers = svc.support_report(store=shop.store)["offers"]
    assert len(offers) and offers.campaign_share.isna().all(), offers
    html = page(shop.store, "playbook-impulse")
    assert html is not None
    rows = _offers_table(html)
    assert rows and all(r[3] == "–" for r in rows), rows  # from a campaign: unknown
    assert "none of these customers' visits are in the imported visit data" in html


def _four_new() -> pd.DataFrame:
    """Types saying c1..c4 are new customers."""
    return pd.DataFrame(
        {"customer_id": ["c1", "c2", "c3", "c4"], "visitor_id": [None] * 4, "type": ["new"] * 4}
    )


def test_campaign_share_is_over_the_buyers_with_visits(shop, tmp_path: Path) -> None:
    """c1 bought from a campaign visit, c2 from a visit without one; c3 and c4 have no visit
    on record: one of the two orders whose buyers' visits are known, not one of four."""
    events = _events([
        ("v1", "c1", "2025-03-01 00:00:00", "purchase", "P1", "spring"),
        ("v2", "c2", "2025-03-02 00:00:00", "purchase", "P1", ""),
    ])  # fmt: skip
    imported(shop, tmp_path, orders=orders_csv(ORDERS), events=events)
    types = _four_new()
    row = svc.support_report(store=shop.store, types=types)["offers"].set_index("type").loc["new"]
    assert (row.orders, row.campaign_orders) == (4, 2)
    assert row.campaign_share == 0.5
    html = page(shop.store, "playbook-impulse")  # typed by the rules: four first orders
    assert html is not None
    assert ["New", "4", "0 %", "50 % of 2", "EUR 140"] in _offers_table(html)
    assert "a share of the N orders whose buyers' visits are in the imported" in html


def test_offer_response_without_visit_flags_counts_every_order() -> None:
    """The pure table: ``visited`` marks the orders whose campaign can be known; without a
    ``campaign`` column none can."""
    types = pd.DataFrame({"customer_id": ["a", "b"], "type": ["impulse", "loyal"]})
    orders = pd.DataFrame(
        {
            "order_id": ["1", "2", "3"],
            "customer_id": ["a", "a", "b"],
            "value": [10.0, 20.0, 30.0],
            "discount_code": [None, "X", None],
            "campaign": ["spring", None, None],
            "visited": [True, True, False],
        }
    )
    out = support.offer_response(orders, types).set_index("type")
    assert out.campaign_share["impulse"] == 0.5 and out.campaign_orders["impulse"] == 2
    assert np.isnan(out.campaign_share["loyal"]) and out.campaign_orders["loyal"] == 0
    blind = support.offer_response(orders.drop(columns=["campaign", "visited"]), types)
    assert blind.campaign_share.isna().all()


# -- open carts -------------------------------------------------------------------------------
def test_new_customers_open_carts_are_unknown_without_their_visits(shop, tmp_path: Path) -> None:
    imported(shop, tmp_path, orders=orders_csv(ORDERS), events=lookers_csv(2))
    types = pd.DataFrame(
        {"customer_id": ["c1", "c2", None], "visitor_id": [None, None, "v0"],
         "type": ["new", "new", "looker"]}
    )  # fmt: skip
    pb = svc.playbook(store=shop.store, types=types, type="new")
    lines = [e for a in pb.actions for e in a.evidence]
    assert f"new customers' open carts unknown: {NOT_ON_RECORD}" in lines, lines
    assert not any("new customers left a cart open" in e for e in lines), lines


def test_open_carts_are_counted_over_the_customers_with_visits(shop, tmp_path: Path) -> None:
    """c1 and c3 left a cart after their order, c4 visited without one, c2 has no visit."""
    events = _events([
        ("v1", "c1", "2025-03-10 10:00:00", "add_to_cart", "P2", ""),
        ("v3", "c3", "2025-03-10 11:00:00", "add_to_cart", "P1", ""),
        ("v4", "c4", "2025-03-10 12:00:00", "view_item", "P1", ""),
    ])  # fmt: skip
    imported(shop, tmp_path, orders=orders_csv(ORDERS), events=events)
    types = _four_new()
    pb = svc.playbook(store=shop.store, types=types, type="new")
    lines = [e for a in pb.actions for e in a.evidence]
    want = "2 new customers left a cart open after their last order (of the 3 whose visits are "
    assert want + "on record)" in lines, lines


# -- funnel -----------------------------------------------------------------------------------
def test_a_rate_after_a_step_nobody_reached_is_unknown() -> None:
    steps = pd.DataFrame(
        {
            "session_id": ["a1", "a2", "b1"],
            "source": ["ads", "ads", "search"],
            "view": [False, False, True],
            "cart": [False, False, True],
            "checkout": [False, False, False],
            "purchase": [False, False, False],
        }
    )
    f = checkout.funnel(steps, by="source").set_index(["source", "step"])
    ads = f.loc["ads"]
    assert (ads.rate_from_prev["view"], ads.drop_off["view"]) == (0.0, 1.0)  # 0 of 2: measured
    for step in ("cart", "checkout", "purchase"):
        assert np.isnan(ads.rate_from_prev[step]) and np.isnan(ads.drop_off[step]), step
    search = f.loc["search"]
    assert search.rate_from_prev["checkout"] == 0.0 and search.drop_off["checkout"] == 1.0
    assert np.isnan(search.rate_from_prev["purchase"])  # after checkout's 0


def test_funnel_faces_show_the_unknown_rate_as_missing(shop, cli, tmp_path: Path) -> None:
    """Visitors who only open pages reach no product view: the later rates are null in the
    JSON. Lookers who view but never cart: "–" after the cart step on the report page, and
    the playbook still names the drop-off it measured."""
    rows = [(f"v{k}", "", f"2025-03-0{k + 1} 10:00:00", "page_view", "", "") for k in range(3)]
    path = tmp_path / "events.csv"
    path.write_text(_events(rows))
    assert cli("import", "events", str(path)).exit_code == 0
    out = cli("funnel", "--by", "none", "--json")
    assert out.exit_code == 0, out.output
    shown = {r["step"]: r for r in json.loads(out.output)}
    assert shown["view"]["sessions"] == 0 and shown["view"]["drop_off"] == 1.0
    assert all(shown[s]["rate_from_prev"] is None for s in ("cart", "checkout", "purchase"))
    assert all(shown[s]["drop_off"] is None for s in ("cart", "checkout", "purchase"))
    table = cli("funnel", "--by", "none")
    assert "nan" not in table.output and "–" in table.output  # the CLI table says unknown too

    browsing = "".join(line + "\n" for line in lookers_csv(6).splitlines()
                       if ",add_to_cart," not in line)  # fmt: skip
    imported(shop, tmp_path, events=browsing)
    html = page(shop.store, "playbook-looker")
    assert html is not None
    funnel = html.split("Funnel of this type")[1].split("</table>")[0]

    def cells(step: str) -> list[str]:
        row = re.findall(rf"<tr><td>{step}</td>(.*?)</tr>", funnel, flags=re.S)[0]
        return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td.*?</td>", row)]

    assert cells("cart") == ["0", "0.0 %", "100.0 %"]  # 0 of 12 sessions: measured
    assert cells("checkout") == ["0", "–", "–"]
    md = svc.playbook(store=shop.store, type="looker").markdown()
    assert "largest drop-off: 12 of 12 sessions lost before cart" in md
