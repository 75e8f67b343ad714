"""Customer value joined onto the types: the demo's planted lapsing loyal customers come out
"loyal at risk" (recovered against the generator's truth), through the service, CLI, HTTP API
and report page; without a stored value run the value columns are there, empty."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import shopperlens
from _demo_data import demo_shop
from shopperlens.demo import load
from shopperlens.features import EXCLUDED_STATUSES
from shopperlens.service import clv, intent
from shopperlens.service import types as svc
from shopperlens.service.types_value import VALUE_COLUMNS
from shopperlens.store import Store, connect
from shopperlens.types import RESULT_COLUMNS

STEADY = ("loyal", "looker_to_loyal")


@pytest.fixture(scope="module")
def demo():  # type: ignore[no-untyped-def]
    return demo_shop(600)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory, demo) -> Path:  # type: ignore[no-untyped-def]
    """The demo shop with a types run and the stored CLV and intent runs (as `demo` does)."""
    path = tmp_path_factory.mktemp("types_value") / "demo.duckdb"
    with connect(path) as store:
        load(store, demo)
        plain = svc.latest_types(store=store)  # before any value run: the same columns, empty
        assert list(plain.columns) == [*RESULT_COLUMNS, *VALUE_COLUMNS]
        assert plain[VALUE_COLUMNS].isna().all().all()
        clv.demo_step(store=store)
        intent.demo_step(store=store)
    return path


@pytest.fixture
def demo_store(demo_db: Path) -> Iterator[Store]:
    s = connect(demo_db)
    yield s
    s.close()


def test_planted_lapsing_loyal_customers_are_loyal_at_risk(demo_store: Store, demo) -> None:  # type: ignore[no-untyped-def]
    typed = svc.latest_types(store=demo_store)
    assert list(typed.columns) == [*RESULT_COLUMNS, *VALUE_COLUMNS]
    truth = demo.truth_groups.dropna(subset=["customer_id"])
    m = truth.merge(typed.drop(columns="visitor_id"), on="customer_id", suffixes=("_true", ""))
    lapsing = m["group"] == "loyal_lapsing"
    assert lapsing.sum() >= 15
    # the planted truth is consistent with the rules: still loyal (not 180 days without order)
    assert (m.loc[lapsing, "type"] == "loyal").mean() >= 0.9
    flagged = m["loyal_at_risk"]
    precision = (flagged & lapsing).sum() / max(1, flagged.sum())
    recall = (flagged & lapsing).sum() / lapsing.sum()
    steady_flagged = m.loc[m["group"].isin(STEADY), "loyal_at_risk"].mean()
    assert precision >= 0.8, (precision, m[flagged]["group"].value_counts())
    assert recall >= 0.8, recall
    assert steady_flagged <= 0.05
    # P(alive) tells the two apart, and the evidence says so
    p_lapsing = m.loc[lapsing, "p_alive"].median()
    p_steady = m.loc[m["group"].isin(STEADY), "p_alive"].median()
    assert p_lapsing < 0.5 < 0.9 < p_steady
    said = m.loc[flagged, "evidence"]
    assert said.str.startswith("loyal at risk: P(alive) ").all()
    # the days since the last order are said once, in calendar days to the types' as-of date
    # (not also to the CLV run's date, a day or more earlier)
    counts = said.str.findall(r"(?:no order for|last order) ([\d,]+) days?")
    assert (counts.str.len() == 1).all()
    days = counts.str[0].str.replace(",", "").astype(int)
    as_of = pd.Timestamp(typed.attrs["as_of"])
    last = demo_store.df(
        "SELECT customer_id, max(ordered_at) AS last FROM orders WHERE ordered_at < ? "
        "AND lower(coalesce(status, '')) NOT IN (SELECT unnest(?)) GROUP BY 1",
        [as_of.to_pydatetime(), list(EXCLUDED_STATUSES)],
    )
    quiet = m.loc[flagged, "customer_id"].map(last.set_index("customer_id")["last"])
    expected = (as_of.normalize() - pd.to_datetime(quiet).dt.normalize()).dt.days
    assert (days == expected).all(), pd.DataFrame({"said": days, "expected": expected})
    assert typed.loc[~typed["loyal_at_risk"], "evidence"].str.contains("loyal at risk").sum() == 0
    # value columns: CLV for buyers, intent only for lookers
    buyers = typed["type"].isin(["loyal", "new", "impulse", "need_based"])
    assert typed.loc[buyers, "clv"].notna().mean() > 0.95
    assert typed.loc[typed["type"] != "looker", "intent"].isna().all()
    assert typed.loc[typed["type"] == "looker", "intent"].between(0, 1).mean() > 0.5


def test_value_only_joins_a_run_of_the_same_date(demo_store: Store) -> None:
    early = svc.customer_types(store=demo_store, as_of="2025-06-01", save=False)
    assert list(early.columns) == [*RESULT_COLUMNS, *VALUE_COLUMNS]
    assert early["clv"].isna().all() and early["intent"].isna().all()
    assert not early["loyal_at_risk"].any()


def test_explain_python_cli_http_and_page_show_value(
    demo_db: Path, demo_store: Store, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from shopperlens.cli import app as cli_app
    from shopperlens.config import Settings
    from shopperlens.reports import site
    from shopperlens.web.app import create_app

    typed = svc.latest_types(store=demo_store)
    risky = typed.loc[typed["loyal_at_risk"], "customer_id"].iloc[0]
    ex = svc.explain(store=demo_store, id=risky)
    assert ex.type == "loyal" and ex.loyal_at_risk and ex.at_risk
    assert ex.p_alive is not None and ex.p_alive < 0.5 and ex.clv is not None
    assert ex.evidence.startswith("loyal at risk")
    demo_store.close()

    run = CliRunner()
    out = tmp_path / "types.csv"
    res = run.invoke(cli_app, ["--db", str(demo_db), "types", "--out", str(out), "--limit", "3"])
    assert res.exit_code == 0, res.output
    assert "P(alive)" in res.output
    assert f"{int(typed['loyal_at_risk'].sum())} loyal at risk" in res.output
    csv = pd.read_csv(out)
    assert {"clv", "p_alive", "at_risk", "loyal_at_risk", "intent"} <= set(csv.columns)
    assert csv["loyal_at_risk"].sum() >= 15
    res = run.invoke(cli_app, ["--db", str(demo_db), "types", "explain", risky])
    assert res.exit_code == 0 and "P(alive)" in res.output, res.output

    with shopperlens.open(demo_db) as shop:
        app = create_app(Settings(token="t"), shop=shop)
        with TestClient(app, headers={"Authorization": "Bearer t"}) as c:
            body = c.get("/api/types", params={"limit": 5}).json()
            assert body["loyal_at_risk"] >= 15
            loyal = next(v for v in body["value"] if v["type"] == "loyal")
            assert loyal["mean_clv"] > 0 and 0 < loyal["mean_p_alive"] <= 1
            assert {"clv", "p_alive", "intent"} <= set(body["rows"][0])
            risk = c.get("/api/types", params={"type": "loyal_at_risk", "limit": 1000}).json()
            assert risk["total"] == body["loyal_at_risk"]
            assert all(r["loyal_at_risk"] and r["type"] == "loyal" for r in risk["rows"])
            ex = c.get(f"/api/types/{risky}/explain").json()
            assert ex["loyal_at_risk"] and ex["p_alive"] < 0.5

        page = next(p for p in site.pages() if p.slug == "types")
        ctx = page.build(shop.store)
        assert ctx is not None
        html = (
            site.environment()
            .get_template(page.template)
            .render(**ctx, page=page, nav=[], report_title="t", generated="now")
        )
    assert "Value per type" in html and "mean P(alive)" in html
    assert "Loyal at risk (" in html and risky in html
