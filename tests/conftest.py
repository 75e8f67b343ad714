"""Shared fixtures: real stores (in-memory DuckDB), the CLI runner, the HTTP client, Spark."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import shopperlens
from _zones import ZONES, in_zone
from shopperlens.store import Store, connect

DATA = Path(__file__).parent / "data"
TOKEN = "test-token"


@pytest.fixture
def store() -> Iterator[Store]:
    s = connect(":memory:")
    yield s
    s.close()


@pytest.fixture
def shop() -> Iterator[shopperlens.Shop]:
    s = shopperlens.open(":memory:")
    yield s
    s.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "shop.duckdb"


@pytest.fixture
def cli(db_path: Path):  # type: ignore[no-untyped-def]
    """Run the CLI in-process against a temporary store: ``cli("tables")`` returns the result."""
    from typer.testing import CliRunner

    from shopperlens.cli import app

    runner = CliRunner()

    def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(app, ["--db", str(db_path), *args], input=input)

    return run


@contextmanager
def _api_client(shop: shopperlens.Shop):  # type: ignore[no-untyped-def]
    """A TestClient on the API over ``shop``, sending the token."""
    from fastapi.testclient import TestClient

    from shopperlens.config import Settings
    from shopperlens.web.app import create_app

    app = create_app(Settings(token=TOKEN), shop=shop)
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        yield c


@pytest.fixture
def client(shop: shopperlens.Shop):  # type: ignore[no-untyped-def]
    """A TestClient on the API over the ``shop`` fixture, sending the token."""
    with _api_client(shop) as c:
        yield c


@pytest.fixture
def file_shop(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A shop in a DuckDB file with the built-in surveys (its rejects files go beside it) and
    a client on its API."""
    from shopperlens.service import surveys

    shop = shopperlens.open(tmp_path / "shop.duckdb")
    surveys.ensure_builtin(store=shop.store)
    with _api_client(shop) as c:
        yield shop, c
    shop.close()


def finished_job(client, job_id: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    """Poll ``GET /api/jobs/{id}`` until the job is done or failed (at most 20 s)."""
    import time

    for _ in range(400):
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job  # type: ignore[no-any-return]
        time.sleep(0.05)
    return job  # type: ignore[no-any-return]


@pytest.fixture
def smtp():  # type: ignore[no-untyped-def]
    """``(server, settings)``: a :class:`_smtp.SmtpSink` listening on 127.0.0.1 and the settings
    that mail through it (signed links, a public address customers could reach)."""
    controller = pytest.importorskip("aiosmtpd.controller")
    from _smtp import SmtpSink
    from shopperlens.config import Settings
    from shopperlens.web.server import free_port

    server = SmtpSink()
    server.port = free_port()
    ctl = controller.Controller(server, hostname="127.0.0.1", port=server.port)
    ctl.start()
    yield (
        server,
        Settings(
            smtp_host="127.0.0.1",
            smtp_port=server.port,
            secret_key="k3y",
            public_url="http://shop.test",
        ),
    )
    ctl.stop()


#: modules whose own module-scoped fixture builds a whole shop or report (10–40 s): their tests
#: run on one worker, so the fixture is built once rather than once per worker
SHARED_FIXTURE_MODULES = frozenset(
    {
        "test_report_glossary.py",
        "test_dashboard_browser_fixes.py",
        "test_types_value.py",
        "test_report_print_browser.py",
        "test_models_intent.py",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """With ``-n 2 --dist loadgroup`` (``make test``) every Spark test runs on one worker,
    which starts the one Spark session they share (a second would cost ~17 s and a JVM); so
    do the tests of each of :data:`SHARED_FIXTURE_MODULES`."""
    for item in items:
        if item.get_closest_marker("spark"):
            item.add_marker(pytest.mark.xdist_group("spark"))
        elif item.path.name in SHARED_FIXTURE_MODULES:
            item.add_marker(pytest.mark.xdist_group(item.path.name))


@pytest.fixture(scope="session")
def spark():  # type: ignore[no-untyped-def]
    """One local Spark session for the whole test run (it takes ~17 s to start)."""
    pyspark = pytest.importorskip("pyspark.sql")
    session = (
        pyspark.SparkSession.builder.master("local[2]")
        .appName("shopperlens-tests")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian chromium, one per test module (see ``_browser.chromium``)."""
    from _browser import chromium

    with chromium() as b:
        yield b


@pytest.fixture(params=ZONES)
def machine_zone(request: pytest.FixtureRequest) -> Iterator[str]:
    """The process runs west (New York) and east (Berlin) of UTC in turn (``TZ``, restored
    after): what shopperlens stores must not depend on the machine's zone."""
    with in_zone(request.param) as name:
        yield name
