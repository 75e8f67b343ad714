"""The playbook pages' kept context, and what a shop computes once however many ask at once.

The five playbook pages share one context that takes minutes on a shop of 100,000 customers:
the dashboard keeps it while the data are unchanged (its need-based page and that page's JSON
twin computed it twice), a look-back read of the types (a run stored as of an old date) does
not throw it away, a new store never gets an old one's numbers, and requests that overlap wait
for one computation rather than each making their own (and each storing a types run).
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import shopperlens
from _demo_data import demo_shop
from conftest import _api_client
from shopperlens.demo import load
from shopperlens.reports import pages_playbooks as pp
from shopperlens.reports import site
from shopperlens.service import clv as clv_svc
from shopperlens.service import types as types_svc
from shopperlens.service import value_run
from shopperlens.store import Store, connect
from test_playbooks_shop import fill

NEED_BASED = "playbook-need-based"
LOOKER = "playbook-looker"


def _slowed(real: Callable[..., Any], calls: list[int]) -> Callable[..., Any]:
    """``real``, counted in ``calls`` and slowed, so requests sent together overlap in it."""

    def slow(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        time.sleep(0.4)
        return real(*args, **kwargs)

    return slow


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """One item per computation of the pages' context, each slowed (the cache starts empty)."""
    calls: list[int] = []
    monkeypatch.setattr(pp, "_compute", _slowed(pp._compute, calls))
    pp._CACHE.clear()
    yield calls
    pp._CACHE.clear()


@pytest.fixture
def filled(shop: shopperlens.Shop) -> shopperlens.Shop:
    fill(shop.store)
    return shop


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo shop (enough purchase history for the CLV model), stored once."""
    path = tmp_path_factory.mktemp("cache") / "demo.duckdb"
    with connect(path) as store:
        load(store, demo_shop(600))
    return path


@pytest.fixture
def demo(demo_db: Path, tmp_path: Path) -> Iterator[shopperlens.Shop]:
    """A copy of the demo shop of its own (what a test stores stays in it)."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, path)
    shop = shopperlens.open(path)
    yield shop
    shop.close()


def _build(store: Store, slug: str) -> dict[str, Any]:
    page = site.find(slug)
    assert page is not None
    ctx = page.build(store, None)
    assert ctx is not None
    return ctx


def _current_runs(store: Store) -> int:
    """The stored types runs as of the shop's current date."""
    now = types_svc.default_as_of(store)
    return int(store.scalar("SELECT count(*) FROM type_runs WHERE as_of = ?", [now]))


def test_dashboard_need_based_page_and_its_json_twin_compute_once(
    filled: shopperlens.Shop, client: Any, computed: list[int]
) -> None:
    html = client.get(f"/dashboard/{NEED_BASED}.html")
    twin = client.get(f"/dashboard/{NEED_BASED}.json")
    again = client.get(f"/dashboard/{NEED_BASED}.html")
    assert html.status_code == twin.status_code == again.status_code == 200
    assert len(computed) == 1


def test_a_report_computes_its_own_context_once(
    filled: shopperlens.Shop, computed: list[int], tmp_path: Path
) -> None:
    """A report never shows numbers kept from before it began, and its five pages share one
    computation; the dashboard then reuses the report's while the data are unchanged."""
    _build(filled.store, LOOKER)
    assert len(computed) == 1
    site.write_report(filled.store, tmp_path / "one")
    assert len(computed) == 2
    site.write_report(filled.store, tmp_path / "two")
    assert len(computed) == 3
    _build(filled.store, NEED_BASED)
    assert len(computed) == 3


def test_a_look_back_types_read_keeps_the_context(
    filled: shopperlens.Shop, client: Any, computed: list[int]
) -> None:
    assert client.get(f"/dashboard/{LOOKER}.json").status_code == 200
    runs = filled.store.count("type_runs")
    assert client.get("/api/types", params={"as_of": "2024-02-01", "limit": 1}).status_code == 200
    assert filled.store.count("type_runs") == runs + 1  # a run as of that date was stored
    assert client.get(f"/dashboard/{LOOKER}.json").status_code == 200
    assert len(computed) == 1


def test_a_data_change_computes_the_context_again(
    filled: shopperlens.Shop, computed: list[int]
) -> None:
    _build(filled.store, LOOKER)
    filled.store.con.execute("UPDATE customers SET accepts_marketing = NULL")
    _build(filled.store, LOOKER)
    assert len(computed) == 2


def test_a_new_store_never_gets_a_freed_stores_numbers(
    computed: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two stores alike in every count: the second is computed for itself even when it is given
    the first one's ``id()`` (as a new object may be once the old one is freed)."""
    monkeypatch.setattr(pp, "id", lambda obj: 1, raising=False)
    for _ in range(2):
        with connect(":memory:") as store:
            fill(store)
            _build(store, LOOKER)
    assert len(computed) == 2


def test_pages_opened_together_compute_once_and_store_one_types_run(
    filled: shopperlens.Shop,
    client: Any,
    computed: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runs: list[int] = []
    monkeypatch.setattr(types_svc, "customer_types", _slowed(types_svc.customer_types, runs))
    slugs = [NEED_BASED, LOOKER, NEED_BASED, "playbook-loyal"]
    with ThreadPoolExecutor(len(slugs)) as pool:
        answers = list(pool.map(lambda s: client.get(f"/dashboard/{s}.json"), slugs))
    assert [a.status_code for a in answers] == [200] * len(slugs)
    assert len(computed) == 1
    assert len(runs) == 1
    assert _current_runs(filled.store) == 1


def test_latest_types_asked_together_store_one_run(
    filled: shopperlens.Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[int] = []
    monkeypatch.setattr(types_svc, "customer_types", _slowed(types_svc.customer_types, runs))
    start = threading.Barrier(3)

    def latest(_: int) -> int:
        start.wait()
        return len(types_svc.latest_types(store=filled.store))

    with ThreadPoolExecutor(3) as pool:
        sizes = list(pool.map(latest, range(3)))
    assert len(set(sizes)) == 1
    assert len(runs) == 1
    assert _current_runs(filled.store) == 1


def test_current_clv_run_asked_together_is_fitted_once(
    demo: shopperlens.Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    fits: list[int] = []
    monkeypatch.setattr(clv_svc, "customer_value", _slowed(clv_svc.customer_value, fits))
    start = threading.Barrier(3)

    def ensure(_: int) -> str | None:
        start.wait()
        return value_run.ensure_current(store=demo.store)

    with ThreadPoolExecutor(3) as pool:
        gates = list(pool.map(ensure, range(3)))
    assert gates == [None] * 3
    assert len(fits) == 1
    assert value_run.is_current(store=demo.store)


@pytest.mark.parametrize("path", ["/api/clv", "/api/intent"])
def test_clv_and_intent_read_on_with_offset(demo: shopperlens.Shop, path: str) -> None:
    with _api_client(demo) as client:
        _read_on(client, path)


def _read_on(client: Any, path: str) -> None:
    every = client.get(path, params={"limit": 100_000})
    assert every.status_code == 200, every.text
    rows = every.json()
    assert len(rows) >= 3
    assert every.headers["X-Shopperlens-Total"] == str(len(rows))
    page = client.get(path, params={"limit": 2, "offset": 1})
    assert page.json() == rows[1:3]
    assert page.headers["X-Shopperlens-Total"] == str(len(rows))
    assert client.get(path, params={"offset": len(rows)}).json() == []
    assert client.get(path, params={"offset": 1, "limit": 100_000}).json() == rows[1:]
    assert client.get(path, params={"offset": -1}).status_code == 422


def test_the_pages_context_builds_the_visits_once(
    filled: shopperlens.Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dashboard's context reads the visits once between its analyses, as a written
    report does: each analysis built them from every event again (eight times a page)."""
    from shopperlens.playbooks import visits

    built: list[int] = []
    real = visits.sessions_sql

    def counted(events: str) -> str:
        built.append(1)
        return real(events)

    monkeypatch.setattr(visits, "sessions_sql", counted)
    assert pp._compute(filled.store) is not None
    assert len(built) == 1


def test_the_pages_context_finds_the_carts_and_together_lists_once(
    filled: shopperlens.Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page lists the abandoned carts and the "frequently bought together" lists its
    playbook counts: both are found once per context (each was found twice, the carts about
    7 CPU-s on a shop of 100,000 customers), and the page's figures still agree."""
    from shopperlens.playbooks import checkout
    from shopperlens.service import playbooks as svc

    carts: list[int] = []
    together: list[int] = []
    monkeypatch.setattr(checkout, "abandoned_carts", _counted(checkout.abandoned_carts, carts))
    monkeypatch.setattr(svc, "together_expr", _counted(svc.together_expr, together))
    context = pp._compute(filled.store)
    assert context is not None
    assert (len(carts), len(together)) == (1, 1)
    listed = context["together"].product_id.nunique()
    assert listed > 0
    assert any(f"{listed:,} products have a" in str(a) for a in context["playbook"].actions)
    assert len(context["carts"]) > 0


def _counted(real: Callable[..., Any], calls: list[int]) -> Callable[..., Any]:
    """``real``, counted in ``calls``."""

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    return counted
