"""The revenue at stake is what an action could win, and a type's total counts it once.

Each test plants a shop's evidence with round numbers and works the estimate out by hand from
them and the assumptions the basis states: a cart recovery rate of 10 %, a lead conversion of
5 %, 2 % more new customers ordering again after a follow-up, 5 % of referral candidates whose
referral ends in an order, 5 % of case-study candidates whose story wins a sale and 2 % of
impulse buyers a limited-time offer brings to an extra order.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import pytest

from _ingest_data import write
from shopperlens.playbooks import generator
from shopperlens.reports import site

AOV = 80.0
#: people of each type: 12 need-based, 40 lookers, 30 new, 20 loyal, 25 impulse
SIZES = {"need_based": 12, "looker": 40, "new": 30, "loyal": 20, "impulse": 25}


def _visitors() -> pd.DataFrame:
    rows = [
        {"customer_id": None if t == "looker" else f"{t}{i}", "visitor_id": f"v-{t}{i}",
         "type": t}
        for t, n in SIZES.items() for i in range(n)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def _carts(looker_value: float = 50.0) -> pd.DataFrame:
    """10 lookers' carts worth ``looker_value`` each, 2 need-based carts of EUR 40 and 4 new
    customers' carts of EUR 30."""
    rows = (
        [{"customer_id": None, "visitor_id": f"v-looker{i}", "type": "looker",
          "cart_value": looker_value} for i in range(10)]
        + [{"customer_id": f"need_based{i}", "visitor_id": f"v-need_based{i}",
            "type": "need_based", "cart_value": 40.0} for i in range(2)]
        + [{"customer_id": f"new{i}", "visitor_id": f"v-new{i}", "type": "new",
            "cart_value": 30.0} for i in range(4)]
    )  # fmt: skip
    return pd.DataFrame(rows)


def _looker_funnel() -> pd.DataFrame:
    """100 looker sessions: 40 reach the cart (60 % drop), 10 the checkout (75 % drop, the
    worst before purchase), none buys."""
    return pd.DataFrame(
        {"type": "looker", "step": ["view", "cart", "checkout", "purchase"],
         "sessions": [100, 40, 10, 0], "rate_from_prev": [1.0, 0.4, 0.25, 0.0],
         "drop_off": [0.0, 0.6, 0.75, 1.0]}
    )  # fmt: skip


def _evidence(
    *, looker_value: float = 50.0, repeat_rate: float = 0.4, discount_share: float = 0.8
) -> generator.Evidence:
    visitors = _visitors()
    customers = visitors.dropna(subset=["customer_id"]).assign(orders=2, revenue=500.0)
    loyal = customers[customers.type == "loyal"]
    return generator.Evidence(
        customers=customers[["customer_id", "type", "orders", "revenue"]],
        visitors=visitors,
        aov=AOV,
        funnel=_looker_funnel(),
        abandoned=_carts(looker_value),
        keywords=pd.DataFrame(),
        sources=pd.DataFrame(),
        repeat_rate=repeat_rate,
        case_study=loyal.head(10)[["customer_id"]],  # 10 gave case-study consent
        referral=loyal[["customer_id"]],  # all 20 may be e-mailed a referral offer
        offers=pd.DataFrame(
            {
                "type": ["impulse"],
                "orders": [50],
                "discount_share": [discount_share],
                "revenue": [4000.0],
            }
        ),
    )


def _by(actions: list[generator.Action]) -> dict[tuple[str, int], generator.Action]:
    return {(a.type, a.number): a for a in actions}


def test_lookers_total_counts_their_abandoned_carts_once() -> None:
    """Lookers: capture 40 × 5 % × EUR 80 = 160; the experience 10 carts × 80 × 75 % × 10 %
    = 60 and the campaigns EUR 500 × 10 % = 50 rest on the same 10 carts, so the total is
    160 + 60 = 220, not 270. Worth EUR 100 each, the campaigns' 100 is the larger: 260."""
    actions = generator.build_playbook(_evidence(), ("looker",))
    by = _by(actions)
    assert by[("looker", 1)].priority == pytest.approx(160.0)
    assert by[("looker", 2)].priority == pytest.approx(60.0)
    assert by[("looker", 3)].priority == pytest.approx(50.0)
    assert generator.at_stake(actions) == pytest.approx(220.0)
    dearer = generator.build_playbook(_evidence(looker_value=100.0), ("looker",))
    assert _by(dearer)[("looker", 3)].priority == pytest.approx(100.0)
    assert generator.at_stake(dearer) == pytest.approx(260.0)


def test_each_types_carts_are_their_own() -> None:
    """The need-based (2 × EUR 40 × 10 % = 8) and new customers' carts (4 × EUR 30 × 10 % =
    12) are other carts than the lookers': all three count beside the lookers' 220, and the
    new customers' follow-up (30 × 2 % × 80 = 48) beside their carts: 8 + 220 + 12 + 48."""
    actions = generator.build_playbook(_evidence(), ("need_based", "looker", "new"))
    by = _by(actions)
    assert by[("need_based", 1)].priority == pytest.approx(8.0)
    assert by[("new", 1)].priority == pytest.approx(12.0)
    assert generator.at_stake(actions) == pytest.approx(8.0 + 220.0 + 12.0 + 48.0)


def test_the_page_says_which_actions_share_the_carts() -> None:
    """The sentence beside a total that counts carts once names the actions; a type with a
    single cart estimate (new customers) has none."""
    actions = generator.build_playbook(_evidence(), ("looker", "new"))
    lookers = [a for a in actions if a.type == "looker"]
    new = [a for a in actions if a.type == "new"]
    assert generator.shared_texts(lookers) == [
        "Actions 2 and 3 rest on the same abandoned carts: the total counts them once, at the "
        "larger figure."
    ]
    assert generator.shared_texts(new) == []
    assert [a.number for a in lookers if a.shared_base] == [2, 3]


def test_follow_up_wins_extra_repeat_buyers_not_todays() -> None:
    """New customers: 30 × 2 % × EUR 80 = 48, whatever today's repeat rate (20 % or 60 %);
    the old figure, 30 × 80 × 40 % = 960, was the repeat orders the shop gets anyway."""
    for rate in (0.2, 0.4, 0.6):
        follow = _by(generator.build_playbook(_evidence(repeat_rate=rate), ("new",)))[("new", 4)]
        assert follow.priority == pytest.approx(48.0), rate
        assert "2% more who order again" in follow.basis
        assert follow.evidence[0].startswith(generator.REPEAT_LABEL + ": ")


def test_follow_up_cannot_win_more_than_those_not_ordering_again() -> None:
    """With 99 % already ordering again only 1 % is left to win (30 × 1 % × 80 = 24); with
    everyone ordering again there is nothing to win and no money estimate."""
    almost = _by(generator.build_playbook(_evidence(repeat_rate=0.99), ("new",)))[("new", 4)]
    assert almost.priority == pytest.approx(24.0)
    assert "1% more who order again" in almost.basis
    everyone = _by(generator.build_playbook(_evidence(repeat_rate=1.0), ("new",)))[("new", 4)]
    assert everyone.priority is None


def test_referrals_and_case_studies_count_the_share_that_brings_an_order() -> None:
    """20 referral candidates × 5 % × EUR 80 = 80 (not 20 orders, 1,600); 10 case-study
    candidates × 5 % × 80 = 40 (not 800)."""
    by = _by(generator.build_playbook(_evidence(), ("loyal",)))
    referral, case = by[("loyal", 4)], by[("loyal", 1)]
    assert referral.priority == pytest.approx(80.0)
    assert "5% whose referral ends in a friend's order" in referral.basis
    assert case.priority == pytest.approx(40.0)
    assert "5% whose case study wins one new sale" in case.basis


def test_urgency_counts_extra_orders_not_the_revenue_on_codes() -> None:
    """25 impulse buyers × 2 % × EUR 80 = 40, whether 80 % or 20 % of their orders use a
    code today: the orders on codes are revenue the shop makes already (the old figure,
    25 × 80 × 80 % = 1,600, moved with it)."""
    for share in (0.8, 0.2):
        ev = _evidence(discount_share=share)
        urgency = _by(generator.build_playbook(ev, ("impulse",)))[("impulse", 1)]
        assert urgency.priority == pytest.approx(40.0), share
        assert "2% a limited-time offer brings to an order they would not have placed" in (
            urgency.basis
        )


def test_a_new_field_keeps_actions_serialisable() -> None:
    """``shared_base`` travels with the action: in its dict and in the playbook's JSON."""
    from shopperlens.service.playbooks import Playbook

    actions = generator.build_playbook(_evidence(), ("looker",))
    assert actions[2].as_dict()["shared_base"] == "abandoned carts"
    dumped = Playbook(currency="EUR", actions=actions).model_dump(mode="json")
    assert [a["shared_base"] for a in dumped["actions"]] == [
        None,
        "abandoned carts",
        "abandoned carts",
    ]


# -- the report page --------------------------------------------------------------------------
ORDERS = (
    "order_id,customer_id,email,ordered_at,product_id,quantity,unit_price,category,currency\n"
    "o1,c1,c1@example.org,2024-03-01,P1,1,20.0,tents,EUR\n"
    "o2,c1,c1@example.org,2024-03-20,P2,1,10.0,tents,EUR\n"
    "o3,c1,c1@example.org,2024-04-01,P3,1,20.0,tents,EUR\n"
    "o4,c2,c2@example.org,2024-01-05,P1,1,20.0,tents,EUR\n"
    "o5,c3,c3@example.org,2024-04-02,P2,1,50.0,tents,EUR\n"
)  # five orders, EUR 120: the average order is EUR 24


def _lookers_events() -> str:
    """Six anonymous visitors come twice and view two products; on the second visit three of
    them (v0, v2, v4) put a EUR 300 product in the cart. Nobody buys: 12 sessions, 3 reach the
    cart, none the checkout."""
    out = (
        "event_id,visitor_id,session_id,customer_id,timestamp,event_name,page,product_id,"
        "utm_source,utm_medium,value\n"
    )
    k = 0
    for v in range(6):
        for visit in range(2):
            t = pd.Timestamp("2024-03-01") + pd.Timedelta(days=v + 3 * visit)
            steps = [("view_item", "/p1", "P1"), ("view_item", "/p2", "P2")]
            if v % 2 == 0 and visit == 1:
                steps.append(("add_to_cart", "/cart", "P9"))
            for m, (name, page, product) in enumerate(steps):
                k += 1
                value = "300" if name == "add_to_cart" else ""
                out += (
                    f"e{k},v{v},s{v}-{visit},,{t + pd.Timedelta(minutes=m):%Y-%m-%d %H:%M:%S},"
                    f"{name},{page},{product},,,{value}\n"
                )
    return out


def test_looker_page_total_counts_the_carts_once(shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Six lookers, an average order of EUR 24: capture 6 × 5 % × 24 = 7.20; the three carts
    (EUR 900) are the base of the experience (3 × 24 × 100 % drop before checkout × 10 % =
    7.20) and of the campaigns (900 × 10 % = 90). The page's total is 7.20 + 90 = EUR 97
    (not 104), and says the two share the carts."""
    shop.import_orders(write(tmp_path, "orders.csv", ORDERS))
    shop.import_events(write(tmp_path, "events.csv", _lookers_events()))
    page = site.find("playbook-looker")
    assert page is not None
    ctx = page.build(shop.store, None)
    assert ctx is not None
    stakes = {a["number"]: a["priority"] for a in ctx["actions"]}
    assert stakes == pytest.approx({1: 7.2, 2: 7.2, 3: 90.0})
    text = " ".join(html.unescape(site.render(page, ctx, [])).split())
    said = (
        "Total: <strong>EUR 97</strong>. Actions 2 and 3 rest on the same abandoned carts: the "
        "total counts them once, at the larger figure."
    )
    assert said in text, text[text.find("What to do") :][:600]
