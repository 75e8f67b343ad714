"""Playbook, threshold, funnel, CLV check and audience export on stores holding part of a
shop's data: an empty figure is said to be empty (never "0 loyal buyers, EUR 0 each"), --json
stays JSON, a refusal names the data that are missing, and people without a customer record
are told apart (anonymous visitors, and ids known only from visits).

The stores are built with the CSV helpers of ``test_partial_data``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _ingest_data import write
from shopperlens.errors import InsufficientDataError
from test_partial_data import imported, lookers_csv, orders_csv, page, said

ONE_ORDER = [("o1", "c1", "2025-03-01", "P1", 20.0)]
#: three customers over three months: too few for CLV, but a history the check can split
THREE = [
    ("o1", "c1", "2024-01-05", "P1", 20.0),
    ("o2", "c1", "2024-03-20", "P2", 10.0),
    ("o3", "c2", "2024-02-01", "P1", 20.0),
    ("o4", "c3", "2024-04-02", "P2", 50.0),
]


def _import(cli, tmp_path: Path, kind: str, text: str) -> None:  # type: ignore[no-untyped-def]
    res = cli("import", kind, str(write(tmp_path, f"{kind}.csv", text)))
    assert res.exit_code == 0, res.output


# -- A. no loyal buyers is no money figure ----------------------------------------------------
def test_no_loyal_buyers_is_said_not_priced_at_zero(shop, tmp_path: Path) -> None:
    """One order: nobody is loyal, and nobody bought on impulse. 0/0 is no "EUR 0 each"."""
    imported(shop, tmp_path, orders=orders_csv(ONE_ORDER))
    md = shop.playbook().markdown()
    loyal = md.split("## Loyal customers")[1].split("## Impulse buyers")[0]
    assert "no loyal buyers yet" in loyal
    assert "EUR 0" not in loyal and "0 loyal buyers" not in loyal
    impulse = md.split("## Impulse buyers")[1]
    assert "no impulse orders yet" in impulse and "EUR 0" not in impulse
    html = page(shop.store, "playbook-loyal")  # the report's page reads the same words
    assert html is not None and "no loyal buyers yet" in html
    assert "EUR 0 each" not in html and "bring EUR 0" not in html


# -- B. --json is JSON, and an empty table says why --------------------------------------------
def test_threshold_without_orders_is_an_error_in_json_too(cli, tmp_path: Path) -> None:
    """No orders: the same one-line error (exit 1) with or without --json, as ``types --json``
    says its own; orders without a value still answer in JSON (below)."""
    _import(cli, tmp_path, "events", lookers_csv(2))
    text, res = cli("threshold"), cli("threshold", "--json")
    assert text.exit_code == res.exit_code == 1 and res.stdout == ""
    assert said(res.stderr) == said(text.stderr)
    assert said(res.stderr).startswith("error: no orders imported yet")


def test_threshold_json_without_order_values_is_json(cli, tmp_path: Path) -> None:
    """Orders, none with a value: no threshold, said as JSON."""
    _import(cli, tmp_path, "orders", orders_csv([("o1", "c1", "2025-03-01", "P1", 0.0)]))
    shown = json.loads(cli("threshold", "--json").output)
    assert shown == {"threshold": None, "reason": "no orders with a value yet"}


def test_funnel_without_visit_data_says_so(cli, tmp_path: Path) -> None:
    _import(cli, tmp_path, "orders", orders_csv(THREE))
    for res in (cli("funnel"), cli("funnel", "--json")):
        assert res.exit_code == 1 and res.stdout == ""
        assert said(res.stderr).startswith("error: no funnel: it is built from visits")
        assert "shopperlens import events FILE" in said(res.stderr)


# -- C. the holdout check refuses with the data gate's words ----------------------------------
@pytest.mark.parametrize("rows", [ONE_ORDER, THREE], ids=["one order", "three customers"])
def test_forecast_check_gives_the_same_data_message_as_clv(
    shop, tmp_path: Path, rows: list[tuple[str, str, str, str, float]]
) -> None:
    imported(shop, tmp_path, orders=orders_csv(rows))
    with pytest.raises(InsufficientDataError) as clv:
        shop.clv()
    with pytest.raises(InsufficientDataError) as check:
        shop.clv_forecast_check()
    assert str(check.value) == str(clv.value)
    assert "buyer" in str(check.value) and "(need 100)" in str(check.value)
    if rows is ONE_ORDER:  # (not "1 buyers")
        assert "1 buyer (need 100); 0 repeat buyers (need 20)" in str(check.value)


# -- D. lookers without a customer record: anonymous, or known only by id ---------------------
def _lookers_with_ids(visitors: int, with_id: tuple[int, ...]) -> str:
    """:func:`lookers_csv`, the visitors numbered ``with_id`` logged in (a customer id on
    their events, as a shop's site sends it), with no customer record imported."""
    text = lookers_csv(visitors)
    for v in with_id:
        for visit in range(2):
            text = text.replace(f",v{v},s{v}-{visit},,", f",v{v},s{v}-{visit},K{v},")
    return text


def test_lookers_without_customer_record_are_told_apart(cli, tmp_path: Path) -> None:
    visitors, ids = 6, (0, 1)
    _import(cli, tmp_path, "events", _lookers_with_ids(visitors, ids))
    assert cli("types").exit_code == 0
    out = str(tmp_path / "l.csv")
    res = cli("audience", "export", "--type", "looker", "--to", "csv", "--out", out)
    assert res.exit_code == 0, res.output
    warning = said(res.stderr)
    assert "no customer is of type looker" not in warning  # beside "looker 6": contradictory
    anonymous = visitors - len(ids)
    assert f"{anonymous} are anonymous visitors" in warning
    assert f"{len(ids)} have a customer id but no customer record" in warning
    assert "import customers" in warning
    md = said(cli("playbook", "--type", "looker").output)
    assert (
        f"writes 0 of the {visitors}: {anonymous} are anonymous visitors (no customer record); "
        f"{len(ids)} have a customer id but no customer record" in md
    )


def test_a_segment_selecting_none_of_a_type_is_not_blamed_on_missing_records(
    cli, tmp_path: Path
) -> None:
    """With the lookers' customer records imported, ``--segment "orders > 100"`` selected
    none, and the warning told to import the customers that were there."""
    _import(cli, tmp_path, "events", _lookers_with_ids(6, (0, 1)))
    _import(cli, tmp_path, "customers", "customer_id,email\nK0,k0@example.com\nK1,k1@x.com\n")
    assert cli("types").exit_code == 0
    out = str(tmp_path / "l.csv")
    args = ("audience", "export", "--type", "looker", "--to", "csv", "--out", out)
    res = cli(*args, "--segment", "orders > 100")
    warning = said(res.stderr)
    assert "the segment selects none of the 2 customers of type looker on record" in warning
    assert "import customers" not in warning
    assert said(cli(*args).output).startswith("wrote 2 rows")
