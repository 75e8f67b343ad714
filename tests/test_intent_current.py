"""A stored purchase-intent run stands only until events, sessions or orders are imported
after it: the next day's visitors were missing from it (and every page showing intent used it)
until someone ran ``shopperlens intent`` again."""

from __future__ import annotations

from pathlib import Path

import pytest

import shopperlens
from shopperlens.service import intent
from shopperlens.service.types_value import stored_intent

UCI = Path(__file__).parent / "data" / "online_shoppers_intention" / "online_shoppers_intention.csv"


@pytest.fixture(scope="module")
def two_days(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Sessions of the UCI file as a grown export: 300 without a purchase and 30 with one, then
    the same file with 100 more without (its session ids are its line numbers)."""
    head, *rows = UCI.read_text().splitlines()
    lookers = [r for r in rows if r.endswith(",FALSE")]
    buyers = [r for r in rows if r.endswith(",TRUE")]
    d = tmp_path_factory.mktemp("uci")
    first, second = d / "day1.csv", d / "day2.csv"
    first.write_text("\n".join([head, *lookers[:300], *buyers[:30]]) + "\n")
    second.write_text("\n".join([head, *lookers[:300], *buyers[:30], *lookers[300:400]]) + "\n")
    return first, second


def test_a_run_older_than_the_last_import_is_made_again(
    shop: shopperlens.Shop, two_days: tuple[Path, Path]
) -> None:
    first, second = two_days
    shop.import_sessions(first)
    assert len(intent.latest_intent(store=shop.store)) == 300
    assert intent.is_current(shop.store)
    assert len(intent.latest_intent(store=shop.store)) == 300  # read back, not made again
    shop.import_sessions(second)
    assert not intent.is_current(shop.store)
    assert stored_intent(store=shop.store, as_of=None) is None  # the types leave it out
    assert len(intent.latest_intent(store=shop.store)) == 400
    assert intent.is_current(shop.store) and shop.store.count("visitor_intent") == 400


def test_a_file_imported_again_changes_nothing_and_keeps_the_run(
    shop: shopperlens.Shop, two_days: tuple[Path, Path]
) -> None:
    first, _ = two_days
    shop.import_sessions(first)
    intent.latest_intent(store=shop.store)
    shop.import_sessions(first)  # recognised by its checksum: nothing new
    assert intent.is_current(shop.store) == (shop.store.scalar("SELECT count(*) FROM imports") == 1)


def test_the_types_show_intent_scored_again_after_an_import(tmp_path: Path) -> None:
    """A new visitor's events imported after the intent run: the current types score the
    lookers again, the newcomer among them, instead of showing no intent at all (an older
    run is no longer shown, see above)."""
    from _demo_data import demo_shop as cached_demo_shop
    from shopperlens import demo

    shop = shopperlens.open(":memory:")
    demo.load(shop.store, cached_demo_shop(1500))
    intent.visitor_intent(store=shop.store, save=True)
    last = shop.store.scalar("SELECT max(timestamp) FROM events")
    f = tmp_path / "new.csv"
    f.write_text(
        "event_id,session_id,visitor_id,timestamp,event_name,page,product_id\n"
        + "".join(
            f"n{k},ns1,v-new,{last:%Y-%m-%d} 10:0{k}:00,{name},/p/{k},{pid}\n"
            for k, (name, pid) in enumerate(
                [("page_view", ""), ("view_item", "P001"), ("view_item", "P002")]
            )
        )
    )
    shop.import_events(f)
    assert not intent.is_current(shop.store)
    typed = shop.latest_types()
    lookers = typed[typed["type"] == "looker"]
    assert lookers["intent"].notna().mean() > 0.5
    # the newcomer is scored (the types show intent for lookers; one page view is untyped)
    assert intent.is_current(shop.store)
    assert shop.store.scalar("SELECT count(*) FROM visitor_intent WHERE visitor_id = 'v-new'") == 1
    shop.close()


def test_a_run_is_dated_when_its_reading_starts(
    shop: shopperlens.Shop, two_days: tuple[Path, Path]
) -> None:
    """Stamped at the save, an import committed while the run scored looked older than the
    run, which then stood as current without that import's visitors."""
    from datetime import UTC, datetime

    first, _ = two_days
    shop.import_sessions(first)
    before = datetime.now(UTC).replace(tzinfo=None)
    intent.visitor_intent(store=shop.store, save=True)
    after = datetime.now(UTC).replace(tzinfo=None)
    stamp = shop.store.scalar("SELECT max(computed_at) FROM visitor_intent")
    assert before <= stamp and stamp - before < (after - before) / 2, (before, stamp, after)
