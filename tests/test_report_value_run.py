"""One CLV run per report: the current one, whichever page is built first.

After two newer orders the Value page counted 43 loyal customers at risk from a fresh fit but
listed 45 from the stored run (one had ordered the day before), and the types page's "Value per
type" showed blank CLV and "at risk 0" because the stored run was too old to join. On a store
without a run, the first report's types page had no value section and the second had one.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import shopperlens
from shopperlens.reports import site
from shopperlens.service import clv, value_run
from shopperlens.service.types_value import value_by_type
from test_partial_data import imported, orders_csv, three_customers

START = pd.Timestamp("2024-01-01")
#: the lapsing loyal customers who order again after the stored run (see _history)
COMEBACK = ("lapse0", "lapse1")


def _history(seed: int = 3) -> list[tuple[str, str, str, str, float]]:
    """A year of orders the CLV models accept: 70 steady repeat buyers, 30 loyal customers
    who bought five times in the first 100 days and then stopped, 80 one-time buyers."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, str, str, str, float]] = []

    def order(customer: str, day: float) -> None:
        when = START + pd.Timedelta(days=int(day))
        rows.append((f"o{len(rows)}", customer, f"{when:%Y-%m-%d}", "P1", 40.0 + len(rows) % 60))

    for c in range(70):
        day = rng.uniform(0, 30)
        while day < 364:
            order(f"steady{c}", day)
            day += rng.uniform(15, 40)
    for c in range(30):
        for k in range(5):
            order(f"lapse{c}", rng.uniform(0, 10) + 20 * k)
    for c in range(80):
        order(f"once{c}", rng.uniform(0, 364))
    return rows


def _comeback_orders() -> str:
    """Two lapsing customers order again, 60 days after the history ends."""
    late = START + pd.Timedelta(days=425)
    day = [f"{late + pd.Timedelta(days=i):%Y-%m-%d}" for i in range(len(COMEBACK))]
    return orders_csv([(f"late{i}", c, day[i], "P1", 80.0) for i, c in enumerate(COMEBACK)])


@pytest.fixture
def shop():  # type: ignore[no-untyped-def]
    s = shopperlens.open(":memory:")
    yield s
    s.close()


def _build(store, slug: str):  # type: ignore[no-untyped-def]
    page = site.find(slug)
    assert page is not None
    return page.build(store, None)


def test_value_page_tables_and_totals_come_from_one_fresh_run(shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    imported(shop, tmp_path, orders=orders_csv(_history()))
    stored = clv.customer_value(store=shop.store, save=True)  # as `shopperlens clv` leaves it
    assert set(COMEBACK) <= set(stored.loc[stored["at_risk"], "customer_id"])
    (tmp_path / "late").mkdir()
    imported(shop, tmp_path / "late", orders=_comeback_orders())

    value = _build(shop.store, "value")
    assert value["summary"].as_of == START + pd.Timedelta(days=426)
    assert value["at_risk_total"] == value["summary"].at_risk  # one run, one count
    assert value["summary"].customers == shop.store.count("customer_value")
    listed = {r["customer_id"] for r in value["at_risk"]}
    assert not listed & set(COMEBACK)  # they ordered yesterday: not at risk
    assert value_run.is_current(store=shop.store)

    types = _build(shop.store, "types")
    loyal = next(v for v in types["value"] if v["type"] == "loyal")
    assert loyal["mean_clv"] is not None and loyal["at_risk"] is not None
    assert types["value_note"] == ""
    assert {r["id"] for r in types["loyal_at_risk"]} <= listed | {
        r["customer_id"] for r in _build(shop.store, "value")["at_risk"]
    }


def test_the_pages_list_the_same_loyal_customers_at_risk_in_one_order(shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The demo's owner found three lists of "45 loyal at risk" that differed: the types page
    showed 25 by CLV, the Value page 30 by CLV (and called every repeat buyer at risk loyal),
    the loyal playbook 20 by revenue."""
    imported(shop, tmp_path, orders=orders_csv(_history()))
    value = _build(shop.store, "value")
    types = _build(shop.store, "types")
    playbook = _build(shop.store, "playbook-loyal")
    on_types = [r["id"] for r in types["loyal_at_risk"]]
    on_playbook = [r["customer_id"] for r in playbook["at_risk"]]
    assert len(on_types) == site.AT_RISK_SHOWN < types["loyal_at_risk_total"]
    assert on_playbook == on_types and playbook["at_risk_total"] == types["loyal_at_risk_total"]
    clvs = [r["clv"] for r in playbook["at_risk"]]
    assert clvs == sorted(clvs, reverse=True) and len(set(clvs)) > 1
    # the Value page lists repeat customers at risk of any type, the same way round
    on_value = [r["customer_id"] for r in value["at_risk"]]
    assert len(on_value) == site.AT_RISK_SHOWN
    loyal_on_value = [c for c in on_value if c in set(on_types)]
    assert loyal_on_value == on_types[: len(loyal_on_value)]


def test_first_and_second_report_show_the_same_value_per_type(shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    imported(shop, tmp_path, orders=orders_csv(_history()))
    assert shop.store.count("customer_value") == 0  # no run stored yet
    first, second = tmp_path / "first", tmp_path / "second"
    site.write_report(shop.store, first)
    site.write_report(shop.store, second)
    one = json.loads((first / "types.json").read_text())
    two = json.loads((second / "types.json").read_text())
    assert one["value"] and one["value"] == two["value"]
    assert one["loyal_at_risk_total"] == two["loyal_at_risk_total"] > 0
    value = json.loads((first / "value.json").read_text())
    assert one["loyal_at_risk_total"] <= value["at_risk_total"] == value["summary"]["at_risk"]


def test_a_run_not_joined_is_not_counted_as_zero() -> None:
    """The value columns exist but no CLV row joined (the run is of another date): the
    counts are unknown, not 0."""
    frame = pd.DataFrame(
        {"type": ["loyal", "loyal", "looker"], "clv": np.nan, "p_alive": np.nan,
         "at_risk": pd.array([pd.NA] * 3, dtype="boolean"), "loyal_at_risk": False,
         "intent": [np.nan, np.nan, 0.4]}
    )  # fmt: skip
    rows = value_by_type(frame).set_index("type")
    assert rows.loc["loyal", "at_risk"] is None and rows.loc["loyal", "loyal_at_risk"] is None
    assert rows.loc["looker", "at_risk"] is None and rows.loc["looker", "mean_intent"] == 0.4


def test_a_run_the_data_no_longer_support_is_dropped_and_said(shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    imported(shop, tmp_path, orders=orders_csv(three_customers()))
    old = {"as_of": START, "horizon_days": 365, "frequency": 2.0, "recency": 60.0, "T": 90.0,
           "monetary_value": 50.0, "p_alive": 0.2, "expected_purchases": 1.0,
           "expected_spend": 50.0, "clv": 300.0, "at_risk": True, "computed_at": START}  # fmt: skip
    shop.store.con.register("_old", pd.DataFrame([{**old, "customer_id": "c1"}]))
    shop.store.execute("INSERT INTO customer_value BY NAME SELECT * FROM _old").fetchall()
    types = _build(shop.store, "types")
    assert shop.store.count("customer_value") == 0
    assert types["value_note"].startswith("not enough purchase history")
    assert types["loyal_at_risk"] == [] and "loyal at risk" not in json.dumps(types["examples"])


def test_types_of_another_date_than_the_run_say_so(shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Visits go on two months after the last order: the types are as of then, the CLV run
    as of the last order; the page says why it has no CLV figures instead of "0 at risk"."""
    late = START + pd.Timedelta(days=425)
    events = (
        "event_id,visitor_id,session_id,timestamp,event_name,page\n"
        f"e1,v1,s1,{late:%Y-%m-%d} 10:00:00,page_view,/\n"
    )
    imported(shop, tmp_path, orders=orders_csv(_history()), events=events)
    types = _build(shop.store, "types")
    assert "more than 31 days from these types" in types["value_note"]
    loyal = next(v for v in types["value"] if v["type"] == "loyal")
    assert loyal["mean_clv"] is None and loyal["at_risk"] is None
    html = site.render(site.find("types"), types, [])  # type: ignore[arg-type]
    assert "No CLV figures per type: the stored customer-value run is as of" in html


@pytest.fixture
def zone(monkeypatch):  # type: ignore[no-untyped-def]
    """Set the machine's time zone for one test (and restore it after)."""
    import time

    def set_zone(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield set_zone
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("where", ["Europe/Tallinn", "America/New_York"])
def test_a_run_is_current_after_its_fit_and_not_after_the_next_import(
    shop, tmp_path: Path, zone, where: str
) -> None:  # type: ignore[no-untyped-def]
    """Runs and imports are compared on one clock (UTC). Stamped in local time, a run looked
    newer than the next import for hours east of UTC (the report kept the old run) and older
    than the import it followed west of UTC (CLV was fitted again on every page)."""
    zone(where)
    imported(shop, tmp_path, orders=orders_csv(_history()))
    assert value_run.ensure_current(store=shop.store) is None
    assert value_run.is_current(store=shop.store)  # fitted once, then current
    (tmp_path / "late").mkdir()
    repeat = orders_csv(
        [("again0", "steady0", f"{START + pd.Timedelta(days=300):%Y-%m-%d}", "P1", 50.0)]
    )
    imported(shop, tmp_path / "late", orders=repeat)  # an existing customer, an older day
    assert not value_run.is_current(store=shop.store)


def test_a_consent_import_keeps_the_current_run(shop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """CLV reads orders only: a consent file imported after the fit changes no figure, so the
    next page does not fit the models again."""
    imported(shop, tmp_path, orders=orders_csv(_history()))
    assert value_run.ensure_current(store=shop.store) is None
    consents = tmp_path / "consents.csv"
    consents.write_text("customer_id,purpose,granted\nsteady0,marketing,no\n")
    shop.consent_import(consents)
    assert value_run.is_current(store=shop.store)


def test_the_loyal_playbook_says_why_nobody_is_flagged_at_risk(shop, tmp_path: Path) -> None:
    """ "no loyal customer flagged at risk (or no CLV run)" left the owner to guess which."""
    from shopperlens.service import playbooks

    imported(shop, tmp_path, orders=orders_csv(three_customers()))
    pb = playbooks.playbook(store=shop.store, type="loyal")
    (service,) = [a for a in pb.actions if a.number == 3]
    said = " ".join(str(e) for e in service.evidence)
    assert "nobody can be flagged at risk: no CLV figures (not enough purchase history" in said
