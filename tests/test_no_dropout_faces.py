"""When the CLV model finds no dropout, every face says so: none reads it as an all-clear.

A shop whose buyers never stop (BG/NBD's a and b run off to the edge of the fit, a/(a+b) ≈ 0)
has P(alive) 100 % for everyone, so nobody can fall below the at-risk line. The report's Value
and Customer types pages said so; the loyal playbook ("no loyal customer is at risk"),
``clv-report`` ("0 at risk"), ``types`` (P(alive) 1.0, at risk 0 per type) and
``GET /api/clv/effects`` (dropout 0, P(alive) 1 per source) read it as measured, and
``clv-report`` and ``/api/clv/effects`` did not say whom the sources' comparison leaves out.

Planted: NOBODY_LEAVES buyers who never drop out, VISITING_BUYERS of them with visit data (the
rest are left out of the comparison by source); the contrast is the planted shop of
``test_report_pages_truth`` (CUSTOMERS buyers, a quarter leaving after any order), whose
figures are measured and shown.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import shopperlens
from conftest import _api_client
from shopperlens.cli import app
from shopperlens.reports import site
from shopperlens.service import clv as clv_svc
from test_partial_data import imported, said
from test_report_pages_truth import (
    CUSTOMERS,
    VISITING_BUYERS,
    _events_text,
    _order_days,
    _orders_text,
    _planted_rfm,
)
from test_report_review import _nobody_leaves

#: buyers who never drop out in the shop without dropout
NOBODY_LEAVES = 400
#: the sentence every face shares (``service.clv.no_dropout_note``), in parts
FOUND_NONE = "the CLV model found no customers dropping out on this data"
NO_ALL_CLEAR = "this is no all-clear, more order history is needed"

#: who the source comparisons leave out, and why
NO_VISIT = "customers without a visit on record by the day of their first order are left out"


def _shop_file(folder: Path, rfm: Any) -> Path:
    """A shop in a DuckDB file from planted purchase histories: orders for every customer,
    visits for the first VISITING_BUYERS (and for anonymous lookers)."""
    path = folder / "shop.duckdb"
    days = _order_days(rfm)
    with shopperlens.open(path) as shop:
        imported(shop, folder, orders=_orders_text(days), events=_events_text(days))
    return path


@pytest.fixture(scope="module")
def still(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Buyers who never drop out (the fit finds no dropout)."""
    return _shop_file(tmp_path_factory.mktemp("still"), _nobody_leaves(NOBODY_LEAVES))


@pytest.fixture(scope="module")
def leaving(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Buyers who do drop out: the figures are measured."""
    return _shop_file(tmp_path_factory.mktemp("leaving"), _planted_rfm())


def _cli(db: Path, *args: str) -> str:
    """The CLI's output on ``db`` (exit code 0), with the terminal's wrapping undone."""
    res = CliRunner().invoke(app, ["--db", str(db), *args])
    assert res.exit_code == 0, res.output
    return res.output


@pytest.fixture
def open_shop() -> Iterator[Any]:
    """Open shops on the planted files, closed after the test."""
    shops: list[Any] = []

    def opened(path: Path) -> Any:
        shops.append(shopperlens.open(path))
        return shops[-1]

    yield opened
    for s in shops:
        s.close()


def test_loyal_playbook_says_nobody_can_be_flagged(still: Path, leaving: Path, open_shop) -> None:  # type: ignore[no-untyped-def]
    """Not "no loyal customer is at risk (P(alive) has not fallen for any)": nobody's can."""
    md = open_shop(still).playbook("loyal").markdown()
    assert f"- {FOUND_NONE}" in md and NO_ALL_CLEAR in md
    assert "no loyal customer is at risk" not in md
    # the report's page of the playbook is the same text
    store = open_shop(still).store
    page = site.find("playbook-loyal")
    assert page is not None
    html = site.render(page, page.build(store, None), site.available_nav(store))
    assert FOUND_NONE in html and "no loyal customer is at risk" not in html
    # dropout planted: what the model measured, and no such sentence
    md = open_shop(leaving).playbook("loyal").markdown()
    assert FOUND_NONE not in md
    assert "loyal customers are at risk (P(alive) has fallen)" in md


def test_clv_report_says_no_dropout_and_who_is_left_out(still: Path, leaving: Path) -> None:
    left_out = NOBODY_LEAVES - VISITING_BUYERS
    out = said(_cli(still, "clv-report"))
    assert f"{NOBODY_LEAVES:,} customers," in out
    assert " – at risk," in out and " 0 at risk" not in out
    assert f"at risk –: {FOUND_NONE}" in out and NO_ALL_CLEAR in out
    assert f"{left_out} {NO_VISIT}" in out
    data = json.loads(_cli(still, "clv-report", "--json"))
    summary = data["summary"]
    assert summary["no_dropout"] is True and FOUND_NONE in summary["no_dropout_note"]
    assert summary["at_risk"] is None and summary["mean_p_alive"] is None
    assert data["effects_left_out"] == left_out
    assert data["effects_left_out_note"].startswith(f"{left_out} {NO_VISIT}")
    assert all(e["dropout"] is None and e["p_alive"] is None for e in data["effects"])
    assert sum(e["customers"] for e in data["effects"]) == VISITING_BUYERS
    # dropout planted: a measured count, the sources' dropouts, and still the left-out line
    out = said(_cli(leaving, "clv-report"))
    data = json.loads(_cli(leaving, "clv-report", "--json"))
    at_risk = data["summary"]["at_risk"]
    assert isinstance(at_risk, int) and f" {at_risk:,} at risk," in out
    assert FOUND_NONE not in out and data["summary"]["no_dropout"] is False
    assert f"{CUSTOMERS - VISITING_BUYERS} {NO_VISIT}" in out
    assert all(0 < e["dropout"] < 1 for e in data["effects"])


def test_http_effects_and_summary_carry_the_left_out_and_no_dropout(
    still: Path, leaving: Path, open_shop
) -> None:  # type: ignore[no-untyped-def]
    """Headers on ``/api/clv/effects`` (its body stays a list of rows), fields on
    ``/api/clv/summary``."""
    with _api_client(open_shop(still)) as c:
        res = c.get("/api/clv/effects", params={"by": "source"})
        assert res.status_code == 200
        rows = res.json()
        assert isinstance(rows, list) and sum(r["customers"] for r in rows) == VISITING_BUYERS
        assert all(r["dropout"] is None and r["p_alive"] is None for r in rows)
        left_out = NOBODY_LEAVES - VISITING_BUYERS
        assert res.headers["X-Shopperlens-Left-Out"] == str(left_out)
        assert res.headers["X-Shopperlens-Left-Out-Note"].startswith(f"{left_out} {NO_VISIT}")
        assert res.headers["X-Shopperlens-No-Dropout"] == "true"
        assert FOUND_NONE in res.headers["X-Shopperlens-No-Dropout-Note"]
        summary = c.get("/api/clv/summary").json()
        assert summary["no_dropout"] is True and NO_ALL_CLEAR in summary["no_dropout_note"]
        assert summary["at_risk"] is None and summary["mean_p_alive"] is None
    with _api_client(open_shop(leaving)) as c:
        res = c.get("/api/clv/effects", params={"by": "source"})
        assert res.headers["X-Shopperlens-No-Dropout"] == "false"
        assert "X-Shopperlens-No-Dropout-Note" not in res.headers
        assert res.headers["X-Shopperlens-Left-Out"] == str(CUSTOMERS - VISITING_BUYERS)
        assert all(0 < r["dropout"] < 1 for r in res.json())
        summary = c.get("/api/clv/summary").json()
        assert summary["no_dropout"] is False and isinstance(summary["at_risk"], int)


def test_types_table_shows_dashes_and_says_why(still: Path, leaving: Path, open_shop) -> None:  # type: ignore[no-untyped-def]
    """``types`` per type: "–" for P(alive) and the at-risk counts, and the reason, where it
    showed 1.0 and 0; ``GET /api/types`` leaves them null."""
    _cli(still, "clv")  # stores the run the types join
    out = _cli(still, "types", "--limit", "0")
    loyal = next(line for line in out.splitlines() if "│ loyal " in line)
    cells = [c.strip() for c in loyal.split("│")[1:-1]]
    assert cells[0] == "loyal" and cells[3:6] == ["–", "–", "–"]  # P(alive), at risk, loyal
    assert f"– loyal at risk: {FOUND_NONE}" in said(out) and NO_ALL_CLEAR in said(out)
    assert "0 loyal at risk" not in said(out)
    with _api_client(open_shop(still)) as c:
        page = c.get("/api/types", params={"limit": 0}).json()
        value = {v["type"]: v for v in page["value"]}
        assert page["loyal_at_risk"] is None and FOUND_NONE in page["no_dropout_note"]
        # listing the loyal customers at risk: refused with the reason, not an empty page
        res = c.get("/api/types", params={"type": "loyal_at_risk"})
        assert res.status_code == 400 and FOUND_NONE in res.json()["detail"]
    assert value["loyal"]["subjects"] > 0 and value["loyal"]["mean_clv"] > 0
    assert value["loyal"]["mean_p_alive"] is None and value["loyal"]["at_risk"] is None
    # dropout planted: measured figures per type
    _cli(leaving, "clv")
    out = _cli(leaving, "types", "--limit", "0")
    loyal = next(line for line in out.splitlines() if "│ loyal " in line)
    cells = [c.strip() for c in loyal.split("│")[1:-1]]
    assert "–" not in cells[3:6] and 0 < float(cells[3]) < 1
    assert FOUND_NONE not in said(out) and "loyal at risk (loyal, P(alive) fallen" in said(out)
    with _api_client(open_shop(leaving)) as c:
        assert c.get("/api/types", params={"type": "loyal_at_risk"}).status_code == 200
        page = c.get("/api/types", params={"limit": 0}).json()
        assert isinstance(page["loyal_at_risk"], int) and page["no_dropout_note"] == ""


def test_report_pages_and_faces_share_one_judgement(still: Path, open_shop) -> None:  # type: ignore[no-untyped-def]
    """The Value and Customer types pages show the service's judgement, the one every other
    face shows: the same dropout, from the same fit."""
    store = open_shop(still).store
    summary = clv_svc.value_summary(store=store)
    dropout = clv_svc.no_dropout(summary.params)
    assert dropout is not None and dropout < clv_svc.NO_DROPOUT
    value_ctx = site.find("value").build(store, None)  # type: ignore[union-attr]
    assert value_ctx["no_dropout"]["dropout"] == dropout
    types_ctx = site.find("types").build(store, None)  # type: ignore[union-attr]
    assert types_ctx["no_dropout"] == pytest.approx(dropout, rel=1e-6)
    assert clv_svc.stored_run_no_dropout(store=store) == types_ctx["no_dropout"]
    assert summary.no_dropout_note == clv_svc.no_dropout_note(dropout)


def test_explain_and_clv_say_no_dropout(still: Path, leaving: Path, open_shop) -> None:  # type: ignore[no-untyped-def]
    """``types explain`` showed "P(alive) 1.00" for one customer, ``clv`` a column of 1.0 and
    ``clv --at-risk`` an empty list: read as "this customer is surely still buying" and
    "nobody is at risk". They now leave P(alive) out and say why; ``GET /api/clv`` says it
    in the headers ``/api/clv/effects`` uses."""
    out = said(_cli(still, "clv"))  # also stores the run that explain joins
    assert f"P(alive) and at risk –: {FOUND_NONE}" in out and NO_ALL_CLEAR in out
    out = said(_cli(still, "clv", "--at-risk"))
    assert FOUND_NONE in out and "(nothing)" not in out
    customer = open_shop(still).store.scalar(
        "SELECT customer_id FROM customer_value ORDER BY customer_id LIMIT 1"
    )
    out = said(_cli(still, "types", "explain", customer))
    assert f"P(alive) –: {FOUND_NONE}" in out and "P(alive) 1.00" not in out
    assert "CLV " in out  # the value itself is still shown
    ex = json.loads(_cli(still, "types", "explain", customer, "--json"))
    assert ex["p_alive"] is None and ex["at_risk"] is None and ex["loyal_at_risk"] is None
    assert FOUND_NONE in ex["no_dropout_note"] and ex["clv"] > 0
    with _api_client(open_shop(still)) as c:
        res = c.get("/api/clv", params={"limit": 5})
        assert res.status_code == 200 and res.headers["X-Shopperlens-No-Dropout"] == "true"
        assert FOUND_NONE in res.headers["X-Shopperlens-No-Dropout-Note"]
    # dropout planted: a measured P(alive), and no such line
    out = said(_cli(leaving, "clv"))
    assert FOUND_NONE not in out
    customer = open_shop(leaving).store.scalar(
        "SELECT customer_id FROM customer_value ORDER BY p_alive LIMIT 1"
    )
    ex = json.loads(_cli(leaving, "types", "explain", customer, "--json"))
    assert 0 < ex["p_alive"] < 1 and ex["no_dropout_note"] == ""
    assert "P(alive) 0." in said(_cli(leaving, "types", "explain", customer))
    with _api_client(open_shop(leaving)) as c:
        res = c.get("/api/clv", params={"limit": 5})
        assert res.headers["X-Shopperlens-No-Dropout"] == "false"
        assert "X-Shopperlens-No-Dropout-Note" not in res.headers
