"""Three places where HTTP told another story than the CLI and Python faces.

1. ``GET /api/playbooks/threshold`` built its answer from ``t.__dict__``, which skips the
   ``advised`` and ``extra_uplift_per_order`` properties (a 5-order shop got a threshold with
   nothing saying it was not advised), and answered a bare ``null`` where
   ``threshold --json`` gives the reason.
2. ``POST /api/jobs/clv`` with ``{}`` stored no run, though ``shopperlens clv`` stores one, and
   ``GET /api/types?type=loyal_at_risk`` then answered an empty page: "nobody at risk" where
   nothing was measured.
3. ``POST /api/surveys/{name}/remind`` answered 500 to ``gap_days=nan`` / ``inf``, took
   ``max_reminders=-1`` and reminded nobody; Python raised a raw ``ValueError``.

Each test asks the same question of HTTP and of the CLI (or Python) on one store file, and
holds the answers equal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import shopperlens
from _demo_data import demo_shop
from _ingest_data import write
from conftest import _api_client, finished_job
from shopperlens.demo import load
from shopperlens.errors import ShopperlensError
from shopperlens.service import surveys
from shopperlens.service import types as types_svc
from shopperlens.service.types_value import frame_as_of, value_note
from shopperlens.store import connect
from test_partial_data import lookers_csv, many_orders, orders_csv, said, three_customers


@contextmanager
def _http(db_path: Path) -> Iterator[tuple[shopperlens.Shop, Any]]:
    """The shop in ``db_path`` and an API client over it, opened after the CLI has closed the
    file (one writer at a time)."""
    with shopperlens.open(db_path) as shop, _api_client(shop) as client:
        yield shop, client


# -- 1. the free-shipping threshold -------------------------------------------------------------
#: a store's data (kind, CSV text) and whether ``threshold --json`` advises (None: no threshold)
SHOPS = {
    "no data": (None, None),
    "visits, no orders": (("events", lookers_csv(2)), None),
    "orders without a value": (
        ("orders", orders_csv([("o1", "c1", "2025-03-01", "P1", 0.0)])),
        None,
    ),
    "5 orders: not advised": (("orders", orders_csv(three_customers(), shipping=4.9)), False),
    "40 orders: advised": (("orders", orders_csv(many_orders(40), shipping=4.9)), True),
}


@pytest.mark.parametrize(("data", "advised"), SHOPS.values(), ids=SHOPS.keys())
def test_threshold_over_http_is_the_object_of_threshold_json(
    cli: Any, db_path: Path, tmp_path: Path, data: tuple[str, str] | None, advised: bool | None
) -> None:
    """HTTP gives ``threshold --json``'s object (with the candidate table besides): the same
    figures, ``advised`` and ``extra_uplift_per_order`` among them, and the same reason when
    there is no threshold."""
    if data is not None:
        kind, text = data
        assert cli("import", kind, str(write(tmp_path, f"{kind}.csv", text))).exit_code == 0
    res = cli("threshold", "--json")
    with _http(db_path) as (_, client):
        answer = client.get("/api/playbooks/threshold")
    assert answer.status_code == 200
    body = answer.json()
    assert isinstance(body, dict), body
    if data is None or data[0] != "orders":  # no orders: the CLI's error is HTTP's reason
        assert res.exit_code == 1 and res.stdout == ""
        assert " ".join(res.stderr.split()) == f"error: {body['reason']}"
        return
    assert res.exit_code == 0, res.output
    shown = json.loads(res.output)
    candidates = body.pop("candidates", None)
    assert body == shown
    assert list(body) == list(shown)  # and in the same order
    if advised is None:
        assert shown["threshold"] is None and shown["reason"] and candidates is None
    else:
        assert body["advised"] is advised and "extra_uplift_per_order" in body
        assert isinstance(candidates, list)  # empty when no candidate beats today's threshold


# -- 2. customer value: the job stores, a read does not, no run is no "nobody" -----------------
@pytest.fixture
def demo_db(db_path: Path) -> Path:
    """The 600-customer demo shop's data (no types or value run stored) in ``db_path``."""
    with connect(db_path) as store:
        load(store, demo_shop(600))
    return db_path


def _stored(shop: shopperlens.Shop) -> pd.DataFrame:
    return shop.store.df(
        "SELECT customer_id, as_of, horizon_days, p_alive, clv, at_risk FROM customer_value "
        "ORDER BY customer_id"
    )


def test_clv_job_stores_the_run_that_shopperlens_clv_stores(cli: Any, demo_db: Path) -> None:
    """``POST /api/jobs/clv`` with ``{}`` runs what ``shopperlens clv`` runs, storing the
    run; ``{"save": false}`` still only scores."""
    assert cli("clv", "--top", "0").exit_code == 0
    with _http(demo_db) as (shop, client):
        by_cli = _stored(shop)
        assert len(by_cli) > 100
        with shop.store.transaction() as con:
            con.execute("DELETE FROM customer_value")
        job = finished_job(client, client.post("/api/jobs/clv", json={}).json()["job_id"])
        assert job["status"] == "done", job
        pd.testing.assert_frame_equal(_stored(shop), by_cli)
        with shop.store.transaction() as con:
            con.execute("DELETE FROM customer_value")
        started = client.post("/api/jobs/clv", json={"save": False})
        job = finished_job(client, started.json()["job_id"])
        assert job["status"] == "done" and job["result"]["rows"] == len(by_cli), job
        assert shop.store.count("customer_value") == 0


def test_get_clv_stores_nothing_and_says_what_stores_a_run(demo_db: Path) -> None:
    """A GET is a read: its scores are not stored, and the answer says which request is."""
    with _http(demo_db) as (shop, client):
        res = client.get("/api/clv", params={"limit": 3})
        assert res.status_code == 200 and len(res.json()) == 3
        assert shop.store.count("customer_value") == 0
        assert "POST /api/jobs/clv" in res.headers["x-shopperlens-note"]


def test_loyal_at_risk_without_a_clv_run_is_refused_not_an_empty_page(
    cli: Any, demo_db: Path
) -> None:
    """No stored run: 400 with the reason the CLI's types table and the report give, and how
    to store one. Once the job stored it, HTTP lists the customers the CLI counts."""
    with _http(demo_db) as (shop, client):
        res = client.get("/api/types", params={"type": "loyal_at_risk"})
        assert res.status_code == 400, res.text
        said_http = res.json()["detail"]
        why = value_note(store=shop.store, as_of=frame_as_of(shop.latest_types()))
        assert why and why in said_http
        assert "`shopperlens clv`" in said_http and "POST /api/jobs/clv" in said_http
        with pytest.raises(ShopperlensError) as python:  # the Python face of the selection
            types_svc.select(shop.latest_types(), "loyal_at_risk", store=shop.store)
        assert str(python.value) == said_http
        past = client.get("/api/types", params={"type": "loyal_at_risk", "as_of": "2025-10-01"})
        assert past.status_code == 400 and '{"as_of": "2025-09-30"}' in past.json()["detail"]
        job = finished_job(client, client.post("/api/jobs/clv", json={}).json()["job_id"])
        assert job["status"] == "done", job
        page = client.get("/api/types", params={"type": "loyal_at_risk", "limit": 1000}).json()
    counted = re.search(r"(\d+) loyal at risk", said(cli("types", "--limit", "0").output))
    assert counted is not None
    assert page["total"] == page["loyal_at_risk"] == int(counted.group(1)) > 0
    assert all(row["type"] == "loyal" and row["loyal_at_risk"] for row in page["rows"])
    with _http(demo_db) as (shop, client):  # the advice for past types is a run that serves
        job = client.post("/api/jobs/clv", json={"as_of": "2025-09-30"}).json()
        assert finished_job(client, job["job_id"])["status"] == "done"
        joined = client.get("/api/types", params={"as_of": "2025-10-01", "limit": 0}).json()
        assert any(v["mean_clv"] for v in joined["value"])  # the run serves these types
        # but its model, on the orders up to 30 September, found no dropout (P(alive) 1.00 for
        # all): nobody can be flagged, so the list is refused with that reason, not "0 at risk"
        past = client.get("/api/types", params={"type": "loyal_at_risk", "as_of": "2025-10-01"})
        assert past.status_code == 400
        assert "found no customers dropping out" in past.json()["detail"]


# -- 3. reminder options -------------------------------------------------------------------------
GAP = "the days since the last e-mail (min_gap_days, gap_days, --gap-days) must be a number "
GAP += "of days from 0 to 3,650 (10 years); got "
COUNT = "the reminders per person (max_reminders, --max-reminders) must be a whole number of "
COUNT += "1 or more; got "
BAD = [
    ("gap_days", "min_gap_days", "--gap-days", "nan", GAP + "nan"),
    ("gap_days", "min_gap_days", "--gap-days", "inf", GAP + "inf"),
    ("gap_days", "min_gap_days", "--gap-days", "-1", GAP + "-1"),
    ("gap_days", "min_gap_days", "--gap-days", "3651", GAP + "3651"),
    ("max_reminders", "max_reminders", "--max-reminders", "-1", COUNT + "-1"),
    ("max_reminders", "max_reminders", "--max-reminders", "0", COUNT + "0"),
]
SURVEY = "demo-profile"


@pytest.mark.parametrize(
    ("query", "keyword", "option", "value", "message"), BAD, ids=[f"{b[0]}={b[3]}" for b in BAD]
)
def test_a_bad_reminder_option_is_one_message_on_every_face(
    cli: Any, db_path: Path, query: str, keyword: str, option: str, value: str, message: str
) -> None:
    """HTTP 400, Python's ``ShopperlensError`` and the CLI's exit 1 carry one sentence naming
    the option and the value (they were a 500, a raw ``ValueError``, or a silent no-op)."""
    with shopperlens.open(db_path) as shop:  # the survey exists: only the option is wrong
        surveys.ensure_builtin(store=shop.store)
    res = cli("survey", "send", SURVEY, "--remind", option, value)
    assert res.exit_code == 1 and "Traceback" not in res.output, res.output
    cli_said = said(res.output)
    with _http(db_path) as (shop, client):
        answer = client.post(f"/api/surveys/{SURVEY}/remind", params={query: value})
        assert (answer.status_code, answer.json()["detail"]) == (400, message)
        number = float(value) if keyword == "min_gap_days" else int(value)
        with pytest.raises(ShopperlensError) as python:
            shop.survey_remind(SURVEY, **{keyword: number})
        assert str(python.value) == message
    assert cli_said == said(f"error: {message}")


def test_the_edges_of_the_reminder_options_are_taken(db_path: Path) -> None:
    """The control: a gap of 0 or 3650 days and a single reminder are used, not refused."""
    with _http(db_path) as (shop, client):
        surveys.ensure_builtin(store=shop.store)
        for gap in ("0", "0.5", "3650"):
            res = client.post(
                f"/api/surveys/{SURVEY}/remind", params={"gap_days": gap, "max_reminders": 1}
            )
            assert res.status_code == 200 and res.json()["reminded"] == 0, res.text


def test_a_threshold_from_orders_without_shipping_says_the_cost_is_not_counted(
    cli: Any, tmp_path: Path
) -> None:
    """Orders without a shipping charge give a threshold from the larger baskets alone: the
    advice now says the cost of free shipping is not counted (it said nothing of it)."""
    path = write(tmp_path, "orders.csv", orders_csv(many_orders(40)))
    assert cli("import", "orders", str(path)).exit_code == 0
    shown = json.loads(cli("threshold", "--json").output)
    assert shown["advised"] is True and shown["shipping_cost_per_order"] is None
    assert "orders carry no shipping charges" in shown["note"]
    table = " ".join(cli("threshold").output.split())
    assert "what free shipping would cost the shop is not counted" in table
    playbook = " ".join(cli("playbook", "--type", "need_based", "--format", "md").output.split())
    assert "what free shipping would cost the shop is not counted" in playbook
