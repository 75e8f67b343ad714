"""Customer types on hand-built shops whose truth is planted: cancelled orders, buyers without
orders, returns without a customer, config mistakes, the looker's numbers, failing explains."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from _types_shopkit import T0, ShopKit
from shopperlens.errors import NotFoundError, ShopperlensError
from shopperlens.features import behaviour_features
from shopperlens.service import types as svc
from shopperlens.store import Store
from shopperlens.types import RESULT_COLUMNS, load_config


def at(day: float) -> datetime:
    return T0 + timedelta(days=day)


def typed(store: Store, day: float) -> dict[str, dict]:  # type: ignore[type-arg]
    """Each subject's type, scores and evidence (the value columns, empty here, left out)."""
    df = svc.customer_types(store=store, as_of=at(day), save=False)[list(RESULT_COLUMNS)]
    key = df["customer_id"].fillna("visitor:" + df["visitor_id"].astype(str))
    return dict(zip(key, df.to_dict("records"), strict=True))


def feature_rows(store: Store, day: float) -> pd.DataFrame:
    return behaviour_features(store, as_of=at(day)).execute().set_index("subject_id")


def status(kit: ShopKit, oid: str, value: str | None) -> None:
    for row in kit.rows["orders"]:
        if row["order_id"] == oid:
            row["status"] = value


# --- cancelled, refunded and failed orders are not purchases ---------------------------------


def statuses_shop() -> ShopKit:
    """c_canc: one order, cancelled. c_late: a cancelled order on day 0, its first purchase on
    day 100. c_loyal: four purchases (one without a status) and three orders that were not.
    c_undone: a search visit whose purchase event stands for an order then cancelled, and a
    purchase three weeks later."""
    kit = ShopKit().customer("c_canc").customer("c_late").customer("c_loyal")
    kit.customer("c_undone", "v_undone")
    kit.visit("v_undone", 70, medium="organic", term="stormproof jacket", views=("p3",),
              cart=("p3",), buy=("p3",))  # fmt: skip
    status(kit, kit.order("c_undone", 70, ("p3",)), "cancelled")
    kit.order("c_undone", 91, ("p1",))
    west_of_utc(kit)
    status(kit, kit.order("c_canc", 10, ("p3",)), "Cancelled")
    status(kit, kit.order("c_late", 0, ("p3",)), "cancelled")
    kit.order("c_late", 100, ("p1",))
    for day, state in ((20, "paid"), (50, None), (80, "Fulfilled"), (110, "shipped")):
        status(kit, kit.order("c_loyal", day, ("p2",)), state)
    for day, state in ((30, "REFUNDED"), (60, "failed"), (90, "Canceled")):
        status(kit, kit.order("c_loyal", day, ("p3", "p4")), state)
    return kit


def west_of_utc(kit: ShopKit) -> None:
    """c_west, in New York, buys on Monday 3 March at 21:00 (Tuesday 02:00 UTC), and again on
    Tuesday at 10:00 (15:00 UTC), an order then cancelled; the orders file gives days only."""
    kit.customer("c_west", "v_west")
    monday = datetime(2025, 3, 3)
    for hours, product in ((26, "p3"), (39, "p1")):
        day = (monday + timedelta(hours=hours) - T0) / timedelta(days=1)
        kit.visit("v_west", day, views=(product,), cart=(product,), buy=(product,))
    for days, state in ((0, None), (1, "cancelled")):
        oid = kit.order("c_west", 0, ("p3",))
        status(kit, oid, state)
        row = next(r for r in kit.rows["orders"] if r["order_id"] == oid)
        row["ordered_at"] = monday + timedelta(days=days)  # a day only: midnight


def test_an_only_order_that_was_cancelled_is_no_purchase(store: Store) -> None:
    statuses_shop().write(store)
    row = typed(store, 120)["c_canc"]
    assert row["type"] == "untyped"  # not "new": it never bought
    assert row["score_new"] == 0
    assert row["evidence"].startswith("no visits or paid orders on record")


def test_cancelled_orders_count_nowhere_in_the_features(store: Store) -> None:
    statuses_shop().write(store)
    f = feature_rows(store, 120)
    loyal = f.loc["c_loyal"]
    assert loyal["orders"] == 4  # paid, no status, fulfilled, shipped
    assert loyal["monetary"] == pytest.approx(4 * 15.0)
    assert loyal["categories"] == 1  # socks only: the jackets and lamps were never bought
    assert loyal["mean_gap_days"] == pytest.approx(30)
    assert pd.isna(loyal["new_category"])
    late = f.loc["c_late"]
    assert late["orders"] == 1
    assert late["tenure_days"] == pytest.approx(20 - 1 / 24)  # from the purchase, not the cancel
    assert f.at["c_canc", "orders"] == 0
    rows = typed(store, 120)
    assert rows["c_late"]["type"] == "new"
    assert rows["c_late"]["evidence"].startswith("first order 20 days ago")
    assert "4 orders" in rows["c_loyal"]["evidence"]


def test_a_visit_whose_purchase_was_cancelled_bought_nothing(store: Store) -> None:
    """Its purchase event stands for the cancelled order: no buying visit, so no searched
    purchase either (the need-based sign), and its cart was left."""
    statuses_shop().write(store)
    f = feature_rows(store, 120).loc["c_undone"]
    assert (f["visits"], f["purchase_visits"], f["abandoned_carts"]) == (1, 0, 1)
    assert (f["searched_purchases"], f["orders"]) == (0, 1)
    assert pd.isna(f["minutes_to_purchase"])


def test_a_cancelled_purchase_types_as_a_visit_that_never_paid(tmp_path: Path) -> None:
    """The same shop with the visit's purchase event left out gives the same features, the
    same scores and the same evidence."""
    from shopperlens.store import connect

    rows = []
    for k, buy in enumerate((("p3",), ())):
        kit = ShopKit().customer("c1", "v1")
        kit.visit("v1", 70, medium="organic", term="stormproof jacket", views=("p3",),
                  cart=("p3",), buy=buy)  # fmt: skip
        status(kit, kit.order("c1", 70, ("p3",)), "cancelled")
        kit.order("c1", 91, ("p1",))
        store = kit.write(connect(tmp_path / f"{k}.duckdb"))
        rows.append((feature_rows(store, 120).loc["c1"], typed(store, 120)["c1"]))
    pd.testing.assert_series_equal(rows[0][0], rows[1][0])
    assert rows[0][1] == rows[1][1]


def test_a_cancelled_order_voids_one_visit_only(store: Store) -> None:
    """Both of c_west's visits are nearest to Tuesday's cancelled order (an order given by its
    day is at no distance from any time of it); it voids one, and the other stands for
    Monday's purchase, as the playbooks pair them. It voided both, and Monday's paid order
    was in no visit: no buying visit at all."""
    statuses_shop().write(store)
    f = feature_rows(store, 90).loc["c_west"]
    assert (f["orders"], f["purchase_visits"], f["abandoned_carts"]) == (1, 1, 1)


def _undone_and_paid(paid_hours: float, cancelled_hours: float) -> ShopKit:
    """c1's visit on day 5 (a purchase event 5 minutes in), an order cancelled and one paid,
    ``…_hours`` after the visit began."""
    kit = ShopKit().customer("c1", "v1")
    kit.visit("v1", 5, views=("p3",), buy=("p3",))
    for hours, state in ((paid_hours, None), (cancelled_hours, "cancelled")):
        oid = kit.order("c1", 5 + (hours - 1) / 24, ("p3",))  # (ShopKit adds an hour)
        status(kit, oid, state)
    return kit


@pytest.mark.parametrize(
    ("paid", "cancelled", "bought"),
    [(2, 1, 0), (1, 2, 1), (1, 1, 1), (30, 1, 0), (1, 30, 1)],
    ids=["cancelled-nearer", "paid-nearer", "tie-goes-to-the-purchase", "paid-too-far", "lone"],
)
def test_a_purchase_event_stands_for_its_nearest_order(
    store: Store, paid: float, cancelled: float, bought: int
) -> None:
    """As the playbooks pair them: the event stands for the customer's nearest order within a
    day; when that order was cancelled, the visit bought nothing."""
    _undone_and_paid(paid, cancelled).write(store)
    assert feature_rows(store, 60).at["c1", "purchase_visits"] == bought


# --- a visitor with purchase events and no order is not a looker ------------------------------


def test_purchase_events_without_an_order_are_untyped_and_ask_for_orders(store: Store) -> None:
    kit = ShopKit()
    for day in (1, 8):  # guest checkout twice; the shop imported no orders
        kit.visit("g1", day, medium="organic", term="rain jacket pro", pages=2, views=("p3",),
                  cart=("p3",), buy=("p3",))  # fmt: skip
    kit.visit("g1", 9, pages=3)
    for day in (1, 4, 9):  # a visitor who only browses stays a looker
        kit.visit("b1", day, pages=3, views=("p1", "p3"), cart=("p3",), minutes=20)
    kit.write(store)
    rows = typed(store, 30)
    guest = rows["visitor:g1"]
    assert guest["type"] == "untyped"
    assert guest["score_looker"] == 0
    assert "has not bought" not in guest["evidence"]
    assert guest["evidence"].startswith("bought in 2 visits per its purchase events")
    assert "no order of its is imported" in guest["evidence"]
    assert "import the orders" in guest["evidence"]
    assert rows["visitor:b1"]["type"] == "looker"


def test_a_customer_whose_purchase_events_have_no_order_is_untyped(store: Store) -> None:
    kit = ShopKit().customer("c1", "v1")
    kit.visit("v1", 3, views=("p1",), buy=("p1",), customer="c1")
    kit.write(store)
    row = typed(store, 30)["c1"]
    assert row["type"] == "untyped"
    assert row["evidence"].startswith("bought in 1 visit per its purchase events")


# --- returns without a customer id belong to their order's customer --------------------------


def test_returns_without_a_customer_are_tied_through_their_order(store: Store) -> None:
    kit = ShopKit().customer("c1").customer("c2")
    o1, o2 = kit.order("c1", 10, ("p3",)), kit.order("c1", 20, ("p3",))
    o3 = kit.order("c2", 10, ("p1",))
    kit.give_back(None, o1, 12)  # type: ignore[arg-type]
    kit.give_back("", o2, 25)  # an empty customer id is no customer id
    kit.give_back("c2", o3, 11)  # names its customer: counted once, not again via the order
    kit.give_back(None, "o-unknown", 11)  # type: ignore[arg-type]  # no customer to tie to
    kit.give_back(None, o2, 40)  # type: ignore[arg-type]  # after the as-of date
    kit.write(store)
    f = feature_rows(store, 30)
    assert f.at["c1", "returns"] == 2
    assert f.at["c1", "returns_per_order"] == pytest.approx(1.0)
    assert f.at["c2", "returns"] == 1
    impulse = svc.explain(store=store, id="c1", as_of=at(30)).signals["impulse"]
    returned = next(s for s in impulse if s.feature == "returns_per_order")
    assert (returned.value, returned.strength) == (1.0, 1.0)


def test_a_returns_file_without_customer_ids_counts_through_the_import(
    shop, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
        "X1,C_R,2025-05-01 10:00:00,P1,1,100\nX2,C_R,2025-05-10 10:00:00,P1,1,100\n"
    )
    returns = tmp_path / "returns.csv"
    returns.write_text(
        "return_id,order_id,returned_at\nRR1,X1,2025-05-05 10:00:00\nRR2,X2,2025-05-12 10:00:00\n"
    )
    shop.import_orders(orders)
    shop.import_returns(returns)
    f = svc.features(store=shop.store, as_of="2025-06-01").set_index("subject_id")
    assert f.at["C_R", "returns_per_order"] == pytest.approx(1.0)


# --- config mistakes are reported by name, when the config is read -----------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("types:\n  loyal:\n    requires: {min_orderz: 3}\n",
         "unknown key 'types.loyal.requires.min_orderz'"),
        ("types:\n  loyal:\n    signalz: {}\n", "unknown key 'types.loyal.signalz'"),
        ("types:\n  loyl:\n    requires: {min_orders: 2}\n", "unknown type 'loyl'"),
        ("types:\n  loyal:\n    signals:\n      orders: {from: 2, to: 6, weigth: 3}\n",
         "unknown key 'types.loyal.signals.orders.weigth'"),
        ("sessions:\n  signals:\n    lookr: {}\n", "unknown key 'sessions.signals.lookr'"),
        ("vocabulary:\n  search_media: organic\n",
         "vocabulary.search_media: 'organic' is not a list"),
        ("windows:\n  new_days: abc\n", "windows.new_days: 'abc' is not a number"),
        ("windows: 5\n", "windows: 5 is not a mapping"),
        ("types:\n  loyal:\n    signals:\n      orders: {from: two, to: 6}\n",
         "types.loyal.signals.orders.from: 'two' is not a number"),
        ("minimum_data: {looker_visits: many}\n",
         "minimum_data.looker_visits: 'many' is not a whole number"),
        ("sessions: {special_day_impulse: x}\n",
         "sessions.special_day_impulse: 'x' is not a number"),
        ("types:\n  loyal:\n    requires: {min_orders: two}\n",
         "types.loyal.requires.min_orders: 'two' is not a whole number"),
        ("vocabulary: {focused_products: 2.5}\n",
         "vocabulary.focused_products: 2.5 is not a whole number"),
    ],
)  # fmt: skip
def test_config_mistakes_are_refused_by_name_on_load(
    tmp_path: Path, text: str, message: str
) -> None:
    p = tmp_path / "types.yaml"
    p.write_text(text)
    with pytest.raises(ShopperlensError, match=message.replace("(", r"\(")):
        load_config(p)


def test_every_mistake_of_a_file_is_named_at_once(tmp_path: Path) -> None:
    p = tmp_path / "types.yaml"
    p.write_text("windows: {new_days: abc, lapsed_days: soon}\ntypes: {loyl: {}}\n")
    with pytest.raises(ShopperlensError) as err:
        load_config(p)
    for part in ("windows.new_days: 'abc'", "windows.lapsed_days: 'soon'", "'loyl'", str(p)):
        assert part in str(err.value)


def test_valid_overrides_still_load() -> None:
    cfg = load_config(
        windows={"new_days": 90},
        vocabulary={"brand_words": ["Summitside", 1906]},
        types={"loyal": {"signals": {"order_days": {"from": 3, "to": 8}}}},
    )
    assert cfg.section("windows")["new_days"] == 90
    assert cfg.feature_spec().brand_words == ("summitside", "1906")
    orders = next(s for s in cfg.rules["loyal"].signals if s.feature == "order_days")
    assert (orders.lo, orders.hi, orders.weight) == (3, 8, 2)  # the weight keeps its default


def test_cli_names_a_wrong_value_before_computing_anything(cli, db_path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from shopperlens.store import connect

    with connect(str(db_path)) as store:
        ShopKit().visit("v1", 1, pages=6).write(store)
    bad = tmp_path / "bad.yaml"
    bad.write_text("windows:\n  new_days: abc\n")
    result = cli("types", "--config", str(bad))
    assert result.exit_code != 0
    assert "windows.new_days: 'abc' is not a number" in result.output
    assert "unexpected" not in result.output


# --- a looker's evidence gives its numbers -----------------------------------------------------


def test_a_looker_by_the_minimum_data_rule_says_how_much_it_browsed(store: Store) -> None:
    ShopKit().visit("v1", 1, pages=1).visit("v1", 5, pages=1).write(store)
    row = typed(store, 30)["visitor:v1"]
    assert row["type"] == "looker"
    assert row["evidence"] == "has not bought yet in 2 visits with 2 pages"


def test_a_strong_looker_keeps_its_signals_after_the_numbers(store: Store) -> None:
    kit = ShopKit()
    for day in (1, 4, 9, 12, 15):
        kit.visit("v7", day, pages=2, views=("p1", "p3", "p4"), cart=("p3",), minutes=20)
    kit.write(store)
    evidence = typed(store, 30)["visitor:v7"]["evidence"]
    assert evidence.startswith("has not bought yet in 5 visits with 10 pages; ")
    assert "filled a cart in 5 visits without buying" in evidence
    assert "5 visits" not in evidence.split("; ")  # the visits signal is not said twice


# --- a visitor -> customer link counts from when it became known ------------------------------

LINK_EVENTS = (
    "visitor_id,timestamp,event_name,customer_id,product_id\n"
    + "".join(
        f"vA,2025-02-{d:02d} 10:0{k}:00,{name},,P2\n"
        for d in (1, 8, 15)
        for k, name in enumerate(("page_view", "view_item", "view_item"))
    )
    + "vA,2025-04-02 15:00:00,page_view,,\nvA,2025-04-02 15:01:00,sign_up,C_SIGN,\n"
)


def test_a_link_counts_only_from_when_it_became_known(shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """vA browsed anonymously in February and signed up as C_SIGN on 2 April: as of 1 March it
    is an anonymous looker and C_SIGN is nobody yet; as of 1 May it is C_SIGN's history."""
    events, customers = tmp_path / "events.csv", tmp_path / "customers.csv"
    events.write_text(LINK_EVENTS)
    customers.write_text("customer_id,email,created_at\nC_SIGN,sign@example.com,2025-04-02\n")
    shop.import_events(events)
    shop.import_customers(customers)
    linked = shop.sql("SELECT * FROM identities").values.tolist()
    assert linked == [["vA", "C_SIGN", pd.Timestamp("2025-04-02 15:01:00")]]
    march = svc.customer_types(store=shop.store, as_of="2025-03-01", save=False)
    assert march["customer_id"].dropna().tolist() == []
    assert march.set_index("visitor_id").at["vA", "type"] == "looker"
    may = svc.customer_types(store=shop.store, as_of="2025-05-01", save=False)
    assert may["visitor_id"].tolist() == ["vA"] and may["customer_id"].tolist() == ["C_SIGN"]
    f = svc.features(store=shop.store, as_of="2025-05-01").set_index("subject_id")
    assert f.at["C_SIGN", "visits"] == 4
    ex = svc.explain(store=shop.store, id="vA", as_of="2025-03-01")
    assert (ex.customer_id, ex.visitor_id, ex.type) == (None, "vA", "looker")
    assert svc.explain(store=shop.store, id="vA", as_of="2025-05-01").customer_id == "C_SIGN"


def test_the_looker_who_signed_up_and_bought_moves_looker_to_new(shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The anonymous looker of March is the new customer of May: one movement, one history."""
    events, orders = tmp_path / "events.csv", tmp_path / "orders.csv"
    events.write_text(LINK_EVENTS)
    orders.write_text(
        "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
        "O1,C_SIGN,2025-04-02 15:05:00,P2,1,300\n"
    )
    shop.import_events(events)
    shop.import_orders(orders)
    mv = svc.moves(store=shop.store, date_from="2025-03-01", date_to="2025-05-01")
    assert mv.matrix == {"looker": {"new": 1}}
    hist = svc.history(store=shop.store, id="C_SIGN")
    assert hist["type"].tolist() == ["looker", "new"]
    assert svc.history(store=shop.store, id="vA")["type"].tolist() == ["looker", "new"]


def test_a_later_file_with_an_earlier_sign_in_moves_the_link_time(shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    late, early = tmp_path / "late.csv", tmp_path / "early.csv"
    late.write_text(
        "visitor_id,timestamp,event_name,customer_id\nv1,2025-04-02 10:00:00,login,c1\n"
    )
    early.write_text(
        "visitor_id,timestamp,event_name,customer_id\nv1,2025-01-05 10:00:00,login,c1\n"
    )
    shop.import_events(late)
    shop.import_events(early)
    assert shop.sql("SELECT linked_at FROM identities")["linked_at"].tolist() == [
        pd.Timestamp("2025-01-05 10:00:00")
    ]


def test_migration_011_dates_the_links_of_an_older_store() -> None:
    from _old_store import store_before
    from shopperlens.store import migrations

    con = store_before(11)
    con.execute(
        "INSERT INTO events (event_id, visitor_id, customer_id, timestamp, event_name) VALUES "
        "('e1', 'v1', NULL, '2025-01-01', 'page_view'), ('e2', 'v1', 'c1', '2025-04-02', 'login'),"
        "('e3', 'v1', 'c1', '2025-03-01 12:00', 'login'), ('e4', 'v2', 'c2', '2025-02-01', 'login')"
    )
    con.execute("INSERT INTO identities VALUES ('v1', 'c1'), ('v2', 'c2'), ('v3', 'c3')")
    assert 11 in migrations.upgrade(con)
    rows = con.execute("SELECT visitor_id, linked_at FROM identities ORDER BY 1").fetchall()
    assert [(v, t and t.isoformat(" ")) for v, t in rows] == [
        ("v1", "2025-03-01 12:00:00"),  # its first event naming c1, not its first event
        ("v2", "2025-02-01 00:00:00"),
        ("v3", None),  # no event names c3: the time is unknown and the link always counts
    ]


# --- explain stores nothing when it fails ------------------------------------------------------


def test_explain_of_an_unknown_subject_stores_no_run(store: Store) -> None:
    ShopKit().visit("v1", 1, pages=6).write(store)
    with pytest.raises(NotFoundError):
        svc.explain(store=store, id="nobody", as_of=at(10))
    assert store.scalar("SELECT count(*) FROM type_runs") == 0
    ex = svc.explain(store=store, id="v1", as_of=at(10))  # an anonymous visitor, by its id
    assert (ex.type, ex.visitor_id, ex.customer_id) == ("looker", "v1", None)
    assert store.scalar("SELECT count(*) FROM type_runs") == 1


# --- the same on Spark -------------------------------------------------------------------------


@pytest.mark.spark
def test_statuses_and_returns_give_the_same_features_on_spark(store: Store, spark) -> None:  # type: ignore[no-untyped-def]
    from shopperlens.store.spark import spark_source

    kit = statuses_shop()
    loyal = [o["order_id"] for o in kit.rows["orders"] if o["customer_id"] == "c_loyal"]
    kit.give_back(None, loyal[0], 60)  # type: ignore[arg-type]
    kit.give_back("c_loyal", loyal[1], 111)
    kit.visit("g1", 5, views=("p1",), buy=("p1",))
    kit.write(store)
    duck = behaviour_features(store, as_of=at(120)).execute()
    with spark_source(store, spark) as src:
        sp = behaviour_features(src, as_of=at(120)).execute()
    pd.testing.assert_frame_equal(
        duck.reset_index(drop=True), sp.reset_index(drop=True), check_dtype=False, rtol=1e-9
    )
    assert duck.set_index("subject_id").at["c_loyal", "returns"] == 2
    assert duck.set_index("subject_id").at["c_undone", "purchase_visits"] == 0
    assert duck.set_index("subject_id").at["c_west", "purchase_visits"] == 1


def test_runs_stored_before_a_rule_was_added_keep_their_history() -> None:
    """``sessions.min_score`` (session aggregates only) came after stores held runs: at its
    default the digest is the one the same rules had without it (as runs stored before it
    carry), so history and movements still compare those runs; another value is another set
    of rules."""
    from shopperlens.types import load_config
    from shopperlens.types.config import TypesConfig

    cfg = load_config()
    before = {k: v for k, v in cfg.raw["sessions"].items() if k != "min_score"}
    assert TypesConfig({**cfg.raw, "sessions": before}).digest == cfg.digest
    raw = {**cfg.raw, "sessions": {**cfg.raw["sessions"], "min_score": 0.3}}
    assert TypesConfig(raw).digest != cfg.digest


def test_config_reads_numbers_and_words_as_people_write_them(tmp_path) -> None:
    """Accepted by the earlier loader and still accepted: a whole count written 3.0, a number
    with an exponent and no dot (YAML 1.1 reads 6e1 as text), and a brand called On (YAML 1.1
    reads on as a boolean). A count of 3.5 and a quoted number stay refused."""
    from shopperlens.types import load_config

    ok = tmp_path / "ok.yaml"
    ok.write_text(
        "minimum_data: {looker_visits: 3.0}\nwindows: {new_days: 6e1}\n"
        "types: {loyal: {requires: {min_orders: 2.0}}}\nvocabulary: {brand_words: [on, 1906]}\n"
    )
    cfg = load_config(ok)
    assert cfg.raw["minimum_data"]["looker_visits"] == 3
    assert cfg.raw["windows"]["new_days"] == 60.0
    assert cfg.feature_spec().brand_words == ("on", "1906")
    bad = tmp_path / "bad.yaml"
    bad.write_text('minimum_data: {looker_visits: 3.5}\nwindows: {new_days: "60"}\n')
    with pytest.raises(ShopperlensError) as info:
        load_config(bad)
    assert "looker_visits: 3.5 is not a whole number" in str(info.value)
    assert "new_days: '60' is not a number" in str(info.value)


@pytest.mark.parametrize("customers_first", [True, False])
def test_a_customer_without_created_at_exists_from_their_first_order(
    shop, tmp_path: Path, customers_first: bool
) -> None:  # type: ignore[no-untyped-def]
    """A customers file without ``created_at`` says nothing of when a customer appeared: as of
    March, a customer whose first order is in May is not yet there ("unseen" in the moves),
    whichever file was imported first; one with no order at all is listed."""
    customers, orders = tmp_path / "customers.csv", tmp_path / "orders.csv"
    customers.write_text("customer_id,email,created_at\nC_MAY,may@example.org,\nC_NONE,,\n")
    orders.write_text(
        "order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
        "O1,C_MAY,2025-05-10 10:00:00,P1,1,30\nO2,C_EARLY,2025-01-10 10:00:00,P1,1,30\n"
    )
    for kind, path in [("customers", customers), ("orders", orders)][
        :: 1 if customers_first else -1
    ]:
        getattr(shop, f"import_{kind}")(path)
    march = svc.customer_types(store=shop.store, as_of="2025-03-01", save=False)
    assert "C_MAY" not in set(march["customer_id"])
    assert {"C_EARLY", "C_NONE"} <= set(march["customer_id"])
    june = svc.customer_types(store=shop.store, as_of="2025-06-01", save=False)
    assert june.set_index("customer_id").at["C_MAY", "type"] == "new"
    svc.customer_types(store=shop.store, as_of="2025-03-01")
    svc.customer_types(store=shop.store, as_of="2025-06-01")
    mv = svc.moves(store=shop.store, date_from="2025-03-01", date_to="2025-06-01")
    assert mv.matrix.get("unseen", {}).get("new") == 1
