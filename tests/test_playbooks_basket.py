"""Association rules: identical to mlxtend on Groceries, bounded on huge baskets, invariants."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopperlens.models import association_rules, frequent_itemsets
from shopperlens.models.basket import RULE_METRICS, one_hot, read_basket_file

DATA = Path(__file__).parent / "data"

mlxtend = pytest.importorskip("mlxtend.frequent_patterns")

GROCERIES = DATA / "groceries_arules" / "groceries.csv"


@pytest.fixture(scope="module")
def groceries() -> list[list[str]]:
    return read_basket_file(GROCERIES)


@pytest.fixture(scope="module")
def groceries_onehot(groceries: list[list[str]]) -> pd.DataFrame:
    return one_hot(groceries)


def _same_rules(ours: pd.DataFrame, ref: pd.DataFrame) -> None:
    assert list(ours.columns) == list(ref.columns)
    assert set(zip(ours.antecedents, ours.consequents, strict=True)) == set(
        zip(ref.antecedents, ref.consequents, strict=True)
    )
    both = ours.merge(ref, on=["antecedents", "consequents"], suffixes=("", "_ref"))
    assert len(both) == len(ours) == len(ref)
    for col in RULE_METRICS:
        a, b = both[col].to_numpy(float), both[f"{col}_ref"].to_numpy(float)
        assert np.array_equal(np.isinf(a), np.isinf(b)), col
        fin = np.isfinite(a)
        np.testing.assert_allclose(a[fin], b[fin], rtol=0, atol=1e-9, err_msg=col)


def test_groceries_matches_arules_counts(groceries: list[list[str]]) -> None:
    """SOURCE.md: 9,835 transactions, 169 items, whole milk in 2,513 (R arules ``Groceries``)."""
    assert len(groceries) == 9835
    items = frequent_itemsets(groceries, min_support=1 / 9835, max_len=1)
    assert len(items) == 169
    milk = items.loc[items.itemsets == frozenset({"whole milk"}), "support"].item()
    assert milk == pytest.approx(2513 / 9835, abs=1e-12)


@pytest.mark.parametrize(
    ("min_support", "metric", "threshold"),
    [
        (0.05, "confidence", 0.1),
        (0.01, "lift", 1.0),
        (0.005, "confidence", 0.1),
        (0.002, "confidence", 0.3),
    ],
)
def test_groceries_identical_to_mlxtend(
    groceries: list[list[str]],
    groceries_onehot: pd.DataFrame,
    min_support: float,
    metric: str,
    threshold: float,
) -> None:
    """Same itemsets, same rules, metrics within 1e-9 of mlxtend 0.25's fpgrowth + rules."""
    ours = frequent_itemsets(groceries, min_support=min_support)
    ref = mlxtend.fpgrowth(groceries_onehot, min_support=min_support, use_colnames=True)
    assert dict(zip(ours.itemsets, ours.support, strict=True)) == pytest.approx(
        dict(zip(ref.itemsets, ref.support, strict=True)), abs=1e-12
    )
    n = len(groceries)
    _same_rules(
        association_rules(ours, metric=metric, min_threshold=threshold, num_itemsets=n),
        mlxtend.association_rules(ref, num_itemsets=n, metric=metric, min_threshold=threshold),
    )


def test_long_table_and_one_hot_inputs_agree(groceries: list[list[str]]) -> None:
    long = pd.DataFrame(
        [(f"o{i}", item) for i, basket in enumerate(groceries[:2000]) for item in basket],
        columns=["order_id", "product_id"],
    )
    a = frequent_itemsets(long, 0.01)
    b = frequent_itemsets(one_hot(groceries[:2000]), 0.01)
    c = frequent_itemsets(groceries[:2000], 0.01)

    def as_dict(df: pd.DataFrame) -> dict:
        return dict(zip(df.itemsets, df.support, strict=True))

    assert as_dict(a) == as_dict(b) == as_dict(c)


def test_max_len_matches_mlxtend(groceries: list[list[str]], groceries_onehot) -> None:
    ours = frequent_itemsets(groceries, 0.003, max_len=2)
    ref = mlxtend.fpgrowth(groceries_onehot, 0.003, use_colnames=True, max_len=2)
    assert set(ours.itemsets) == set(ref.itemsets)
    assert ours.itemsets.map(len).max() == 2


def _with_big_baskets(seed: int = 3) -> list[list[str]]:
    """2,000 ordinary baskets with planted pairs, plus 8 baskets of 60–80 items each."""
    rng = np.random.default_rng(seed)
    catalogue = [f"p{i:04d}" for i in range(3000)]
    baskets = []
    for _ in range(2000):
        k = int(rng.integers(1, 6))
        basket = list(rng.choice(catalogue[:60], size=k, replace=False))
        if rng.random() < 0.3:
            basket += ["bread", "butter"]
        baskets.append(basket)
    for _ in range(8):  # a wholesaler's orders: many items, mostly different ones
        basket = list(rng.choice(catalogue, size=int(rng.integers(60, 81)), replace=False))
        baskets.append([*basket, "bread", "butter", "jam"])
    return baskets


def test_big_baskets_rules_correct_and_memory_bounded() -> None:
    """A few 60+-item baskets: the same rules as mlxtend, in a few MB of Python memory."""
    baskets = _with_big_baskets()
    tracemalloc.start()
    ours = frequent_itemsets(baskets, min_support=0.003)
    rules = association_rules(ours, min_threshold=0.5)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 30 * 2**20
    ref = mlxtend.fpgrowth(one_hot(baskets), 0.003, use_colnames=True)
    assert set(ours.itemsets) == set(ref.itemsets)
    _same_rules(rules, mlxtend.association_rules(ref, metric="confidence", min_threshold=0.5))
    assert frozenset({"bread"}) in set(rules.antecedents)


def test_mlxtend_025_calls_port_as_written(groceries: list[list[str]]) -> None:
    """mlxtend 0.25's argument order (``num_itemsets`` second, then ``df_orig``,
    ``null_values``, ``metric`` …): the usual call, positional and keyword mixed, gives the same
    rules as the same call to mlxtend."""
    n = len(groceries)
    ours = frequent_itemsets(groceries, 0.01)
    ref = mlxtend.fpgrowth(one_hot(groceries), 0.01, use_colnames=True)
    _same_rules(
        association_rules(ours, n, metric="lift", min_threshold=1.5),
        mlxtend.association_rules(ref, n, metric="lift", min_threshold=1.5),
    )
    _same_rules(
        association_rules(ours, n, None, False, "confidence", 0.4),
        mlxtend.association_rules(ref, n, None, False, "confidence", 0.4),
    )


def test_exploding_output_stops_with_a_clear_error() -> None:
    """Two identical 40-item baskets at support 2/n have 2^40 frequent itemsets."""
    big = [f"i{k}" for k in range(40)]
    with pytest.raises(ValueError, match="min_support"):
        frequent_itemsets([big, big, ["x"]], min_support=0.5, max_itemsets=10_000)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="min_support"):
        frequent_itemsets([["a"]], min_support=0)
    with pytest.raises(ValueError, match="metric"):
        association_rules(frequent_itemsets([["a", "b"]], 0.5), metric="nope")
    with pytest.raises(ValueError, match="empty"):
        association_rules(frequent_itemsets([["a"], ["b"]], 0.9))


baskets_strategy = st.lists(
    st.lists(st.sampled_from("abcdefg"), min_size=1, max_size=6), min_size=1, max_size=40
)


@settings(max_examples=40, deadline=None)
@given(baskets=baskets_strategy, min_support=st.floats(0.05, 1.0))
def test_rule_invariants(baskets: list[list[str]], min_support: float) -> None:
    """confidence ≤ 1, support ≤ antecedent support, supports match a direct count."""
    items = frequent_itemsets(baskets, min_support=min_support)
    sets = [set(b) for b in baskets]
    for itemset, support in zip(items.itemsets, items.support, strict=True):
        assert support == sum(itemset <= s for s in sets) / len(sets)
        assert support >= min_support
    if len(items) and items.itemsets.map(len).max() >= 2:
        rules = association_rules(items, min_threshold=0.0)
        assert (rules.confidence <= 1 + 1e-12).all()
        assert (rules.support <= rules["antecedent support"] + 1e-12).all()
        assert (rules.support <= rules["consequent support"] + 1e-12).all()
        assert (rules.lift >= 0).all()


def test_rule_at_exactly_min_confidence_is_kept(store) -> None:  # type: ignore[no-untyped-def]
    """112 orders: 30 hold A, 3 of those also B, 82 only C. A → B has confidence 3/30 = 0.1,
    the default minimum, but as a ratio of supports (3/112)/(30/112) = 0.09999999999999999
    and the rule was dropped. Counted in whole orders it is kept, as mlxtend keeps it when
    told the number of orders; every rule and metric equals mlxtend's."""
    from shopperlens.service.playbooks import basket_rules
    from test_playbooks_shop import _insert

    baskets = [["A", "B"]] * 3 + [["A"]] * 27 + [["C"]] * 82
    assert (3 / 112) / (30 / 112) < 0.1  # the float edge the rule sat on
    _insert(store, "orders", [
        {"order_id": f"o{k}", "ordered_at": pd.Timestamp("2024-01-01")}
        for k in range(len(baskets))
    ])  # fmt: skip
    _insert(store, "order_lines", [
        {"order_id": f"o{k}", "line_no": i, "product_id": p, "quantity": 1, "unit_price": 1.0}
        for k, items in enumerate(baskets) for i, p in enumerate(items)
    ])  # fmt: skip
    ours = basket_rules(store=store)  # default: in 3 orders, confidence 0.1
    pairs = set(zip(ours.antecedents, ours.consequents, strict=True))
    assert (frozenset({"A"}), frozenset({"B"})) in pairs
    ref = mlxtend.association_rules(
        mlxtend.fpgrowth(one_hot(baskets), min_support=3 / 112, use_colnames=True),
        num_itemsets=len(baskets),
        metric="confidence",
        min_threshold=0.1,
    )
    _same_rules(ours, ref)


def test_confidence_count_forgives_float_error() -> None:
    """The fewest orders with A ∪ C for a confidence: ceil(share · count(A)) in whole orders."""
    from shopperlens.models.basket import confidence_count

    assert confidence_count(0.1, [30, 10, 29, 0]).tolist() == [3, 1, 3, 0]
    assert confidence_count(0.07, [100]).tolist() == [7]  # 0.07 * 100 is 7.000000000000001
    assert confidence_count(0.0, [5]).tolist() == [0]
