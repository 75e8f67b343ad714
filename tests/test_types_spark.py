"""The same features and types on DuckDB and on a local Spark session (Ibis, one expression)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from _types_shopkit import T0, ShopKit
from shopperlens.features import behaviour_features
from shopperlens.store import Store
from shopperlens.types import classify, load_config
from test_types_features import EDGES, small_shop, strip_pairs

pytestmark = pytest.mark.spark


def test_features_and_types_match_duckdb(store: Store, spark) -> None:  # type: ignore[no-untyped-def]
    from shopperlens.store.spark import spark_source

    kit = small_shop()
    kit.customer("c2", "v2")
    for day in (2, 50, 100):
        kit.visit("v2", day, medium="paid_social", campaign="flash", views=("p3",),
                  cart=("p3",), buy=("p3",), minutes=3)  # fmt: skip
        kit.order("c2", day, ("p3",), discount="FLASH20")
        kit.ticket("c2", day + 1)
    kit.write(store)
    cfg = load_config()
    as_of = T0 + timedelta(days=200)
    duck = behaviour_features(store, as_of=as_of, spec=cfg.feature_spec()).execute()
    with spark_source(store, spark) as src:
        sp = behaviour_features(src, as_of=as_of, spec=cfg.feature_spec()).execute()
    pd.testing.assert_frame_equal(
        duck.reset_index(drop=True), sp.reset_index(drop=True), check_dtype=False, rtol=1e-9
    )
    assert len(duck) == 3
    pd.testing.assert_frame_equal(classify(duck, cfg), classify(sp, cfg), check_dtype=False)


def test_service_runs_on_spark(store: Store, spark) -> None:  # type: ignore[no-untyped-def]
    from shopperlens.service import types as svc

    ShopKit().customer("c1").visit("v3", 1, pages=6).write(store)
    df = svc.customer_types(store=store, engine="spark", spark_session=spark)
    assert df["type"].tolist() == ["untyped", "looker"]
    assert store.scalar("SELECT engine FROM type_runs") == "spark"


def test_fast_strip_matches_python_on_spark(spark) -> None:  # type: ignore[no-untyped-def]
    """Spark cut "vest" to "est": compared with Python's strip, not with Ibis' (which erred
    the same way on Spark)."""
    import ibis

    out = strip_pairs(ibis.pyspark.connect(spark))
    given = [s is not None for s in EDGES]  # (a None reaches Spark's memtable as "NaN")
    assert out["fast"][given].tolist() == out["python"][given].tolist()
    assert len(out) == len(EDGES)
    assert out.attrs["words"] == ["ff", "five", "fluffy", "leaf", "scarf", "stormproof", "vest"]


def test_words_of_any_script_match_python_on_spark(spark) -> None:  # type: ignore[no-untyped-def]
    """Spark's Java regex reads ``\\p{L}`` and ``\\p{N}`` as DuckDB's RE2 does."""
    import ibis

    from test_unicode_words import engine_words, python_words

    assert engine_words(ibis.pyspark.connect(spark)) == python_words()


def test_orders_without_purchase_events_match_duckdb(store: Store, spark) -> None:  # type: ignore[no-untyped-def]
    """The visits orders were placed in (no purchase event) are the same on both engines."""
    from shopperlens.store.spark import spark_source

    kit = ShopKit().customer("c1", "v1").customer("c2", "v2")
    kit.visit("v1", 1, medium="paid_social", campaign="flash", views=("p3",), cart=("p3",))
    kit.visit("v1", 3, views=("p1", "p2"), cart=("p1",), minutes=50)
    kit.visit("v2", 3, cart=("p1",), buy=("p1",))
    for cid, day in (("c1", 1), ("c1", 3), ("c2", 3)):
        kit.order(cid, day, ("p3",))  # an hour after the visit starts
    kit.write(store)
    # one order given by its day only; c2's order has its purchase event
    store.execute(
        "UPDATE orders SET ordered_at = date_trunc('day', ordered_at) "
        "WHERE customer_id = 'c1' AND ordered_at < ?",
        [T0 + timedelta(days=2)],
    )
    spec = load_config().feature_spec()
    as_of = T0 + timedelta(days=30)
    duck = behaviour_features(store, as_of=as_of, spec=spec).execute()
    with spark_source(store, spark) as src:
        sp = behaviour_features(src, as_of=as_of, spec=spec).execute()
    pd.testing.assert_frame_equal(
        duck.reset_index(drop=True), sp.reset_index(drop=True), check_dtype=False, rtol=1e-9
    )
    assert duck.set_index("subject_id").loc["c1", "purchase_visits"] == 2
