"""`shopperlens check`, ``Shop.readiness()`` and ``GET /api/readiness``: what a shop's data can
support, on the stores owners really have (only orders, only events, only sessions, the demo,
nothing), and the same verdict as each capability's own minimum on borderline data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import shopperlens
from _demo_data import demo_shop
from _ingest_data import GA4, SHOPIFY, UCI
from shopperlens.config import Settings
from shopperlens.demo import SURVEY_NAME, load, write_files
from shopperlens.errors import InsufficientDataError, ShopperlensError
from shopperlens.models._base import MIN_CUSTOMERS
from shopperlens.playbooks.checkout import MIN_SAMPLE
from shopperlens.playbooks.generator import MIN_TOGETHER
from shopperlens.service import clv, intent, playbooks, surveys
from shopperlens.service.readiness import STATUSES, readiness
from shopperlens.store import Store

GA4_AUDIENCE = Path(__file__).parent / "data" / "ga4_audience"
MAIL = Settings(secret_key="k3y", public_url="https://survey.example.com")


def _statuses(store: Store, settings: Settings = MAIL) -> dict[str, str]:
    return {c.name: c.status for c in readiness(store=store, settings=settings).capabilities}


def _every_answer_is_whole(store: Store) -> None:
    for c in readiness(store=store, settings=MAIL).capabilities:
        assert c.status in STATUSES
        assert c.figure and c.next_step.startswith("shopperlens "), c


# -- the stores owners have -------------------------------------------------------------------
def test_an_empty_store_is_told_what_to_import_first(shop) -> None:  # type: ignore[no-untyped-def]
    answer = shop.readiness()
    assert {c.status for c in answer.capabilities} <= {"missing", "limited"}
    assert answer.status("surveys") == "limited"  # the link and pop-up need no data
    by = {c.name: c for c in answer.capabilities}
    assert by["clv"].next_step == "shopperlens import orders FILE"
    assert by["intent"].next_step == "shopperlens import events FILE"
    assert by["session_types"].next_step == "shopperlens import sessions FILE"
    _every_answer_is_whole(shop.store)


def test_only_a_shopify_orders_export(shop) -> None:  # type: ignore[no-untyped-def]
    shop.import_orders(SHOPIFY)
    got = _statuses(shop.store)
    assert got["customer_types"] == "limited"
    assert got["intent"] == got["funnel"] == got["session_types"] == "missing"
    assert got["clv"] == "missing"  # a handful of buyers: below the models' gate
    types = shop.readiness().capabilities[0]
    assert "no visit data (events): no need-based shoppers or lookers" in types.figure
    assert types.next_step == "shopperlens import events FILE"
    clv_line = next(c for c in shop.readiness().capabilities if c.name == "clv")
    assert f"(need {MIN_CUSTOMERS})" in clv_line.figure
    _every_answer_is_whole(shop.store)


def test_only_ga4_events(shop) -> None:  # type: ignore[no-untyped-def]
    shop.import_events(GA4)
    got = _statuses(shop.store)
    assert got["customer_types"] == "limited"  # no orders: no new, loyal or impulse buyers
    assert got["clv"] == got["basket_rules"] == got["threshold"] == "missing"
    assert got["funnel"] == "limited"  # a few visits: drop-offs given as counts
    assert got["intent"] == "missing"
    _every_answer_is_whole(shop.store)


def test_events_of_page_views_only_have_no_funnel(shop) -> None:  # type: ignore[no-untyped-def]
    """Events without a product view, cart, checkout or purchase: ``funnel`` shows 0 at
    every step, so the funnel is missing, not ready for 30+ visits nor limited for fewer."""
    shop.import_events(GA4)
    shop.store.execute("DELETE FROM events WHERE event_name NOT IN ('page_view', 'session_start')")
    assert shop.funnels(by=None)["sessions"].sum() == 0
    line = next(c for c in shop.readiness().capabilities if c.name == "funnel")
    assert line.status == "missing"
    assert "none with a product view, cart, checkout or purchase" in line.figure
    assert line.next_step == "shopperlens import events FILE"


def test_only_the_uci_sessions_file(shop) -> None:  # type: ignore[no-untyped-def]
    shop.import_sessions(UCI)
    got = _statuses(shop.store)
    assert got["session_types"] == got["intent"] == "ready"
    assert got["customer_types"] == got["clv"] == got["funnel"] == "missing"
    by = {c.name: c for c in shop.readiness().capabilities}
    # no orders at all: not "more buyers, a longer history"
    assert by["clv"].next_step == by["clv_report"].next_step == "shopperlens import orders FILE"
    _every_answer_is_whole(shop.store)


def test_online_retail_without_addresses_is_told_to_import_its_customers(
    shop, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The Online Retail orders name customers but hold no e-mail address: a consent file can
    only name customers already held, so the step that adds invitable people is the
    customers file, and importing it moves the survey line."""
    from test_online_retail_uci import FIRST_1000, MAP

    shop.settings = MAIL
    shop.import_orders(
        FIRST_1000, mapping=MAP, dates="day-first", currency="GBP", negative_lines="returns"
    )
    by = {c.name: c for c in shop.readiness().capabilities}
    assert by["surveys"].status == by["interviews"].status == "limited"
    assert (
        by["surveys"].next_step == by["interviews"].next_step == "shopperlens import customers FILE"
    )
    ids = shop.store.df("SELECT DISTINCT customer_id FROM orders WHERE customer_id IS NOT NULL")
    (tmp_path / "customers.csv").write_text(
        "customer_id,email,accepts_marketing\n"
        + "".join(f"{c},c{c}@example.com,true\n" for c in ids["customer_id"]),
        "utf-8",
    )
    shop.import_customers(tmp_path / "customers.csv")
    assert shop.readiness().status("surveys") == shop.readiness().status("interviews") == "ready"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo shop with its survey answers and its GA4 exports (what ``shopperlens demo``
    imports)."""
    from shopperlens.service import audience

    folder = tmp_path_factory.mktemp("readiness")
    demo = demo_shop(600)
    with shopperlens.open(folder / "demo.duckdb") as shop:
        load(shop.store, demo)
        surveys.ensure_builtin(store=shop.store, name=SURVEY_NAME)
        survey = write_files(demo, folder / "data")["survey"]
        surveys.import_survey_csv(store=shop.store, survey=SURVEY_NAME, path=survey)
        for f in audience.write_demo_exports(store=shop.store, directory=folder / "analytics"):
            if not f.name.startswith("competitor"):
                audience.import_analytics(store=shop.store, path=f)
    return folder / "demo.duckdb"


@pytest.fixture
def demo(demo_db: Path) -> Iterator[shopperlens.Shop]:
    with shopperlens.open(demo_db, settings=MAIL) as shop:
        yield shop


def test_the_demo_is_ready_for_everything_but_imported_sessions(demo) -> None:  # type: ignore[no-untyped-def]
    got = {c.name: c.status for c in demo.readiness().capabilities}
    assert got.pop("session_types") == "missing"  # the demo has events, not a sessions file
    assert set(got.values()) == {"ready"}, got
    sessions = next(c for c in demo.readiness().capabilities if c.name == "session_types")
    assert sessions.figure.endswith(
        "not needed while events are imported (their visitors are typed)"
    )


def test_without_a_secret_key_mail_is_limited_and_says_why(demo) -> None:  # type: ignore[no-untyped-def]
    """The next step names the setting: a dry run or a recruit list leaves the line limited,
    the key alone makes it ready."""
    answer = readiness(store=demo.store, settings=Settings(public_url="https://x.example"))
    by = {c.name: c for c in answer.capabilities}
    assert by["surveys"].status == "limited" and "SHOPPERLENS_SECRET_KEY" in by["surveys"].figure
    assert by["surveys"].next_step == (
        "set SHOPPERLENS_SECRET_KEY (environment or .env), then shopperlens survey send NAME"
    )
    assert by["interviews"].status == "limited"
    assert by["interviews"].next_step == (
        "set SHOPPERLENS_SECRET_KEY (environment or .env), then shopperlens interviews recruit "
        "--invite"
    )
    keyed = Settings(public_url="https://x.example", secret_key="k3y")
    assert _statuses(demo.store, keyed)["surveys"] == _statuses(demo.store, keyed)["interviews"]
    assert _statuses(demo.store, keyed)["surveys"] == "ready"


def test_intent_counts_the_visitors_the_model_learns_from(demo) -> None:  # type: ignore[no-untyped-def]
    from shopperlens.service.readiness import _intent_rows

    _, _, y = intent.visitor_frame(store=demo.store)
    assert _intent_rows(demo.store) == [("events", len(y), int(y.sum()))]


# -- the faces --------------------------------------------------------------------------------
def test_cli_check_lines_and_json(cli, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    with shopperlens.open(db_path) as shop:
        shop.import_orders(SHOPIFY)
    out = cli("check")
    assert out.exit_code == 0, out.output
    assert "Customer lifetime value" in out.output
    assert "next: shopperlens import events FILE" in out.output
    body = json.loads(cli("check", "--json").output)
    assert [c["name"] for c in body["capabilities"]][:3] == [
        "customer_types",
        "session_types",
        "clv",
    ]


def test_http_readiness_matches_python_and_needs_the_token(shop, client) -> None:  # type: ignore[no-untyped-def]
    shop.import_orders(SHOPIFY)
    got = client.get("/api/readiness")
    assert got.status_code == 200
    assert got.json() == json.loads(shop.readiness().model_dump_json())
    assert client.get("/api/readiness", headers={"Authorization": ""}).status_code == 401


# -- the same verdict as each capability, on borderline data -----------------------------------
def _insert_orders(store: Store, lines: pd.DataFrame) -> None:
    """``lines``: ``order_id, customer_id, ordered_at, product_id, unit_price`` (one line each
    row; an order's first line carries the order)."""
    lines = lines.assign(
        line_no=lines.groupby("order_id").cumcount() + 1, quantity=1, currency="EUR"
    )
    with store.transaction() as con:
        con.register("o", lines)
        con.execute(
            "INSERT INTO orders (order_id, customer_id, ordered_at, currency) "
            "SELECT DISTINCT order_id, customer_id, ordered_at, currency FROM o"
        )
        con.execute(
            "INSERT INTO order_lines (order_id, line_no, product_id, quantity, unit_price) "
            "SELECT order_id, line_no, product_id, quantity, unit_price FROM o"
        )
        con.unregister("o")


def _buyers(n: int) -> pd.DataFrame:
    """``n`` buyers over a year, half of them buying again every few weeks."""
    rng = np.random.default_rng(n)
    rows = []
    for c in range(n):
        day = int(rng.integers(0, 120))
        for k in range(1 + (int(rng.integers(1, 6)) if c % 2 else 0)):
            rows.append((f"o{c}-{k}", f"c{c}", pd.Timestamp("2025-01-01") + pd.Timedelta(days=day)))
            day += int(rng.integers(10, 60))
    frame = pd.DataFrame(rows, columns=["order_id", "customer_id", "ordered_at"])
    return frame.assign(product_id="p1", unit_price=rng.uniform(20, 80, len(frame)).round(2))


@pytest.mark.parametrize("n", [MIN_CUSTOMERS - 1, MIN_CUSTOMERS])
def test_clv_is_ready_exactly_when_the_models_fit(store: Store, n: int) -> None:
    _insert_orders(store, _buyers(n))
    try:
        clv.fit_models(store=store)
        fits = True
    except InsufficientDataError:
        fits = False
    assert fits == (n >= MIN_CUSTOMERS)
    assert (_statuses(store)["clv"] == "ready") == fits


@pytest.mark.parametrize("early", [MIN_CUSTOMERS - 1, MIN_CUSTOMERS])
def test_clv_report_is_ready_exactly_when_the_forecast_check_fits(store: Store, early: int) -> None:
    """Ten more buyers whose one purchase is on the last day: CLV counts them, the forecast
    check fits on the history before its split, without them."""
    frame = _buyers(early)
    late = pd.DataFrame({"order_id": [f"late{i}" for i in range(10)]}).assign(
        customer_id=lambda f: f.order_id,
        ordered_at=frame["ordered_at"].max(),
        product_id="p1",
        unit_price=30.0,
    )
    _insert_orders(store, pd.concat([frame, late], ignore_index=True))
    assert _statuses(store)["clv"] == "ready"
    try:
        clv.forecast_check(store=store)
        checks = True
    except InsufficientDataError:
        checks = False
    assert checks == (early >= MIN_CUSTOMERS)
    assert (_statuses(store)["clv_report"] == "ready") == checks


@pytest.mark.parametrize("n", [intent.MIN_SESSIONS - 1, intent.MIN_SESSIONS])
def test_intent_is_ready_exactly_when_the_model_trains(shop, n: int) -> None:  # type: ignore[no-untyped-def]
    shop.import_sessions(UCI)
    buyers = intent.MIN_PURCHASES * 3
    with shop.store.transaction() as con:
        con.execute(
            "DELETE FROM sessions WHERE session_id NOT IN (SELECT session_id FROM (SELECT "
            "session_id, revenue, row_number() OVER (PARTITION BY revenue ORDER BY session_id) "
            "AS r FROM sessions) WHERE r <= CASE WHEN revenue THEN ? ELSE ? END)",
            [buyers, n - buyers],
        )
    try:
        intent.visitor_intent(store=shop.store)
        trains = True
    except InsufficientDataError:
        trains = False
    assert trains == (n >= intent.MIN_SESSIONS)
    assert (_statuses(shop.store)["intent"] == "ready") == trains


@pytest.mark.parametrize("together", [2, 3, 4])
def test_basket_rules_are_ready_exactly_when_rules_are_found(store: Store, together: int) -> None:
    rows = [(f"t{i}", f"c{i}", p) for i in range(together) for p in ("pa", "pb")]
    rows += [(f"s{i}", f"d{i}", "pc") for i in range(40)]
    lines = pd.DataFrame(rows, columns=["order_id", "customer_id", "product_id"])
    _insert_orders(store, lines.assign(ordered_at=pd.Timestamp("2025-03-01"), unit_price=10.0))
    found = not playbooks.basket_rules(store=store).empty
    assert found == (together >= playbooks.rule_min_orders(40 + together))
    assert (_statuses(store)["basket_rules"] == "ready") == found


@pytest.mark.parametrize(
    ("together", "others"),
    [(MIN_TOGETHER - 1, 40), (MIN_TOGETHER, 40), (MIN_TOGETHER, 3), (MIN_TOGETHER, 4)],
)
def test_recommend_is_ready_exactly_when_a_pick_is_found(
    store: Store, together: int, others: int
) -> None:
    """``recommend together`` asks for MIN_TOGETHER orders (not the basket rules' 0.1 % as
    well) and a lift above 1: with three orders of each product alone and no other order the
    pair's lift is exactly 1 (3 of 12 orders, each product in 6), and a 13th order of another
    product lifts it above."""
    rows = [(f"t{i}", p) for i in range(together) for p in ("pa", "pb")]
    rows += [(f"{p}{i}", p) for i in range(3) for p in ("pa", "pb")]
    rows += [(f"s{i}", "pc") for i in range(others)]
    lines = pd.DataFrame(rows, columns=["order_id", "product_id"])
    lines = lines.assign(customer_id=lines.order_id, ordered_at=pd.Timestamp("2025-03-01"))
    _insert_orders(store, lines.assign(unit_price=10.0))
    found = not playbooks.frequently_bought_together(store=store).empty
    assert found == (together >= MIN_TOGETHER and others > 3)
    assert (_statuses(store)["recommend"] == "ready") == found


@pytest.mark.parametrize("data", ["nothing", "age", "device", "age+survey"])
def test_analytics_check_is_ready_exactly_when_it_compares_a_survey(
    store: Store, demo_db: Path, data: str
) -> None:
    """Missing when ``analytics check`` refuses; limited when it runs without survey answers
    (the shop's own devices against the analytics ones); ready when it compares answers."""
    from shopperlens.service import audience

    if data != "nothing":
        name = "device" if data == "device" else "age"
        audience.import_analytics(store=store, path=GA4_AUDIENCE / f"ga4_{name}.csv")
    if data.endswith("+survey"):
        surveys.ensure_builtin(store=store, name=SURVEY_NAME)
        answers = next(demo_db.parent.glob("data/survey_*.csv"))
        surveys.import_survey_csv(store=store, survey=SURVEY_NAME, path=answers)
    try:
        found = audience.analytics_check(store=store)
    except ShopperlensError:
        found = None
    compares = found is not None and not any(f.dimension == "survey" for f in found)
    status = _statuses(store)["analytics_check"]
    assert (status == "missing") == (found is None)
    assert (status == "ready") == compares
    assert status == {"nothing": "missing", "age": "missing"}.get(data, status)
    assert status == {"device": "limited", "age+survey": "ready"}.get(data, status)


@pytest.mark.parametrize("n", [MIN_SAMPLE - 1, MIN_SAMPLE])
def test_threshold_is_ready_exactly_when_advice_is_given(store: Store, n: int) -> None:
    lines = pd.DataFrame({"order_id": [f"o{i}" for i in range(n)]})
    _insert_orders(
        store,
        lines.assign(
            customer_id=lines.order_id,
            ordered_at=pd.Timestamp("2025-03-01"),
            product_id="p1",
            unit_price=np.linspace(10, 120, n),
        ),
    )
    advised = playbooks.threshold_answer(store=store)["advised"]
    assert advised == (n >= MIN_SAMPLE)
    assert (_statuses(store)["threshold"] == "ready") == advised


def test_the_report_front_page_lists_every_answer(shop) -> None:  # type: ignore[no-untyped-def]
    from test_partial_data import page

    shop.import_orders(SHOPIFY)
    html = page(shop.store, "index")
    assert html is not None and "What this data can support" in html
    for c in readiness(store=shop.store).capabilities:
        assert c.title in html and c.figure in html and c.next_step in html
        # a screen reader names each status and figure by the capability of its row
        assert f'<th scope="row">{c.title}</th>' in html


@pytest.mark.parametrize("full", [20 - 1, 20])
def test_personas_are_ready_exactly_when_they_build(
    store: Store, demo_db: Path, tmp_path: Path, full: int
) -> None:
    """Ten one-answer respondents above ``full`` complete ones: the builder leaves them out
    (fewer than half the questions answered), so the check must not count them."""
    from shopperlens.models.clustering import PersonaClustering
    from shopperlens.service import personas

    assert PersonaClustering().min_samples == 20
    answers = pd.read_csv(next(demo_db.parent.glob("data/survey_*.csv")), dtype=str)
    answers = answers.drop(columns="customer_id")
    sparse = answers.head(10).copy()
    sparse.loc[:, sparse.columns[2:]] = None  # the age bracket alone
    sparse["respondent"] = [f"short-{i}" for i in range(10)]
    pd.concat([answers.iloc[10 : 10 + full], sparse]).to_csv(tmp_path / "s.csv", index=False)
    surveys.ensure_builtin(store=store, name=SURVEY_NAME)
    surveys.import_survey_csv(store=store, survey=SURVEY_NAME, path=tmp_path / "s.csv")
    try:
        personas.build(store=store, save=False, n_resamples=0)
        builds = True
    except InsufficientDataError:
        builds = False
    assert builds == (full >= 20)
    answer = readiness(store=store, settings=MAIL)
    assert (answer.status("personas") == "ready") == builds
    line = next(c for c in answer.capabilities if c.name == "personas")
    assert line.figure.startswith(f"{full} respondents of survey {SURVEY_NAME} to cluster (10 more")


def test_the_check_reads_no_private_name_of_another_module() -> None:
    """The check calls each capability's own public condition: a private name is free to
    change under it without the check following."""
    import ast

    import shopperlens.service.readiness as module

    tree = ast.parse(Path(module.__file__).read_text("utf-8"))
    private = [
        f"{node.value.id}.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
    ]
    imported = [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name.startswith("_") or "._" in (node.module or "")
    ]
    assert private == imported == []


# -- the settings every face passes ------------------------------------------------------------
@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[Settings | None]:
    """The settings the report's front page asks the check with, call by call."""
    from shopperlens.reports import pages_index

    calls: list[Settings | None] = []

    def spy(*, store: Store, settings: Settings | None = None):  # type: ignore[no-untyped-def]
        calls.append(settings)
        return readiness(store=store, settings=settings)

    monkeypatch.setattr(pages_index, "readiness", spy)
    return calls


def test_python_report_front_page_asks_with_the_shops_settings(
    seen: list[Settings | None], tmp_path: Path
) -> None:
    with shopperlens.open(":memory:", settings=MAIL) as shop:
        shop.import_orders(SHOPIFY)
        shop.report(tmp_path / "r")
    assert seen and all(s is MAIL for s in seen)


def test_cli_report_front_page_asks_with_the_clis_settings(  # type: ignore[no-untyped-def]
    seen: list[Settings | None], cli, db_path: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("SHOPPERLENS_SECRET_KEY", "from-the-cli-env")
    with shopperlens.open(db_path) as shop:
        shop.import_orders(SHOPIFY)
    assert cli("report", "--out", str(tmp_path / "r")).exit_code == 0
    assert seen and all(s is not None and s.secret_key == "from-the-cli-env" for s in seen)
    assert all(s is not None and s.db == db_path for s in seen)


def test_http_front_page_asks_with_the_apps_shop_settings(  # type: ignore[no-untyped-def]
    seen: list[Settings | None], shop, client, tmp_path: Path
) -> None:
    """The dashboard's front page and the report job, as ``GET /api/readiness`` does."""
    from conftest import finished_job

    shop.import_orders(SHOPIFY)
    assert client.get("/dashboard/index.html").status_code == 200
    assert client.get("/dashboard/index.json").status_code == 200
    started = client.post("/api/jobs/report", json={"out_dir": str(tmp_path / "r")})
    assert finished_job(client, started.json()["job_id"])["status"] == "done"
    assert len(seen) == 3 and all(s is shop.settings for s in seen)


def test_the_demo_report_front_page_asks_with_the_shops_settings(
    seen: list[Settings | None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As ``shop.readiness()`` answers, not as the environment would (it holds no key here);
    the demo's types thresholds stay its defaults whatever the shop's types config."""
    monkeypatch.delenv("SHOPPERLENS_SECRET_KEY", raising=False)
    config = tmp_path / "types.yaml"
    config.write_text("{}\n", "utf-8")
    settings = MAIL.model_copy(update={"types_config": config})
    with shopperlens.open(":memory:", settings=settings) as shop:
        shop.demo(tmp_path / "r", n_customers=150)
        mail = next(c for c in shop.readiness().capabilities if c.name == "surveys")
    assert seen and all(s is not None and s.secret_key == MAIL.secret_key for s in seen)
    assert all(s is not None and s.types_config is None for s in seen)
    front = (tmp_path / "r" / "index.html").read_text("utf-8")
    assert mail.status == "ready" and mail.figure in front
