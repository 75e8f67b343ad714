"""What a newcomer following the README ran into: hints naming a command that fails, zeros
shown for what was never measured, a ledger unreadable at 80 columns, a store listing that
leaves out its survey answers, and a Python face that returned nothing where the CLI refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import shopperlens
from _ingest_data import ORDERS, write
from shopperlens.cli import app
from shopperlens.errors import ShopperlensError
from shopperlens.playbooks import generator
from shopperlens.reports import site
from shopperlens.service import clv
from shopperlens.service import personas as personas_svc
from shopperlens.service import types as types_svc
from test_clv_currency import planted_orders


# -- 2: every hint to import survey answers names the required --survey ------------------------
def test_survey_import_hints_name_the_required_survey_option(client, shop) -> None:  # type: ignore[no-untyped-def]
    """`shopperlens import survey FILE` alone stops with "Missing option '--survey'"."""
    for slug in ("surveys", "personas"):
        assert "import survey FILE --survey NAME" in site.find(slug).needs, slug
    html = client.get("/dashboard/surveys.html")
    assert html.status_code == 404 and "import survey FILE --survey NAME" in html.text
    body = client.get("/dashboard/surveys.json")
    assert body.status_code == 404
    assert "import survey FILE --survey NAME" in body.json()["detail"]
    with pytest.raises(ShopperlensError, match="import survey FILE --survey NAME"):
        personas_svc.build(store=shop.store)
    # a fresh store has no survey to import into: the hints name creating one first
    assert "survey create NAME" in site.find("surveys").needs
    assert "<code>shopperlens survey create NAME</code> (once" in html.text
    with pytest.raises(ShopperlensError, match="survey create NAME"):
        personas_svc.build(store=shop.store)


# -- 3: no CLV run joined, no "0 loyal at risk" ------------------------------------------------
@pytest.fixture(scope="module")
def valued(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, pd.Timestamp]]:
    """A store of planted orders with a CLV run stored as of its last order day, and that
    day: types as of an earlier date must not be joined with it."""
    tmp = tmp_path_factory.mktemp("valued")
    orders = planted_orders().assign(product_id="P1", quantity=1, currency="EUR", status="paid")
    orders.rename(columns={"value": "unit_price"}).to_csv(tmp / "orders.csv", index=False)
    with shopperlens.open(tmp / "shop.duckdb") as s:
        s.import_orders(tmp / "orders.csv")
        clv.customer_value(store=s.store, save=True)
        run = pd.Timestamp(s.store.scalar("SELECT max(as_of) FROM customer_value"))
    yield tmp / "shop.duckdb", run


def test_loyal_at_risk_is_missing_not_false_when_no_clv_run_is_joined(valued, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db, run = valued
    as_of = f"{run - pd.Timedelta(days=60):%Y-%m-%d}"
    with shopperlens.open(db) as s:
        typed = types_svc.customer_types(store=s.store, as_of=as_of, save=False)
        assert typed["clv"].isna().all() and typed["loyal_at_risk"].isna().all()
        loyal = typed.loc[typed["type"] == "loyal", "customer_id"].iloc[0]
        assert s.explain_type(loyal, as_of).loyal_at_risk is None
    out = tmp_path / "t.csv"
    res = CliRunner().invoke(app, ["--db", str(db), "types", "--as-of", as_of, "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "0 loyal at risk" not in res.output and "– loyal at risk" in res.output
    assert pd.read_csv(out)["loyal_at_risk"].isna().all()
    # the current types are joined with the run (their CLV shown); the planted buyers never
    # stop buying (a and b on their ridge, a/(a+b) 0.0 %), so the line says the model found
    # no dropout, not "0 loyal at risk"
    res = CliRunner().invoke(app, ["--db", str(db), "types", "--limit", "0"])
    assert res.exit_code == 0, res.output
    assert "0 loyal at risk" not in res.output
    assert "the CLV model found no customers dropping out" in " ".join(res.output.split())
    with shopperlens.open(db) as s:
        typed = s.latest_types()
    assert typed["clv"].notna().all()  # joined with the current run


# -- 4: an action without a money estimate says so, never "EUR 0" -----------------------------
def test_action_without_estimate_shows_no_eur_0_formula() -> None:
    """No need-based shopper left a cart open: the cart formula is no "EUR 0" estimate."""
    empty = pd.DataFrame(columns=["customer_id", "visitor_id", "type", "orders", "revenue"])
    carts = pd.DataFrame({"visitor_id": ["v1"], "cart_value": [50.0], "type": ["looker"]})
    ev = generator.Evidence(
        customers=empty, visitors=empty, aov=100.0, funnel=pd.DataFrame(), abandoned=carts,
        keywords=pd.DataFrame(), sources=pd.DataFrame(), imported=frozenset({"orders", "events"}),
    )  # fmt: skip
    first = generator.build_playbook(ev, ("need_based",))[0]
    assert first.priority is None and "EUR 0" not in first.basis, first.basis
    text = generator.render_markdown([first])
    assert "- priority: no money estimate (abandoned cart value × recovery rate" in text, text


# -- 6: the import ledger fits 80 columns -----------------------------------------------------
def test_imports_table_fits_80_columns(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("import", "orders", str(write(tmp_path, "orders_2024.csv", ORDERS))).exit_code == 0
    res = CliRunner().invoke(
        app, ["--db", str(tmp_path / "shop.duckdb"), "imports"], env={"COLUMNS": "80"}
    )
    assert res.exit_code == 0, res.output
    assert "…" not in res.output, res.output
    assert max(len(line) for line in res.output.splitlines()) <= 80
    assert "orders_2024.csv" in res.output and "checksum" not in res.output
    full = cli("imports", "--json")
    assert '"checksum"' in full.stdout and '"rows_rejected"' in full.stdout


# -- 7: `tables` lists the survey, interview and persona tables --------------------------------
def test_tables_lists_survey_persona_and_interview_tables(shop) -> None:  # type: ignore[no-untyped-def]
    rows = {t.name: t.rows for t in shop.tables()}
    for name in ("surveys", "survey_responses", "interview_notes", "persona_runs", "personas"):
        assert rows[name] == 0, name
    shop.survey_create("demo-profile")
    assert {t.name: t.rows for t in shop.tables()}["surveys"] == 1


# -- 9: the Python face refuses a store without session aggregates as the CLI does -------------
def test_session_types_without_imported_sessions_is_refused(shop, cli) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ShopperlensError, match="no imported sessions") as caught:
        shop.session_types()
    res = cli("types", "sessions")
    assert res.exit_code == 1 and str(caught.value) in res.output
