"""The type rules on small hand-built shops: one story per rule and its edge cases."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _types_shopkit import T0, ShopKit
from shopperlens.errors import ShopperlensError
from shopperlens.service import types as svc
from shopperlens.store import Store
from shopperlens.types import load_config, ramp


def at(day: float) -> datetime:
    return T0 + timedelta(days=day)


def typed(store: Store, day: float, **kw) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    df = svc.customer_types(store=store, as_of=at(day), save=False, **kw)
    key = df["customer_id"].fillna("visitor:" + df["visitor_id"].astype(str))
    return dict(zip(key, df.to_dict("records"), strict=True))


def need_based_shop(kit: ShopKit, cid: str = "c1", visitor: str = "v1") -> ShopKit:
    kit.customer(cid, visitor)
    for day, pid, term in ((10, "p1", "trail running shoe"), (80, "p4", "headlamp 400 price"),
                           (150, "p2", "merino wool socks")):  # fmt: skip
        kit.visit(visitor, day, medium="organic", term=term, views=(pid,), cart=(pid,), buy=(pid,))
        kit.order(cid, day, (pid,))
    return kit


def test_ramp_is_clipped_reversible_and_zero_for_missing() -> None:
    assert list(ramp([0, 5, 10, 20, float("nan")], 0, 10)) == [0, 0.5, 1, 1, 0]
    assert list(ramp([2, 4, 12], 12, 4)) == [1, 1, 0]


def test_need_based_product_searches_and_exact_purchases(store: Store) -> None:
    need_based_shop(ShopKit()).write(store)
    row = typed(store, 200)["c1"]
    assert row["type"] == "need_based"
    assert row["score_need_based"] > 0.9
    assert "3 of 3 visits came from search" in row["evidence"]
    assert "bought the product searched for" in row["evidence"]


def test_informational_and_brand_terms_do_not_count_as_product_searches(store: Store) -> None:
    kit = ShopKit().customer("c1", "v1")
    for day, term in ((10, "how to choose running shoes"), (80, "summitside shop")):
        kit.visit("v1", day, medium="organic", term=term, views=("p1",), cart=("p1",), buy=("p1",))
        kit.order("c1", day, ("p1",))
    kit.write(store)
    cfg = load_config(vocabulary={"brand_words": ["summitside"]})
    f = svc.features(store=store, as_of=at(200), config=cfg).set_index("subject_id")
    assert f.at["c1", "search_terms"] == 2
    assert f.at["c1", "product_terms"] == 0
    assert f.at["c1", "brand_terms"] == 1


def test_visitor_who_never_bought_is_a_looker(store: Store) -> None:
    kit = ShopKit()
    for day in (1, 4, 9):
        kit.visit("v7", day, pages=3, views=("p1", "p3", "p4"), cart=("p3",), minutes=20)
    kit.write(store)
    row = typed(store, 30)["visitor:v7"]
    assert row["type"] == "looker"
    assert row["score_looker"] > 0.7
    assert row["evidence"].startswith("has not bought yet")
    assert "filled a cart in 3 visits without buying" in row["evidence"]


def test_too_little_data_is_untyped_and_says_so(store: Store) -> None:
    ShopKit().visit("v8", 1, pages=1).customer("c9").write(store)
    rows = typed(store, 30)
    assert rows["visitor:v8"]["type"] == "untyped"
    assert "too little data" in rows["visitor:v8"]["evidence"]
    assert rows["c9"]["type"] == "untyped"  # registered, never visited nor bought
    assert rows["c9"]["evidence"].startswith("no visits or paid orders on record")


def test_buyer_with_weak_signals_is_untyped_not_guessed(store: Store) -> None:
    kit = ShopKit().customer("c1")
    kit.order("c1", 10, ("p1", "p2", "p3"))  # one old order, no visits at all
    kit.write(store)
    row = typed(store, 300)["c1"]
    assert row["type"] == "untyped"
    assert "not guessed" in row["evidence"]


@pytest.mark.parametrize(
    ("day", "said"), [(1, "first order 1 day ago"), (2, "first order 2 days ago")]
)
def test_one_day_is_a_day(store: Store, day: float, said: str) -> None:
    """ "first order 1 days ago" read as a slip in every new customer's evidence."""
    kit = ShopKit().customer("c1")
    kit.order("c1", 0, ("p1", "p2", "p3"))  # ordered at T0 + 1 h: 23 h before day 1
    kit.write(store)
    assert typed(store, day)["c1"]["evidence"].startswith(said)


@pytest.mark.parametrize(("day", "expected"), [(59.9, "new"), (61, "untyped")])
def test_first_purchase_is_new_within_the_window(store: Store, day: float, expected: str) -> None:
    kit = ShopKit().customer("c1")
    kit.order("c1", 0, ("p1", "p2", "p3"))  # ordered at T0 + 1 h
    kit.write(store)
    row = typed(store, day)["c1"]
    assert row["type"] == expected
    if expected == "new":
        assert row["evidence"].startswith("first order 60 days ago")


def test_first_purchase_in_a_never_bought_category_is_new(store: Store) -> None:
    kit = ShopKit().customer("c1", "v1")
    for day in (0, 40, 80):
        kit.visit("v1", day, pages=4, views=("p2", "p5"), cart=("p2",), buy=("p2",))
        kit.order("c1", day, ("p2",))
    kit.visit("v1", 200, pages=4, views=("p3", "p5"), cart=("p3",), buy=("p3",))
    kit.order("c1", 200, ("p3",))
    kit.write(store)
    row = typed(store, 210)["c1"]
    assert row["type"] == "new"
    assert row["score_new"] == 0.75
    assert "first purchase in jackets 10 days ago" in row["evidence"]
    assert typed(store, 199)["c1"]["type"] != "new"  # the day before: not new


def loyal_shop(kit: ShopKit, cid: str = "c1") -> ShopKit:
    kit.customer(cid, f"v{cid}")
    for i in range(7):
        day = 5 + 50 * i + (i % 2) * 3
        kit.visit(f"v{cid}", day, pages=3, views=("p2",), cart=("p2",), buy=("p2",))
        kit.order(cid, day, ("p2",))
    return kit


def test_regular_repeat_buyer_is_loyal_and_lapses_in_movements(store: Store) -> None:
    loyal_shop(ShopKit()).write(store)
    row = typed(store, 320)["c1"]
    assert row["type"] == "loyal"
    assert row["score_loyal"] > 0.8
    assert "7 orders in 300 days (first to last)" in row["evidence"]  # day 5 to day 305
    assert "orders come regularly, about every 50 days" in row["evidence"]
    later = typed(store, 320 + 200)["c1"]
    assert later["type"] == "loyal"
    assert "lapsing" in later["evidence"]
    mv = svc.moves(store=store, date_from=at(320), date_to=at(520))
    assert mv.matrix["loyal"]["lapsed"] == 1


def test_campaign_discount_and_support_make_an_impulse_buyer(store: Store) -> None:
    kit = ShopKit().customer("c1", "v1")
    for day in (20, 95):
        kit.visit("v1", day, medium="paid_social", campaign="flash-sale", views=("p3",),
                  cart=("p3", "p4"), buy=("p3", "p4"), minutes=4)  # fmt: skip
        oid = kit.order("c1", day, ("p3", "p4"), discount="FLASH20")
        kit.ticket("c1", day + 1)
    kit.give_back("c1", oid, 100)
    kit.write(store)
    row = typed(store, 170)["c1"]
    assert row["type"] == "impulse"
    assert "2 of 2 orders used a discount code" in row["evidence"]
    assert "2 of 2 purchases made in a visit from a campaign" in row["evidence"]


def test_as_of_sees_only_data_strictly_before_it(store: Store) -> None:
    kit = ShopKit().customer("c1")
    kit.order("c1", 10, ("p1",))  # at T0 + 10 days + 1 hour
    kit.write(store)
    cut = T0 + timedelta(days=10, hours=1)
    assert svc.features(store=store, as_of=cut).set_index("subject_id").at["c1", "orders"] == 0
    later = cut + timedelta(seconds=1)
    assert svc.features(store=store, as_of=later).set_index("subject_id").at["c1", "orders"] == 1


def test_a_newcomer_arrives_and_is_no_movement(store: Store) -> None:
    """ "1,004 moved, 496 stayed" on the demo counted 434 people not seen at the earlier date
    as movements, and "Largest movements" led with them."""
    kit = ShopKit().customer("c1", "v1")
    for day in (1, 5, 12, 25):
        kit.visit("v1", day, pages=4, views=("p1", "p3"), cart=("p1",), minutes=15)
    for day in (30, 35, 40):
        kit.visit("v2", day, pages=4, views=("p1", "p3"), cart=("p1",), minutes=15)
    kit.write(store)
    mv = svc.moves(store=store, date_from=at(20), date_to=at(50))
    assert mv.matrix["unseen"] == {"looker": 1}
    assert (mv.moved, mv.stayed, mv.arrived) == (0, 1, 1) and mv.top == []


def test_a_visitor_moves_looker_then_new_then_loyal(store: Store) -> None:
    """The mission's path: browsing anonymously, first order, then regular orders."""
    kit = ShopKit().customer("c1", "v1")
    for day in (1, 5, 12):
        kit.visit("v1", day, pages=4, views=("p1", "p3", "p4"), cart=("p1",), minutes=15)
    for i in range(6):
        day = 30 + 45 * i
        kit.visit("v1", day, pages=2, views=("p1",), cart=("p1",), buy=("p1",))
        kit.order("c1", day, ("p1",))
    kit.write(store)
    for day in (20, 50, 300):
        svc.customer_types(store=store, as_of=at(day))
    hist = svc.history(store=store, id="v1")  # a visitor id finds its customer
    assert hist["type"].tolist() == ["looker", "new", "loyal"]
    mv = svc.moves(store=store, date_from=at(20), date_to=at(50))
    assert mv.matrix == {"looker": {"new": 1}}
    assert (mv.moved, mv.stayed, mv.arrived) == (1, 0, 0)
    ex = svc.explain(store=store, id="c1")
    assert ex.type == "loyal"
    assert [h["type"] for h in ex.history] == ["looker", "new", "loyal", "loyal"]  # + default date


def test_config_file_overrides_thresholds(store: Store, tmp_path: Path) -> None:
    kit = ShopKit().customer("c1")
    kit.order("c1", 0, ("p1", "p2", "p3"))
    kit.write(store)
    cfg = tmp_path / "types.yaml"
    cfg.write_text("windows:\n  new_days: 120\n")
    assert typed(store, 100)["c1"]["type"] == "untyped"
    assert typed(store, 100, config=cfg)["c1"]["type"] == "new"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("windows:\n  new_dayz: 3\n", "unknown key 'windows.new_dayz'"),
        ("types:\n  loyal:\n    signals:\n      orders: {from: 1, to: 2, weight: 0}\n",
         "weight must be > 0"),
        ("types:\n  loyal:\n    signals:\n      visits: {from: 1}\n", "needs `from` and `to`"),
        ("- a list\n", "must be a mapping"),
    ],
)  # fmt: skip
def test_bad_config_is_reported_in_its_own_terms(tmp_path: Path, text: str, message: str) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(ShopperlensError, match=message.replace("(", r"\(")):
        load_config(p)


def test_unknown_feature_in_config_is_an_error(store: Store) -> None:
    ShopKit().customer("c1").write(store)
    cfg = load_config(types={"loyal": {"signals": {"shoe_size": {"from": 1, "to": 2}}}})
    with pytest.raises(ShopperlensError, match="unknown features \\['shoe_size'\\]"):
        svc.customer_types(store=store, as_of=at(1), config=cfg, save=False)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40))
def test_scores_are_in_0_1_and_types_follow_the_gates(seed: int, n: int) -> None:
    """Invariants on random feature frames: scores in 0..1, lookers never bought, buyers never
    lookers, every row has evidence."""
    import numpy as np
    import pandas as pd

    from shopperlens.features import FEATURE_COLUMNS
    from shopperlens.types import TYPES, classify

    rng = np.random.default_rng(seed)
    f = pd.DataFrame(
        {c: np.where(rng.random(n) < 0.2, np.nan, rng.gamma(1.0, 3.0, n)) for c in FEATURE_COLUMNS}
    )
    counts = ["visits", "pages", "orders", "cart_visits", "search_visits", "product_terms"]
    for c in counts:
        f[c] = rng.integers(0, 4, n)
    f["new_category"] = None
    f.insert(0, "subject_id", [f"s{i}" for i in range(n)])
    f.insert(1, "customer_id", f["subject_id"])
    f.insert(2, "visitor_id", None)
    out = classify(f, load_config())
    scores = out[[f"score_{t}" for t in TYPES]].to_numpy()
    assert ((scores >= 0) & (scores <= 1)).all()
    assert set(out["type"]) <= {*TYPES, "untyped"}
    assert (out.loc[out["type"] == "looker", "orders"] == 0).all()
    assert (out.loc[f["orders"] > 0, "score_looker"] == 0).all()
    assert out["evidence"].str.len().gt(0).all()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.floats(allow_nan=True, allow_infinity=True, width=64, min_value=None, max_value=None)
        | st.decimals(min_value=-1000, max_value=1000, places=3).map(float),
        min_size=1,
        max_size=20,
    ),
    st.sampled_from([0, 1, 2]),
)
def test_evidence_numbers_read_as_python_formats_them(values: list[float], digits: int) -> None:
    """Evidence formats numbers with Arrow; Python's own formatting of the rounded value is the
    oracle (halves, negative zero, missing and infinite values included)."""
    import numpy as np
    import pandas as pd

    from shopperlens.types.evidence import _f

    x = pd.Series(values, dtype="float64")
    with np.errstate(over="ignore", invalid="ignore"):  # rounding 1e308 overflows to inf
        expected = [f"{v:.{digits}f}" for v in x.round(digits)]
    assert _f(x, digits).tolist() == expected
