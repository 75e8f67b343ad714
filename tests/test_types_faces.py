"""The types faces: CLI, Python API, HTTP API and the report page, on one small shop."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import shopperlens
from _types_shopkit import ShopKit
from shopperlens.errors import ShopperlensError
from shopperlens.reports.site import write_report
from shopperlens.service.types_value import VALUE_COLUMNS
from shopperlens.store import Store, connect
from shopperlens.types import RESULT_COLUMNS


def story(kit: ShopKit) -> ShopKit:
    """c1 browses (looker), buys (new), keeps buying (loyal); v5 only browses."""
    kit.customer("c1", "v1")
    for day in (1, 5):
        kit.visit("v1", day, pages=4, views=("p1", "p3", "p4"), cart=("p1",), minutes=15)
    for i in range(6):
        day = 30 + 45 * i
        kit.visit("v1", day, pages=2, views=("p1",), cart=("p1",), buy=("p1",))
        kit.order("c1", day, ("p1",))
    for day in (3, 9, 40):
        kit.visit("v5", day, pages=3, views=("p2", "p3"), minutes=10)
    return kit


@pytest.fixture
def filled(db_path: Path) -> Path:
    with connect(db_path) as s:
        story(ShopKit()).write(s)
    return db_path


def test_cli_types_writes_csv_and_parquet(cli, filled: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "types.csv"
    r = cli("types", "--out", str(out))
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out)
    assert list(df.columns) == [*RESULT_COLUMNS, *VALUE_COLUMNS]  # (empty: no value run)
    assert dict(zip(df["visitor_id"], df["type"], strict=True)) == {"v1": "loyal", "v5": "looker"}
    r = cli("types", "--as-of", "2025-01-20", "--out", str(tmp_path / "t.parquet"), "--limit", "0")
    assert r.exit_code == 0, r.output
    early = pd.read_parquet(tmp_path / "t.parquet")
    assert early.loc[early["customer_id"] == "c1", "type"].item() == "looker"


def test_cli_explain_moves_history_and_errors(cli, filled: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("types", "--as-of", "2025-01-20", "--limit", "0").exit_code == 0
    r = cli("types", "explain", "v1", "--json")
    assert r.exit_code == 0, r.output
    ex = json.loads(r.output)
    assert ex["customer_id"] == "c1" and ex["type"] == "loyal"
    table = cli("types", "explain", "v1").output  # the signals behind the scores, as promised
    assert "signals" in table and "strength" in table and "weight" in table
    r = cli("types", "moves", "--from", "2025-01-20", "--to", "2025-03-01", "--json")
    assert json.loads(r.output)["matrix"]["looker"] == {"looker": 1, "new": 1}
    r = cli("types", "history", "c1", "--json")
    assert [h["type"] for h in json.loads(r.output)] == ["looker", "new", "loyal"]
    r = cli("types", "--out", "types.xlsx")
    assert r.exit_code == 1 and "must end in .csv, .parquet or .json" in r.output
    r = cli("types", "explain", "nobody")
    assert r.exit_code == 1 and "no customer or visitor 'nobody'" in r.output
    r = cli("types", "moves", "--from", "2025-03-01", "--to", "2025-01-01")
    assert r.exit_code == 1


def test_cli_config_prints_documented_defaults(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("types", "config")
    assert r.exit_code == 0
    assert "new_days:" in r.output and "need_based:" in r.output
    for cmd in ("explain", "moves", "history", "sessions", "config"):
        assert cli("types", cmd, "--help").exit_code == 0


def test_python_api(shop: shopperlens.Shop) -> None:
    story(ShopKit()).write(shop.store)
    df = shop.types("2025-03-01")
    assert df.loc[df["customer_id"] == "c1", "type"].item() == "new"
    # a look back is history: the current types are as of the day after the last data
    current = shop.latest_types()
    assert current.attrs["run_id"] != df.attrs["run_id"]
    assert current.loc[current["customer_id"] == "c1", "type"].item() == "loyal"
    assert shop.explain_type("c1", "2025-03-01").type == "new"
    assert shop.type_moves("2025-01-20", "2025-03-01").moved == 1
    assert shop.type_history("v1")["type"].tolist() == ["looker", "new", "loyal"]
    assert shop.explain_type("c1").type == "loyal"  # default: after the last data
    with pytest.raises(ShopperlensError, match="no imported sessions"):
        shop.session_types()


def test_http_api(client, shop: shopperlens.Shop) -> None:  # type: ignore[no-untyped-def]
    story(ShopKit()).write(shop.store)
    r = client.get("/api/types", params={"as_of": "2025-01-20"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["counts"] == {"looker": 2} and body["total"] == 2
    assert client.post("/api/types/runs").json()["counts"] == {"loyal": 1, "looker": 1}
    assert (
        client.get("/api/types", params={"type": "loyal"}).json()["rows"][0]["visitor_id"] == "v1"
    )
    assert client.get("/api/types", params={"type": "Loyal"}).json()["total"] == 1
    assert client.get("/api/types", params={"type": "bogus"}).status_code == 400
    mv = client.get("/api/types/moves", params={"from": "2025-01-20", "to": "2025-03-01"})
    assert mv.json()["matrix"]["looker"]["new"] == 1
    ex = client.get("/api/types/v1/explain").json()
    assert ex["type"] == "loyal" and ex["scores"]["loyal"] > 0.5
    assert [h["type"] for h in client.get("/api/types/c1/history").json()][-1] == "loyal"
    assert "no imported sessions" in client.get("/api/types/sessions").json()["detail"]
    assert client.get("/api/types/nobody/explain").status_code == 404


def test_report_page_shows_distribution_moves_and_examples(store: Store, tmp_path: Path) -> None:
    from shopperlens.service import types as svc

    story(ShopKit()).write(store)
    svc.customer_types(store=store, as_of="2025-01-20")
    svc.customer_types(store=store)
    write_report(store, tmp_path)
    html = (tmp_path / "types.html").read_text()
    assert "<svg" in html and "Movements 2025-01-20" in html
    assert "has not bought yet" in html
    data = json.loads((tmp_path / "types.json").read_text())
    assert {d["type"]: d["subjects"] for d in data["distribution"]}["loyal"] == 1


def test_cli_types_shows_a_progress_bar_for_big_shops(cli, filled: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import shopperlens.cli.types as cli_types

    monkeypatch.setattr(cli_types, "PROGRESS_EVENTS", 0)  # every shop counts as big
    r = cli("types", "--limit", "0")
    assert r.exit_code == 0, r.output
    assert "loyal" in r.output and "Traceback" not in r.output


def test_http_types_job_status_names_each_step(client, shop: shopperlens.Shop) -> None:  # type: ignore[no-untyped-def]
    """Over HTTP typing runs as a job whose status names its steps and ends full."""
    from conftest import finished_job

    story(ShopKit()).write(shop.store)
    res = client.post("/api/jobs/types", json={})
    assert res.status_code == 202, res.text
    job = finished_job(client, res.json()["job_id"])
    assert job["status"] == "done", job
    # visits, features (one part for a small shop), types and evidence, storing the run
    assert job["step"] == "storing the run" and job["done"] == job["total"] == 4


# -- what is not there, and dates before the data: the same answer in every face ---------------
def _said(output: str) -> str:
    return " ".join(output.split())


def test_history_of_an_unknown_id_is_not_found_in_every_face(cli, filled, client, shop):
    """``types history NOPE`` printed "(nothing)" and exited 0, the API answered 200 []: a
    typo read as a customer without history. A known subject without a run is still []."""
    from shopperlens.errors import NotFoundError

    r = cli("types", "history", "NOPE")
    assert r.exit_code == 1 and "no customer or visitor 'NOPE'" in _said(r.output)
    assert "Traceback" not in r.output and "(nothing)" not in r.output
    story(ShopKit()).write(shop.store)
    res = client.get("/api/types/NOPE/history")
    assert res.status_code == 404 and res.json()["detail"].startswith("no customer or visitor")
    with pytest.raises(NotFoundError):
        shop.type_history("NOPE")
    assert client.get("/api/types/c1/history").json() == []  # known, never typed yet
    assert shop.type_history("v5").empty


BEFORE = "nothing happened before 1990-01-01: the shop's data starts on 2023-11-28"


def test_a_date_before_the_data_is_refused_in_every_face(cli, filled, client, shop):
    """As of a date before any data the CLI said "import them first" of a full store, and
    the API answered an empty page and stored an empty run: one message now, nothing stored."""
    from shopperlens.errors import InsufficientDataError

    r = cli("types", "--as-of", "1990-01-01")
    assert r.exit_code == 1 and BEFORE in _said(r.output), r.output
    r = cli("types", "explain", "c1", "--as-of", "1990-01-01")
    assert r.exit_code == 1 and BEFORE in _said(r.output), r.output
    with connect(filled) as s:
        assert s.count("type_runs") == 0
    story(ShopKit()).write(shop.store)
    from shopperlens.types import load_config

    shop.store.execute(  # an empty run an earlier version stored is not shown either
        "INSERT INTO type_runs (as_of, computed_at, engine, config_digest, n_subjects) "
        "VALUES ('1990-01-01', now()::TIMESTAMP + INTERVAL 1 DAY, 'duckdb', ?, 0)",
        [load_config(None).digest],
    )
    for res in (
        client.get("/api/types", params={"as_of": "1990-01-01"}),
        client.get("/api/types/moves", params={"from": "1990-01-01", "to": "2025-03-01"}),
        client.post("/api/types/runs", params={"as_of": "1990-01-01"}),
        client.get("/api/types/c1/explain", params={"as_of": "1990-01-01"}),
    ):
        assert res.status_code == 400 and res.json()["detail"].startswith(BEFORE), res.text
    with pytest.raises(InsufficientDataError, match=BEFORE):
        shop.types("1990-01-01")
    assert shop.store.count("type_runs") == 1
    job = client.post("/api/jobs/types", json={"as_of": "1990-01-01"}).json()
    from conftest import finished_job

    done = finished_job(client, job["job_id"])
    assert done["status"] == "failed" and done["message"].startswith(BEFORE)
    assert shop.store.count("type_runs") == 1
    assert len(shop.types("2023-11-29")) == 1  # the first day with data: c1, signed up


def test_customer_value_before_the_first_order_says_so(shop: shopperlens.Shop, client) -> None:  # type: ignore[no-untyped-def]
    """The CLV job as of 1990 said "no orders with a customer: import orders first" of a
    store full of them."""
    from conftest import finished_job
    from shopperlens.errors import InsufficientDataError

    story(ShopKit()).write(shop.store)
    first = "no orders on or before 1990-01-01: the shop's first order is on 2025-01-31"
    with pytest.raises(InsufficientDataError, match=first):
        shop.clv(as_of="1990-01-01")
    job = client.post("/api/jobs/clv", json={"as_of": "1990-01-01"}).json()
    done = finished_job(client, job["job_id"])
    assert done["status"] == "failed" and done["message"].startswith(first), done
