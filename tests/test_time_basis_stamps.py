"""The times shopperlens stamps on its own work are naive UTC, as every stored time is.

A job's start and end, the erasure ledger, a persona run, an intent run, an analytics or
interview import and the report's footer were stamped with the machine's local clock, while
the imports ledger, the survey answers and the runs of types and CLV are in UTC: on a New York
machine a job that imported a file ended five hours before the import it made, and the report
said it was generated before the imports it lists. As in ``test_time_basis``, each test runs
with ``TZ`` set to a zone west of UTC (New York) and one east of it (Berlin); a day's start is
checked in zones far enough out (UTC+14, UTC-11) that one of them is always on another date.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import shopperlens
from _zones import in_zone, zoned_shop
from shopperlens.features import default_as_of
from shopperlens.reports import site
from shopperlens.service import audience, imports, intent, interviews, personas
from shopperlens.service.jobs import JobRunner
from shopperlens.store import Store, connect
from test_partial_data import page
from test_upgrade import old_store

#: UTC+14 and UTC-11: at every hour one of them is on another date than UTC
FAR_ZONES = ("Pacific/Kiritimati", "Pacific/Pago_Pago")
DATA = Path(__file__).parent / "data"
UCI = DATA / "online_shoppers_intention" / "online_shoppers_intention.csv"


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@pytest.fixture(params=FAR_ZONES)
def far_zone(request: pytest.FixtureRequest) -> Iterator[str]:
    with in_zone(request.param) as name:
        yield name


@pytest.fixture
def shop(machine_zone: str) -> Iterator[shopperlens.Shop]:
    with zoned_shop(machine_zone) as s:
        yield s


def _within(before: datetime, stamps: list[datetime], after: datetime) -> bool:
    return bool(stamps) and all(before <= t <= after for t in stamps)


ORDERS = (
    "order_id,customer_id,email,ordered_at,product_id,quantity,unit_price\n"
    "o1,C1,ann@example.org,2024-05-01 10:00,p1,1,20\n"
    "o2,C2,bo@example.org,2024-05-02 11:00,p2,2,15\n"
)


def _orders_file(tmp_path: Path) -> Path:
    f = tmp_path / "orders.csv"
    f.write_text(ORDERS)
    return f


# -- jobs -----------------------------------------------------------------------------------
def test_a_job_started_and_ended_around_the_import_it_made(
    machine_zone: str, tmp_path: Path
) -> None:
    """An import job is queued, imports (the ledger stamps ``imported_at`` in UTC) and ends:
    its times hold the import's between them. In New York the job ended five hours before
    its own import; in Berlin it was queued an hour after it."""
    store = connect(":memory:")
    runner = JobRunner()
    before = utc_now()
    job = runner.submit(
        "import", imports.import_files, store=store, kind="orders", paths=[_orders_file(tmp_path)]
    )
    done = runner.wait(job.job_id)
    after = utc_now()
    runner.shutdown()
    assert done.status == "done", done.message
    imported_at = store.scalar("SELECT imported_at FROM imports")
    assert before <= done.created_at <= imported_at <= done.finished_at <= after, (
        before,
        done.created_at,
        imported_at,
        done.finished_at,
        after,
    )
    store.close()


def test_a_failed_job_ends_in_utc(machine_zone: str, tmp_path: Path) -> None:
    store = connect(":memory:")
    runner = JobRunner()
    before = utc_now()
    job = runner.submit(
        "import", imports.import_files, store=store, kind="orders", paths=[tmp_path / "none.csv"]
    )
    failed = runner.wait(job.job_id)
    after = utc_now()
    runner.shutdown()
    store.close()
    assert failed.status == "failed"
    assert failed.finished_at is not None
    assert _within(before, [failed.created_at, failed.finished_at], after), (before, failed, after)


# -- the erasure ledger ---------------------------------------------------------------------
def test_an_erasure_is_dated_in_utc_in_its_report_and_the_ledger(
    machine_zone: str, tmp_path: Path
) -> None:
    """The report's ``erased_at``, the ledger's and the rewrite's ``compacted_at`` (a store in
    a file is rewritten without the rows) are the moment of the erase in UTC."""
    with shopperlens.open(tmp_path / "shop.duckdb") as shop:
        shop.import_orders(_orders_file(tmp_path))
        before = utc_now()
        report = shop.erase_customer("C1")
        after = utc_now()
        ((erased_at, compacted_at),) = shop.store.execute(
            "SELECT erased_at, compacted_at FROM erasures"
        ).fetchall()
    assert report.total > 0
    assert _within(before, [report.erased_at, erased_at, compacted_at], after), (
        before,
        report.erased_at,
        erased_at,
        compacted_at,
        after,
    )


def test_the_upgrade_dates_an_older_release_s_erasure_in_utc(
    machine_zone: str, tmp_path: Path
) -> None:
    """A store from before the ledger gets a ledger row when it is upgraded, and its rewrite
    on that open is stamped too: both in UTC."""
    path = tmp_path / "old.duckdb"
    old_store(path, below=11)
    before = utc_now()
    with connect(path) as store:
        rows = store.execute("SELECT erased_at, compacted_at FROM erasures").fetchall()
    after = utc_now()
    assert len(rows) == 1
    assert _within(before, list(rows[0]), after), (before, rows, after)


# -- persona runs ---------------------------------------------------------------------------
ANSWERS = {
    "a": {"values": "price", "barrier": "price", "hobbies": "diy", "motivation": "save_money"},
    "b": {"values": "quality", "barrier": "trust", "hobbies": "reading",
          "motivation": "best_quality"},
}  # fmt: skip


def test_a_persona_run_is_dated_in_utc(shop: shopperlens.Shop) -> None:
    """Two planted groups of 20 respondents; the run's time as built, stored and listed."""
    import pandas as pd

    frame = pd.DataFrame(
        [{"respondent": f"{g}{i}", **ANSWERS[g]} for g in ANSWERS for i in range(20)]
    )
    before = utc_now()
    run = personas.build(store=shop.store, frame=frame, k=2, n_resamples=0)
    after = utc_now()
    stored = shop.store.scalar("SELECT created_at FROM persona_runs")
    (listed,) = personas.runs(store=shop.store)
    assert _within(before, [run.created_at, stored, listed.created_at], after), (
        before,
        run.created_at,
        stored,
        after,
    )


# -- intent, analytics and interview imports ------------------------------------------------
@pytest.fixture(scope="module")
def uci_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 sessions of the UCI file without a purchase and its first 30 with one."""
    head, *rows = UCI.read_text().splitlines()
    sample = [r for r in rows if r.endswith(",FALSE")][:300]
    sample += [r for r in rows if r.endswith(",TRUE")][:30]
    f = tmp_path_factory.mktemp("uci") / "online_shoppers_intention.csv"
    f.write_text("\n".join([head, *sample]) + "\n")
    return f


def test_an_intent_run_is_dated_in_utc(shop: shopperlens.Shop, uci_sample: Path) -> None:
    shop.import_sessions(uci_sample)
    before = utc_now()
    scored = intent.visitor_intent(store=shop.store, save=True)
    after = utc_now()
    stamps = [r[0] for r in shop.store.execute("SELECT computed_at FROM visitor_intent").fetchall()]
    assert len(stamps) == len(scored) == 300
    assert _within(before, stamps, after), (before, stamps[:1], after)


def test_analytics_and_interview_imports_are_dated_in_utc(
    shop: shopperlens.Shop, tmp_path: Path
) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "n1.md").write_text('# Interview 1 (prospect)\n\n> "I compare prices first."\n')
    before = utc_now()
    audience.import_analytics(store=shop.store, path=DATA / "ga4_audience" / "ga4_age.csv")
    interviews.import_notes(store=shop.store, paths=[notes])
    after = utc_now()
    stamps = [
        r[0]
        for sql in (
            "SELECT imported_at FROM analytics_audience",
            "SELECT imported_at FROM interview_notes",
        )
        for r in shop.store.execute(sql).fetchall()
    ]
    assert len(stamps) > 1
    assert _within(before, stamps, after), (before, stamps, after)


# -- the day of a shop without orders or events ---------------------------------------------
def _day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def test_a_shop_without_orders_or_events_is_as_of_today_in_utc(
    far_zone: str, uci_sample: Path
) -> None:
    """A shop holding a sessions file only has no newest order or event: its date is the
    start of today in UTC, the day the stored times are counted in (the machine's date was
    tomorrow's in UTC+14 for ten hours of every day, yesterday's in UTC-11 for eleven)."""
    with shopperlens.open(":memory:") as shop:
        shop.import_sessions(uci_sample)
        before = _day(utc_now())
        got = default_as_of(shop.store)
        after = _day(utc_now())
    assert got in (before, after), (far_zone, got, before)


# -- the report's footer --------------------------------------------------------------------
GENERATED = re.compile(r"Generated (\d{4}-\d\d-\d\d \d\d:\d\d)( UTC)? ·")


def test_the_report_says_it_was_made_after_the_imports_it_lists(
    shop: shopperlens.Shop, tmp_path: Path
) -> None:
    """The front page lists the imports with their UTC times and says when it was generated:
    in UTC, and so said. In New York it said it was generated five hours before the import
    listed above its footer."""
    shop.import_orders(_orders_file(tmp_path))
    imported_at = shop.store.scalar("SELECT imported_at FROM imports")
    before = utc_now()
    html = page(shop.store, "index")
    after = utc_now()
    assert html is not None
    assert f"{imported_at:%Y-%m-%d %H:%M}" in html  # the import, as the front page lists it
    found = GENERATED.search(html)
    assert found is not None, html[-600:]
    generated = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M")
    minute = timedelta(minutes=1)
    assert imported_at - minute < generated, (imported_at, generated)
    assert before - minute < generated <= after, (before, generated, after)
    assert found.group(2) == " UTC", found.group(0)


def test_a_page_whose_data_are_missing_says_when_in_utc(machine_zone: str, store: Store) -> None:
    before = utc_now()
    p = site.find("personas")
    assert p is not None
    html = site.render_missing(p, [])
    after = utc_now()
    found = GENERATED.search(html)
    assert found is not None and found.group(2) == " UTC", html[-600:]
    generated = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M")
    assert before - timedelta(minutes=1) < generated <= after, (before, generated, after)
