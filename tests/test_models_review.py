"""The models review: each test plants a truth the old code got wrong.

1. Gamma-Gamma with q ≤ 1 has no mean spend: no negative spend or CLV anywhere.
2. The rules' default "at least 3 orders" keeps pairs in exactly 3 orders, whatever n.
3. Purchase intent learns buyers from the sessions before their first purchase only.
5. 0/1 integer one-hot frames (mlxtend's input too); mlxtend's positional call is refused.
6. ``clv-report`` on a shop with orders only prints what the orders support.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from shopperlens.models import GammaGamma, PurchaseIntent, association_rules, frequent_itemsets
from shopperlens.models.basket import support_count
from shopperlens.models.gammagamma import NOTE_NO_MEAN
from shopperlens.service import clv, intent
from shopperlens.service.playbooks import basket_rules
from shopperlens.store import Store, connect


# -- 1. Gamma-Gamma with q ≤ 1 -----------------------------------------------------------------
def planted_heavy_tailed_orders(n_customers: int = 600, seed: int = 1) -> pd.DataFrame:
    """Orders whose values follow the Gamma-Gamma model with q = 0.8 (no mean spend).

    Customer *i* spends ν_i ~ Gamma(q = 0.8, rate 50) and each order is Gamma(p = 5, rate ν_i);
    1–6 orders per customer on distinct days of a two-year history.
    """
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-01")
    rows = []
    for c in range(n_customers):
        nu = rng.gamma(0.8, 1 / 50)
        k = int(rng.choice([1, 1, 2, 3, 4, 6]))
        for d in sorted(rng.choice(700, size=k, replace=False)):
            value = round(float(min(rng.gamma(5, 1 / nu), 1e7)), 2)
            rows.append(
                {
                    "order_id": f"O{len(rows)}",
                    "customer_id": f"C{c}",
                    "ordered_at": start + pd.Timedelta(days=int(d)),
                    "value": max(value, 0.01),
                }
            )
    return pd.DataFrame(rows)


def load_orders(store: Store, orders: pd.DataFrame) -> None:
    """Orders with one line each (no category, no visits): a shop that imported orders only."""
    with store.transaction() as con:
        con.register("_o", orders)
        con.execute(
            "INSERT INTO orders (order_id, customer_id, ordered_at) "
            "SELECT order_id, customer_id, ordered_at FROM _o"
        )
        con.execute(
            "INSERT INTO order_lines (order_id, line_no, product_id, quantity, unit_price) "
            "SELECT order_id, 1, 'P1', 1, value FROM _o"
        )
        con.unregister("_o")


def test_gammagamma_without_a_mean_gives_no_spend_rather_than_a_negative_one() -> None:
    """Planted q = 0.8: the fit finds q < 1, and one-time buyers — whose E[M] would be the
    non-existent population mean pv/(q−1), negative by the formula — get NaN, not −1,300."""
    rng = np.random.default_rng(0)
    p, q, v, n = 5.0, 0.8, 50.0, 3000
    nu = rng.gamma(q, 1 / v, size=n)
    x = rng.integers(1, 6, size=n).astype(float)
    m = np.array([rng.gamma(p, 1 / nu[i], size=int(x[i])).mean() for i in range(n)])
    gg = GammaGamma().fit(x, m)
    table = gg.summary()
    assert table.loc["q", "lower"] < q < table.loc["q", "upper"] < 1.0  # the planted q
    assert not gg.mean_exists_
    assert table.loc["q", "note"] == NOTE_NO_MEAN
    assert np.isnan(gg.predict_spend(0, 0.0)).all()
    # repeat buyers' posterior mean still exists (p·x + q > 1) and lies above their own mean,
    # pulled up by a population with no finite mean
    one = gg.predict_spend([1.0, 3.0], [100.0, 100.0])
    assert np.isfinite(one).all() and (one > 100.0).all()


def test_clv_with_planted_q_below_one_is_never_negative() -> None:
    orders = planted_heavy_tailed_orders()
    with connect(":memory:") as store:
        load_orders(store, orders)
        summary = clv.value_summary(store=store)
        q = next(e for e in summary.params if e.model == "Gamma-Gamma" and e.param == "q")
        assert q.coef < 1.0 and q.note == clv.SPEND_FALLBACK_NOTE
        assert summary.total_clv > 0
        values = clv.customer_value(store=store, save=True)
        stored = store.df("SELECT * FROM customer_value")
    for frame in (values, stored):
        assert np.isfinite(frame["expected_spend"]).all() and (frame["expected_spend"] > 0).all()
        assert np.isfinite(frame["clv"]).all() and (frame["clv"] >= 0).all()
    # the fallback is each customer's own mean order value, computed here from the orders
    own = orders.groupby("customer_id")["value"].mean()
    got = values.set_index("customer_id")["expected_spend"]
    np.testing.assert_allclose(got.loc[own.index], own, rtol=1e-9)


# -- 2. the rules' default threshold -----------------------------------------------------------
def test_support_count_is_a_whole_number_of_baskets() -> None:
    for n in range(1, 5001):
        for k in (1, 2, 3, 7):
            if k <= n:
                assert support_count(k / n, n) == k, (k, n)
    assert support_count(0.07, 100) == 7  # 0.07 * 100 is 7.000000000000001 in floats
    assert support_count(0.0701, 100) == 8


def test_count_threshold_keeps_itemsets_in_exactly_that_many_baskets() -> None:
    """Pairs {A, B} in exactly 3 of n baskets and {C, D} in 2: the count threshold keeps the
    first and drops the second for every n (3/n·n overshoots 3 for n = 187, 273, 275 …)."""
    overshoots = [n for n in range(150, 420) if (3 / n) * n > 3]
    assert overshoots[:4] == [187, 273, 275, 279]
    for n in range(150, 420):
        baskets = [[f"u{i}"] for i in range(n)]
        for i in range(3):
            baskets[i] += ["A", "B"]
        for i in range(3, 5):
            baskets[i] += ["C", "D"]
        for kw in ({"min_support": None, "min_count": 3}, {"min_support": 3 / n}):
            found = frequent_itemsets(baskets, max_len=2, **kw)
            assert set(found["itemsets"]) == {frozenset("A"), frozenset("B"), frozenset("AB")}
            assert found["support"].tolist() == [3 / n] * 3


def _pair_in_three_orders(store: Store, n: int) -> None:
    """``n`` orders, each with its own product; orders 0–2 also hold A and B."""
    lines = [(f"O{o}", f"P{o}") for o in range(n)] + [
        (f"O{o}", item) for o in range(3) for item in ("A", "B")
    ]
    frame = pd.DataFrame(lines, columns=["order_id", "product_id"])
    orders = frame[["order_id"]].drop_duplicates().assign(ordered_at=pd.Timestamp("2024-01-01"))
    with store.transaction() as con:
        con.register("_l", frame)
        con.register("_o", orders)
        con.execute("INSERT INTO orders (order_id, ordered_at) SELECT * FROM _o")
        con.execute(
            "INSERT INTO order_lines (order_id, line_no, product_id, quantity, unit_price) "
            "SELECT order_id, row_number() OVER (PARTITION BY order_id), product_id, 1, 10 FROM _l"
        )


@pytest.mark.parametrize("n", [186, 187, 273, 275, 279])
def test_default_rules_keep_a_pair_in_exactly_three_orders(n: int) -> None:
    with connect(":memory:") as store:
        _pair_in_three_orders(store, n)
        rules = basket_rules(store=store)
    sides = zip(rules.antecedents, rules.consequents, strict=True)
    pairs = {(tuple(a), tuple(c)) for a, c in sides}
    assert pairs == {(("A",), ("B",)), (("B",), ("A",))}
    assert rules["support"].tolist() == [3 / n, 3 / n]


def test_rules_cli_prints_the_pair_recommend_shows(cli, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    with connect(db_path) as store:
        _pair_in_three_orders(store, 187)
    together = cli("recommend", "together", "--product", "A", "--json")
    assert together.exit_code == 0 and '"B"' in together.output
    res = cli("rules", "--json")
    assert res.exit_code == 0, res.output
    assert '"A"' in res.output and '"B"' in res.output


# -- 3. purchase intent without what happened after the purchase -------------------------------
_SESSION_COLUMNS = (
    "session_id, origin, visitor_id, started_at, ended_at, duration_s, n_events, page_views, "
    "product_views, searches, add_to_carts, checkouts, purchases, landing_page, utm_source, "
    "utm_medium, device"
)


def _insert_sessions(store: Store, rows: list[dict]) -> None:  # type: ignore[type-arg]
    frame = pd.DataFrame(rows)
    with store.transaction() as con:
        con.register("_s", frame)
        con.execute(f"INSERT INTO sessions ({_SESSION_COLUMNS}) SELECT {_SESSION_COLUMNS} FROM _s")
        con.unregister("_s")


def _session(visitor: str, day: int, *, bought: bool = False, **kw: object) -> dict:  # type: ignore[type-arg]
    started = pd.Timestamp("2025-01-01") + pd.Timedelta(days=day)
    row = {
        "session_id": f"{visitor}:{day}",
        "origin": "events",
        "visitor_id": visitor,
        "started_at": started,
        "ended_at": started + pd.Timedelta(minutes=5),
        "duration_s": 300.0,
        "n_events": 5,
        "page_views": 3,
        "product_views": 1,
        "searches": 0,
        "add_to_carts": 1 if bought else 0,
        "checkouts": 1 if bought else 0,
        "purchases": 1 if bought else 0,
        "landing_page": "/",
        "utm_source": "google",
        "utm_medium": "organic",
        "device": "desktop",
    }
    return row | kw


def test_buyers_features_are_their_sessions_before_the_first_purchase(store: Store) -> None:
    _insert_sessions(
        store,
        [
            # browsed once, bought, then came back twice to look at the order
            _session("v1", 1, page_views=2),
            _session("v1", 2, bought=True),
            _session("v1", 5, page_views=50, landing_page="/account/orders"),
            _session("v1", 9, page_views=40, landing_page="/account/orders"),
            # bought on the first visit, came back after
            _session("v2", 1, bought=True),
            _session("v2", 3, page_views=30, landing_page="/account/orders"),
            # a looker
            _session("v3", 1, page_views=4),
            _session("v3", 4, page_views=6),
        ],
    )
    features, ids, y = intent.visitor_frame(store=store)
    frame = features.assign(visitor_id=ids["visitor_id"].to_numpy(), bought=y)
    frame = frame.set_index("visitor_id")
    assert list(frame.index) == ["v1", "v3"]  # v2 has no visit before buying
    assert frame.loc["v1", ["sessions", "page_views", "bought"]].tolist() == [1, 2, 1]
    assert frame.loc["v1", "landing"] == ""
    assert frame.loc["v3", ["sessions", "page_views", "bought"]].tolist() == [2, 10, 0]


def test_intent_learns_nothing_from_browsing_that_carries_no_signal(store: Store) -> None:
    """Planted truth: buyers' visits before their purchase are drawn exactly like lookers'
    visits, so nothing before a purchase predicts it (AUC ≈ 0.5). After the purchase buyers
    come back to their account pages, which a looker cannot do; features built from those
    visits made the out-of-fold AUC about 1."""
    rng = np.random.default_rng(3)
    rows = []

    def browse(visitor: str, days: np.ndarray) -> None:
        for d in days:
            rows.append(
                _session(
                    visitor,
                    int(d),
                    page_views=int(rng.integers(1, 12)),
                    product_views=int(rng.integers(0, 6)),
                    duration_s=float(rng.exponential(400)),
                    device=str(rng.choice(["desktop", "mobile"])),
                )
            )

    for i in range(400):
        visitor = f"v{i:03d}"
        first = np.sort(rng.choice(np.arange(0, 150), size=int(rng.integers(1, 4)), replace=False))
        browse(visitor, first)
        if i % 2 == 0:  # a buyer: buys after that browsing, then checks the order
            buy = int(first[-1]) + 1
            rows.append(_session(visitor, buy, bought=True))
            for d in range(buy + 1, buy + 1 + int(rng.integers(1, 4))):
                rows.append(_session(visitor, d, page_views=15, landing_page="/account/orders"))
    _insert_sessions(store, rows)
    features, _, y = intent.visitor_frame(store=store)
    assert len(y) == 400 and y.sum() == 200
    oof = np.zeros(len(y))
    for train, test in StratifiedKFold(3, shuffle=True, random_state=0).split(features, y):
        model = PurchaseIntent(max_iter=50).fit(features.iloc[train], y[train])
        oof[test] = model.predict_proba(features.iloc[test])
    assert roc_auc_score(y, oof) < 0.65


# -- 5. one-hot frames of 0/1 and mlxtend's positional call ------------------------------------
BASKETS = [["a", "b"], ["a"], ["b", "c"], ["a", "b", "c"], ["c"]]
#: counted by hand: a, b, c in 3 of 5 baskets; {a, b} and {b, c} in 2; {a, c} in 1
AT_40 = {
    frozenset("a"): 0.6,
    frozenset("b"): 0.6,
    frozenset("c"): 0.6,
    frozenset("ab"): 0.4,
    frozenset("bc"): 0.4,
}


def _one_hot(dtype: str) -> pd.DataFrame:
    items = ["a", "b", "c"]
    return pd.DataFrame([[item in b for item in items] for b in BASKETS], columns=items).astype(
        dtype
    )


@pytest.mark.parametrize("dtype", ["bool", "int64", "int8", "uint8", "float64"])
def test_one_hot_of_zeros_and_ones_is_read_as_one_hot(dtype: str) -> None:
    found = frequent_itemsets(_one_hot(dtype), 0.4)
    assert dict(zip(found["itemsets"], found["support"], strict=True)) == pytest.approx(AT_40)


def test_a_long_frame_of_zero_one_ids_stays_long_when_named() -> None:
    long = pd.DataFrame({"basket": [0, 0, 1, 1], "item": [0, 1, 1, 0]})
    found = frequent_itemsets(long, 1.0, basket_col="basket", item_col="item")
    assert set(found["itemsets"]) == {frozenset([0]), frozenset([1]), frozenset([0, 1])}


def test_mlxtend_positional_calls_get_a_clear_error() -> None:
    items = frequent_itemsets(BASKETS, 0.4)
    # mlxtend before 0.23: association_rules(df, metric, min_threshold)
    with pytest.raises(ValueError, match="num_itemsets must be a whole number.*metric=… by name"):
        association_rules(items, "lift", 1.0)
    with pytest.raises(ValueError, match="min_threshold must be a number"):
        association_rules(items, 5, metric="lift", min_threshold="1.0")
    with pytest.raises(ValueError, match="null_values=True: baskets have no missing values"):
        association_rules(items, 5, None, True)
    # mlxtend's fpgrowth(df, min_support, use_colnames, max_len): the third argument differs
    with pytest.raises(ValueError, match="max_len must be a number of items"):
        frequent_itemsets(_one_hot("bool"), 0.4, True)


# -- 6. clv-report on a shop with orders only --------------------------------------------------
def test_clv_report_on_orders_only_prints_what_the_orders_support(cli, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    with connect(db_path) as store:
        load_orders(store, planted_heavy_tailed_orders())
    res = cli("clv-report")
    assert res.exit_code == 0, res.output
    assert "alpha" in res.output and "holdout after" in res.output
    text = " ".join(res.output.split())
    assert "customers by source not shown: no visit data" in text
    res = cli("clv-report", "--by", "category")
    assert res.exit_code == 0, res.output
    assert "customers by category not shown: no order lines with a category" in " ".join(
        res.output.split()
    )
    res = cli("clv-report", "--by", "device", "--json")
    assert res.exit_code == 0, res.output
    assert '"effects": null' in res.output and "no visit data with a device" in res.output
    res = cli("clv-report", "--by", "weather")
    assert res.exit_code == 1 and "by must be one of" in res.output
