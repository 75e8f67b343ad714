"""Customer value and purchase intent through the service, Python, CLI, HTTP and report faces,
on the demo shop (planted truth: the generator's loyal customers buy most often)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import shopperlens
from _demo_data import demo_shop
from shopperlens.demo import load
from shopperlens.errors import InsufficientDataError, ShopperlensError
from shopperlens.service import clv, intent
from shopperlens.store import Store, connect


@pytest.fixture(scope="module")
def demo():  # type: ignore[no-untyped-def]
    return demo_shop(600)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory, demo) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("clv") / "demo.duckdb"
    with connect(path) as store:
        load(store, demo)
    return path


@pytest.fixture
def demo_store(demo_db: Path) -> Iterator[Store]:
    s = connect(demo_db)
    yield s
    s.close()


def test_customer_value_contract_and_planted_loyalty(demo_store: Store, demo) -> None:  # type: ignore[no-untyped-def]
    values = clv.customer_value(store=demo_store, horizon_days=365)
    assert list(values.columns[:9]) == clv.COLUMNS
    assert values["customer_id"].is_unique
    assert values["p_alive"].between(0, 1).all()
    assert (values["recency"] <= values["T"]).all()
    assert values["clv"].is_monotonic_decreasing
    typed = values.merge(demo.truth_types, on="customer_id")
    mean_clv = typed.groupby("type")["clv"].mean()
    assert mean_clv.idxmax() == "loyal"  # planted: loyal customers buy again and again
    flagged = values[values["at_risk"]]
    assert (flagged["frequency"] >= clv.AT_RISK_MIN_REPEAT).all()
    assert (flagged["p_alive"] < clv.AT_RISK_P_ALIVE).all()
    longer = clv.customer_value(store=demo_store, horizon_days=730)
    assert longer["clv"].sum() > values["clv"].sum()


def test_as_of_scores_the_shop_as_it_was(demo_store: Store) -> None:
    """Orders after ``as_of`` do not exist for the model; orders on that day do."""
    now = clv.customer_value(store=demo_store)
    then = clv.customer_value(store=demo_store, as_of="2025-09-30")
    assert len(then) < len(now)
    first = demo_store.df(
        "SELECT customer_id, min(ordered_at)::DATE AS first FROM orders GROUP BY 1"
    ).set_index("customer_id")["first"]
    age = (pd.Timestamp("2025-09-30") - pd.to_datetime(first.loc[then["customer_id"]])).dt.days
    assert (then["T"].to_numpy() == age.to_numpy()).all()


def test_channel_effects_find_the_planted_loyal_sources(demo_store: Store) -> None:
    """Planted: loyal customers come from direct visits, the newsletter and brand searches and
    buy 5–11 times a year; impulse and need-based buyers come from ads and Google. The
    covariate BG/NBD must rank direct/newsletter above the baseline source."""
    effects = clv.channel_effects(store=demo_store, by="source")
    assert effects["customers"].sum() == len(clv.customer_value(store=demo_store))
    by_source = effects.set_index("source")
    loyal_sources = [s for s in ("(direct)", "newsletter") if s in by_source.index]
    assert loyal_sources
    for source in loyal_sources:
        assert by_source.loc[source, "rate_ratio_lower"] > 1.2, effects
    with pytest.raises(ShopperlensError, match="by must be one of"):
        clv.channel_effects(store=demo_store, by="zodiac")


def test_saved_run_is_what_latest_returns(demo_store: Store) -> None:
    clv.customer_value(store=demo_store, save=True)
    stored = clv.latest_customer_value(store=demo_store)
    assert demo_store.count("customer_value") == len(stored) > 100
    assert {"p_alive", "clv", "at_risk", "as_of"} <= set(stored.columns)


def test_minimum_data_gate_speaks_the_shops_language(store: Store) -> None:
    store.execute(
        "INSERT INTO orders (order_id, customer_id, ordered_at) VALUES "
        "('o1', 'c1', '2025-01-01'), ('o2', 'c1', '2025-02-01'), ('o3', 'c2', '2025-01-05')"
    )
    with pytest.raises(InsufficientDataError, match=r"2 buyers \(need 100\)"):
        clv.customer_value(store=store)


def test_intent_scores_lookers_with_drivers(demo_store: Store, demo) -> None:  # type: ignore[no-untyped-def]
    scores = intent.visitor_intent(store=demo_store, save=True)
    assert list(scores.columns) == intent.COLUMNS
    assert scores["intent"].between(0, 1).all()
    assert scores["intent"].is_monotonic_decreasing
    buyers = set(demo_store.df("SELECT visitor_id FROM sessions WHERE purchases > 0")["visitor_id"])
    assert not set(scores["visitor_id"]) & buyers  # only people who have not bought
    planted = scores.merge(demo.truth_types, on="visitor_id")["type"]
    assert (planted == "looker").mean() > 0.9
    assert all(isinstance(d, list) for d in scores["top_drivers"])
    stored = intent.latest_intent(store=demo_store)
    assert len(stored) == len(scores)


def test_python_face(demo_db: Path) -> None:
    with shopperlens.open(demo_db) as shop:
        assert len(shop.clv(horizon_days=90)) > 100
        summary = shop.clv_summary()
        assert {p.param for p in summary.params} == {"r", "alpha", "a", "b", "p", "q", "v"}
        check = shop.clv_forecast_check()
        assert check["by_frequency"]["customers"].sum() > 0


def test_cli_faces(demo_db: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from shopperlens.cli import app

    run = CliRunner()
    out = tmp_path / "clv.csv"
    res = run.invoke(app, ["--db", str(demo_db), "clv", "--horizon", "52w", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "CLV over 52w" in res.output
    frame = pd.read_csv(out)
    assert list(frame.columns[:9]) == clv.COLUMNS
    res = run.invoke(app, ["--db", str(demo_db), "clv", "--horizon", "soon"])
    assert res.exit_code == 1 and "cannot read the horizon" in res.output
    res = run.invoke(app, ["--db", str(demo_db), "clv-report"])
    assert res.exit_code == 0 and "alpha" in res.output, res.output
    res = run.invoke(app, ["--db", str(demo_db), "intent", "--json", "--top", "3"])
    assert res.exit_code == 0, res.output
    assert len(json.loads(res.output)) == 3


def test_cli_gate_is_one_line(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("clv")
    assert res.exit_code == 1
    assert "no orders" in res.output and "Traceback" not in res.output


def test_http_faces(demo_db: Path) -> None:
    from fastapi.testclient import TestClient

    from shopperlens.config import Settings
    from shopperlens.web.app import create_app

    with shopperlens.open(demo_db) as shop:
        app = create_app(Settings(token="t"), shop=shop)
        with TestClient(app, headers={"Authorization": "Bearer t"}) as c:
            rows = c.get("/api/clv", params={"horizon_days": 180, "limit": 5}).json()
            assert len(rows) == 5 and {"p_alive", "clv", "at_risk"} <= set(rows[0])
            assert c.get("/api/clv/summary").json()["customers"] > 100
            effects = c.get("/api/clv/effects", params={"by": "device"}).json()
            assert {"device", "rate_ratio", "dropout"} <= set(effects[0])
            intents = c.get("/api/intent", params={"limit": 3}).json()
            assert len(intents) == 3 and 0 <= intents[0]["intent"] <= 1
            assert c.get("/api/clv", params={"horizon_days": 0}).status_code == 422
        with TestClient(app) as anonymous:
            assert anonymous.get("/api/clv").status_code == 401


def test_report_page(demo_db: Path, tmp_path: Path) -> None:
    from shopperlens.reports import site

    with connect(demo_db) as store:
        page = next(p for p in site.pages() if p.slug == "value")
        ctx = page.build(store)
        assert ctx is not None and ctx["_chart"].startswith("data:image/svg+xml;base64,")
        html = (
            site.environment()
            .get_template(page.template)
            .render(**ctx, page=page, nav=[], report_title="t", generated="now")
        )
    text = re.sub(r"<[^>]+>", "", html)  # (terms link to the glossary)
    assert "Repeat customers at risk" in text and "How far to trust the forecast" in text
    assert "Lookers closest to buying" in html
    # a cut table says it is cut: "the 30 with the highest CLV of 45"
    total, shown = ctx["at_risk_total"], len(ctx["at_risk"])
    assert (f"The {shown} with the highest CLV of {total}" in text) == (total > shown)


def test_report_page_skips_a_shop_without_orders(store: Store) -> None:
    from shopperlens.reports import site

    page = next(p for p in site.pages() if p.slug == "value")
    assert page.build(store) is None


def test_horizon_is_bounded_on_every_face(store: Store, cli, client) -> None:  # type: ignore[no-untyped-def]
    """An unbounded horizon once ran for hours (and blocked the job worker): the service
    refuses anything beyond 10 years before fitting, whichever face asks."""
    from conftest import finished_job

    limit = r"1 to 3,650 \(10 years\)"
    for days in (0, 3651, 3_650_000, 2.5):
        with pytest.raises(ShopperlensError, match=limit):
            clv.customer_value(store=store, horizon_days=days)  # type: ignore[arg-type]
    with pytest.raises(ShopperlensError, match=limit):
        clv.value_summary(store=store, horizon_days=36_500)
    res = cli("clv", "--horizon", "99999999y")
    assert res.exit_code == 1 and "3,650 (10 years)" in res.output, res.output
    started = client.post("/api/jobs/clv", json={"horizon_days": 3_650_000, "save": False})
    assert started.status_code == 202
    job = finished_job(client, started.json()["job_id"])
    assert job["status"] == "failed" and "3,650 (10 years)" in job["message"], job
    assert client.get("/api/clv", params={"horizon_days": 3651}).status_code == 422


def _regular_buyers(store: Store) -> Store:
    """150 customers who each buy every 120 days from their own first day (0 … 149) to the
    year's end, one product at 10 each time: everyone at one rate, about 3 orders a year."""
    from test_playbooks_shop import _insert

    start = pd.Timestamp("2024-01-01")
    orders = [(f"c{i}", day) for i in range(150) for day in range(i, 365, 120)]
    _insert(store, "customers", [
        {"customer_id": f"c{i}", "email": f"c{i}@example.com"} for i in range(150)
    ])  # fmt: skip
    _insert(store, "orders", [
        {"order_id": f"o{k}", "customer_id": c, "currency": "EUR",
         "ordered_at": start + pd.Timedelta(days=day)}
        for k, (c, day) in enumerate(orders)
    ])  # fmt: skip
    _insert(store, "order_lines", [
        {"order_id": f"o{k}", "line_no": 1, "product_id": f"P{k % 20}", "quantity": 1,
         "unit_price": 10.0}
        for k in range(len(orders))
    ])  # fmt: skip
    return store


def test_regular_buyers_get_a_customer_value(db_path: Path, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Buyers at one rate send the BG/NBD's r and α off together; its forecasts were NaN and
    ``clv`` (and so ``report``) stopped on "NOT NULL constraint failed". Now every customer
    has a value: about the planted 3 orders a year at 10 each, and the report is written."""
    with connect(db_path) as store:
        values = clv.customer_value(store=_regular_buyers(store), save=True)
        assert store.count("customer_value") == 150
    assert values[["p_alive", "expected_purchases", "clv"]].notna().all().all()
    assert values["expected_purchases"].between(1.5, 365 / 120).all()
    assert (values["clv"] <= 10 * values["expected_purchases"] + 1e-9).all()
    assert (values["clv"] > 9 * values["expected_purchases"]).all()  # 10 %/year discount
    res = cli("clv", "--json")
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert rows and all(row["expected_purchases"] > 0 and row["clv"] > 0 for row in rows)
    res = cli("report", "--out", str(tmp_path / "report"))
    assert res.exit_code == 0, res.output
    text = re.sub(r"<[^>]+>", "", (tmp_path / "report" / "value.html").read_text())
    assert "Repeat customers at risk" in text


def test_a_run_without_numbers_is_refused_in_words(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should a model still leave a figure undefined, the run is refused with what is missing
    (not stored half empty, not a database error), and the report's Value page says so."""
    from shopperlens.models import BetaGeo
    from shopperlens.reports.site import write_report

    def undefined(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return np.full(len(np.atleast_1d(args[0])), np.nan)

    monkeypatch.setattr(BetaGeo, "predict_purchases", undefined)
    _regular_buyers(store)
    said = r"leave expected_purchases, clv undefined for 150 of 150"
    with pytest.raises(InsufficientDataError, match=said):
        clv.customer_value(store=store, save=True)
    assert store.count("customer_value") == 0
    write_report(store, tmp_path)
    page = " ".join(re.sub(r"<[^>]+>", "", (tmp_path / "value.html").read_text()).split())
    assert "undefined for 150 of 150 customers: no customer value computed" in page


@pytest.mark.parametrize("command", ["clv", "intent"])
def test_cli_json_with_out_keeps_stdout_json(demo_db: Path, tmp_path: Path, command: str) -> None:
    """``--json --out all.csv``: the "wrote N rows" line came on stdout ahead of the JSON, so
    ``| jq`` failed; it goes to stderr, and the file holds every row."""
    from typer.testing import CliRunner

    from shopperlens.cli import app

    out = tmp_path / "all.csv"
    args = ["--db", str(demo_db), command, "--json", "--top", "2", "--out", str(out)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert len(json.loads(res.stdout)) == 2
    rows = len(pd.read_csv(out))
    assert res.stderr == f"wrote {rows:,} rows to {out}\n"
