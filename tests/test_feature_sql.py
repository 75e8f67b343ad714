"""The features' SQL kept between runs: the same SQL as compiled afresh, for any date."""

from __future__ import annotations

from datetime import datetime, timedelta

import ibis
import pandas as pd
import pytest

from _types_shopkit import T0, ShopKit
from shopperlens.features import FeatureSpec, behaviour_features
from shopperlens.service import feature_sql as fs
from shopperlens.service import types as svc
from shopperlens.store import Store
from shopperlens.types import load_config


def small_shop(store: Store) -> None:
    kit = ShopKit().customer("c1", "v1").customer("c2", "v2")
    for day, term in ((10, "trail running shoe"), (80, "summitside shop")):
        kit.visit("v1", day, medium="organic", term=term, views=("p1",), cart=("p1",), buy=("p1",))
        kit.order("c1", day, ("p1",))
    for day in (5, 40, 41):
        kit.visit("v2", day, medium="paid_social", pages=3, views=("p2", "p3"), cart=("p2",))
    kit.visit("v3", 12, pages=5, views=("p4",))
    kit.order("c2", 90, ("p2", "p3"))
    kit.write(store)


@pytest.mark.parametrize(
    "as_of",
    [
        datetime(2025, 3, 1),
        datetime(2024, 2, 29, 23, 59, 59, 5),
        datetime(2031, 12, 31, 12, 0, 0, 999999),
    ],
)
@pytest.mark.parametrize("brand", [(), ("summitside",)])
def test_the_kept_sql_is_the_sql_compiled_for_the_runs_date(
    store: Store, as_of: datetime, brand: tuple[str, ...]
) -> None:
    small_shop(store)
    spec = FeatureSpec(brand_words=brand)
    kept = fs.compile_plan(store, spec, fs.STAND_IN_AS_OF)
    fresh = fs.compile_plan(store, spec, as_of)
    stand_in = fs.timestamp_sql(fs.STAND_IN_AS_OF)
    date = fs.timestamp_sql(as_of)
    for part in ("visits", "placed", "features"):
        template, compiled = getattr(kept, part), getattr(fresh, part)
        assert fs.bind(template, date) == compiled, part
    # the date is in the SQL, and only through the literal that is replaced
    assert stand_in in kept.visits and stand_in in kept.features
    assert date in fresh.features and stand_in not in fresh.features


def test_a_second_run_compiles_only_its_date_and_equals_the_expression_run_afresh(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_shop(store)
    svc.customer_types(store=store, as_of=T0 + timedelta(days=50), save=False)
    calls: list[object] = []
    to_sql = ibis.to_sql

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(args[0])
        return to_sql(*args, **kwargs)

    monkeypatch.setattr(ibis, "to_sql", counted)
    cut = T0 + timedelta(days=95)
    kept = svc.features(store=store, as_of=cut)
    # the features are neither built nor compiled: the kept SQL gets this run's date, the one
    # expression compiled
    assert [type(c) for c in calls] == [type(ibis.literal(cut).name("x"))]
    monkeypatch.setattr(ibis, "to_sql", to_sql)
    afresh = behaviour_features(store, as_of=cut, spec=load_config().feature_spec()).execute()
    key = ["subject_id"]
    pd.testing.assert_frame_equal(
        kept.sort_values(key).reset_index(drop=True),
        afresh.sort_values(key).reset_index(drop=True),
        check_dtype=False,
    )
    assert kept.set_index("subject_id").at["c2", "orders"] == 1  # the order of day 90 counts


def test_another_vocabulary_gets_sql_of_its_own(store: Store) -> None:
    small_shop(store)
    cut = T0 + timedelta(days=100)
    plain = svc.features(store=store, as_of=cut).set_index("subject_id")
    brand = load_config(vocabulary={"brand_words": ["summitside"]})
    branded = svc.features(store=store, as_of=cut, config=brand).set_index("subject_id")
    assert (plain.at["c1", "brand_terms"], branded.at["c1", "brand_terms"]) == (0, 1)
    assert fs.kept_plan(store, load_config().feature_spec()) is not None
    assert fs.kept_plan(store, brand.feature_spec()) is not None


def test_a_store_whose_tables_differ_gets_sql_of_its_own(store: Store) -> None:
    small_shop(store)
    svc.features(store=store, as_of=T0 + timedelta(days=100))
    assert fs.kept_plan(store, load_config().feature_spec()) is not None
    store.execute("ALTER TABLE tickets ADD COLUMN priority INTEGER")
    assert fs.kept_plan(store, load_config().feature_spec()) is None
