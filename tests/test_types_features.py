"""Behavioural features on a hand-built shop: each value checked against the story told."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

from _types_shopkit import T0, ShopKit
from shopperlens.features import FEATURE_COLUMNS, behaviour_features, by_subject, session_table
from shopperlens.store import Store


def small_shop() -> ShopKit:
    """c1: two search-led purchases 30 days apart (one discounted) and a ticket; v9 browses."""
    kit = ShopKit().customer("c1", "v1")
    kit.visit("v1", 0, medium="organic", term="trail running shoe", views=("p1",), cart=("p1",),
              buy=("p1",), minutes=6)  # fmt: skip
    kit.order("c1", 0, ("p1", "p2"))
    kit.visit("v1", 30, medium="cpc", term="how to choose socks", pages=3, views=("p2", "p5", "p4"),
              cart=("p2",), buy=("p2",), minutes=12)  # fmt: skip
    o2 = kit.order("c1", 30, ("p3",), discount="X10")
    kit.visit("v1", 45, medium="email", campaign="spring", pages=2, cart=("p4",))
    kit.ticket("c1", 31).give_back("c1", o2, 40)
    kit.visit("v9", 3, pages=4, views=("p1", "p3", "p4"), minutes=30)
    return kit


@pytest.fixture
def feats(store: Store) -> pd.DataFrame:
    small_shop().write(store)
    return (
        behaviour_features(store, as_of=T0 + timedelta(days=60)).execute().set_index("subject_id")
    )


def test_one_row_per_subject_with_every_column(feats: pd.DataFrame) -> None:
    assert list(feats.index) == ["c1", "visitor:v9"]
    assert set(FEATURE_COLUMNS) <= set(feats.columns)
    assert feats.at["c1", "visitor_id"] == "v1"
    assert pd.isna(feats.at["visitor:v9", "customer_id"])


def test_visit_features(feats: pd.DataFrame) -> None:
    c = feats.loc["c1"]
    assert c["visits"] == 3
    assert c["pages"] == 1 + 3 + 2
    assert c["product_views_per_visit"] == pytest.approx(4 / 3)
    assert c["search_visit_share"] == pytest.approx(2 / 3)
    assert c["campaign_visit_share"] == pytest.approx(1 / 3)
    assert (c["cart_visits"], c["abandoned_carts"], c["purchase_visits"]) == (3, 1, 2)
    assert c["focused_purchases"] == 1  # the second buying visit viewed 3 products
    assert c["avg_visit_minutes"] == pytest.approx((6 + 12 + 5) / 3)
    assert feats.at["visitor:v9", "avg_visit_minutes"] == pytest.approx(30)


def test_search_term_features(feats: pd.DataFrame) -> None:
    c = feats.loc["c1"]
    assert c["search_terms"] == 2
    assert c["product_terms"] == 1  # "how to choose socks" is informational
    assert (c["searched_purchases"], c["search_matched_purchases"]) == (1, 1)


def test_order_features(feats: pd.DataFrame) -> None:
    c = feats.loc["c1"]
    assert c["orders"] == 2
    assert c["monetary"] == pytest.approx(120 + 15 + 180)
    assert c["items_per_order"] == pytest.approx(1.5)
    assert c["categories_per_order"] == pytest.approx(1.5)
    assert c["categories"] == 3
    assert c["discount_order_share"] == pytest.approx(0.5)
    assert c["mean_gap_days"] == pytest.approx(30)
    assert pd.isna(c["gap_cv"])  # one gap has no spread
    assert c["recency_days"] == pytest.approx(30 - 1 / 24)
    assert c["tenure_days"] == pytest.approx(60 - 1 / 24)
    assert c["new_category"] == "jackets"
    assert c["days_since_new_category"] == pytest.approx(30 - 1 / 24)
    assert (c["tickets_per_order"], c["returns_per_order"]) == (0.5, 0.5)


def test_minutes_to_purchase_is_landing_to_purchase(feats: pd.DataFrame) -> None:
    assert feats.at["c1", "minutes_to_purchase"] == pytest.approx((6 + 12) / 2)


def test_identities_link_an_anonymous_visitor_to_its_customer(store: Store) -> None:
    kit = ShopKit().customer("c1", "v2")  # v2's visits happened before it signed up
    kit.visit("v2", 1, pages=4, views=("p1",))
    kit.write(store)
    f = behaviour_features(store, as_of=datetime(2026, 1, 1)).execute()
    assert f["subject_id"].tolist() == ["c1"]
    assert f.loc[0, "visits"] == 1


def test_visit_table_computed_once_gives_the_same_features(store: Store) -> None:
    """The service computes the visit table first (a temporary table of its cursor, built
    while the features SQL is compiled): the features are the same as the one-query
    expression's."""
    from shopperlens.service import types as svc

    small_shop().write(store)
    as_of = T0 + timedelta(days=60)
    one_query = behaviour_features(store, as_of=as_of).execute()
    staged = svc.features(store=store, as_of=as_of)
    pd.testing.assert_frame_equal(staged, one_query, check_dtype=False)


def test_the_stored_visit_table_keeps_each_subjects_visits_together(store: Store) -> None:
    """The service stores the visit table in subject order (``by_subject``): the per-subject
    grouping then finds its group in cache. Visits made day by day by four subjects in turn
    come back as four runs, one per subject."""
    kit = ShopKit().customer("c1", "v1").customer("c2", "v2")
    for day in range(8):
        for who in ("v1", "v2", "v3", "v4"):
            kit.visit(who, day, pages=1)
    kit.write(store)
    visits = by_subject(session_table(store, as_of=T0 + timedelta(days=60))).execute()
    assert len(visits) == 32
    runs = int((visits.subject_id != visits.subject_id.shift()).sum())
    assert runs == visits.subject_id.nunique() == 4


def test_a_failed_first_table_is_reported_not_swallowed(store: Store) -> None:
    """An error in the table built in the background reaches the caller, after the final
    query was asked for; the next call works."""
    import duckdb

    from shopperlens.store.execute import frame_over

    small_shop().write(store)
    asked: list[str] = []

    def final() -> str:
        asked.append("final")
        return "SELECT sum(n) AS total FROM first_stand_in"

    broken = "SELECT CAST(order_id AS BIGINT) AS n FROM orders"  # "o1" is not a number
    with pytest.raises(duckdb.ConversionException):
        frame_over(store, [("first_stand_in", broken)], final)
    assert asked == ["final"]
    ok = "SELECT 1 AS n FROM orders"
    total = frame_over(store, [("first_stand_in", ok)], final)["total"].tolist()
    assert total == [store.count("orders")]


def test_categories_per_order_counts_each_category_once_per_order(store: Store) -> None:
    """Same product twice in one order is one category; an order counts its own categories
    even when the customer bought them before (so 2 + 1 + 2 over three orders)."""
    kit = ShopKit().customer("c2")
    kit.order("c2", 0, ("p1", "p1", "p2"))  # shoes, socks
    kit.order("c2", 10, ("p2",))  # socks again
    kit.order("c2", 20, ("p2", "p4", "p2"))  # socks, lamps
    kit.write(store)
    c = behaviour_features(store, as_of=T0 + timedelta(days=30)).execute()
    c = c.set_index("subject_id").loc["c2"]
    assert c["categories_per_order"] == pytest.approx(5 / 3)
    assert c["categories"] == 3 and c["new_category"] == "lamps"


#: strings whose ends Ibis' strip() trims or keeps (no-break space is not in its set)
EDGES = ["plain", " lead", "trail ", "\ttab", "tab\t", "\nnl", "nl\n", "\rcr", "cr\r",
         "\x0bvt", "vt\x0b", "\x0cff", "ff\x0c", "in side", "a\nb", "\u00a0nbsp\u00a0", "",
         "   ", " \t both \n", None,
         # words starting or ending with v or f: Spark read the trim set's \v and \f as letters
         "vest", "stormproof", " Stormproof  ", "ff", "five", "fluffy scarf", "leaf"]  # fmt: skip


def strip_pairs(con) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """The fast strip on ``con`` (an Ibis backend) beside Python's strip of ASCII whitespace,
    and the words of each text (lower case, split on anything not a letter or digit)."""
    import ibis

    from shopperlens.features.behaviour import _strip, _words

    t = ibis.memtable(
        {"i": list(range(len(EDGES))), "s": EDGES}, schema={"i": "int64", "s": "string"}
    )
    out = con.execute(t.select("i", fast=_strip(t.s)).order_by("i"))
    out["python"] = [None if s is None else s.strip(" \t\n\r\x0b\x0c") for s in EDGES]
    words = con.execute(t.filter(t.i >= 20).select("i", w=_words(t.s)))
    out.attrs["words"] = sorted(set(words["w"]))
    return out


def test_fast_strip_matches_python_on_duckdb() -> None:
    import ibis

    out = strip_pairs(ibis.duckdb.connect())
    assert out["fast"].tolist() == out["python"].tolist()
    assert out["fast"].tolist()[:3] == ["plain", "lead", "trail"]
    assert out.attrs["words"] == ["ff", "five", "fluffy", "leaf", "scarf", "stormproof", "vest"]


def test_gaps_between_orders_placed_the_same_day(store: Store) -> None:
    """Two orders in the same second, or of one afternoon, are one day ordered on: the gaps
    run between order days (a second order the same day was a gap of 0 days, and four orders
    of one afternoon read "regular, about every 0 days")."""
    kit = ShopKit().customer("c1").customer("c2")
    for day in (0, 0, 10):
        kit.order("c1", day, ("p1",))
    for day in (0, 0.05, 0.1, 0.15, 30, 60):  # four orders within four hours, then monthly
        kit.order("c2", day, ("p1",))
    kit.write(store)
    f = behaviour_features(store, as_of=T0 + timedelta(days=90)).execute().set_index("subject_id")
    assert (f.at["c1", "orders"], f.at["c1", "order_days"]) == (3, 2)
    assert f.at["c1", "mean_gap_days"] == pytest.approx(10.0)
    assert pd.isna(f.at["c1", "gap_cv"])  # one gap: no variation to measure
    assert (f.at["c2", "orders"], f.at["c2", "order_days"]) == (6, 3)
    assert f.at["c2", "mean_gap_days"] == pytest.approx(30.0)
    assert f.at["c2", "gap_cv"] == pytest.approx(0.0)


def test_a_paid_search_ad_is_no_campaign_purchase(store: Store) -> None:
    """A paid-search click names its ad campaign too, but its buyer searched for the product:
    only the newsletter purchase (a campaign by name, any medium but search) is a campaign's."""
    kit = ShopKit().customer("c1", "v1")
    kit.visit("v1", 0, medium="cpc", campaign="brand-search", term="ridge tent", views=("p1",),
              buy=("p1",))  # fmt: skip
    kit.order("c1", 0, ("p1",))
    kit.visit("v1", 20, medium="organic", campaign="seo", buy=("p2",))
    kit.order("c1", 20, ("p2",))
    kit.visit("v1", 40, campaign="spring-newsletter", buy=("p3",))
    kit.order("c1", 40, ("p3",))
    kit.write(store)
    c = behaviour_features(store, as_of=T0 + timedelta(days=60)).execute().set_index("subject_id")
    assert c.at["c1", "purchase_visits"] == 3
    assert c.at["c1", "campaign_purchases"] == 1
    assert c.at["c1", "campaign_purchase_share"] == pytest.approx(1 / 3)
