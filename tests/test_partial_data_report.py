"""The report on stores holding part of a shop's data: guest checkouts only (orders naming no
customer), and shops too small for the lifetime-value models.

A store of guest orders has orders but nobody to type: every face says so (not "import them
first"), and the report leaves the types and playbook pages out instead of failing on them.
The Value page's lookers' intent needs visits, not purchase history: it is still scored when
the CLV models refuse the orders, and says why when it cannot be.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pytest

from shopperlens import Shop
from shopperlens.errors import InsufficientDataError
from shopperlens.reports import site
from shopperlens.service import intent as intent_svc
from shopperlens.service import value_run
from shopperlens.store import Store
from test_partial_data import UCI_COLUMNS, imported, many_orders, orders_csv, page, said

#: pages that type the shop's people first, so a store of guest checkouts has none of them
TYPED_PAGES = ("types", "playbook-need-based", "playbook-looker", "playbook-new",
               "playbook-loyal", "playbook-impulse")  # fmt: skip


def guest_csv(orders: int = 12) -> str:
    """``orders`` guest checkouts (no customer id, no e-mail), two lines each."""
    out = "order_id,customer_id,ordered_at,product_id,quantity,unit_price,currency\n"
    for i in range(orders):
        day = f"2025-03-{1 + i % 28:02d} 10:00:00"
        out += f"G{i},,{day},P{i % 3},1,20.0,EUR\nG{i},,{day},P{3 + i % 2},2,15.0,EUR\n"
    return out


def sessions_csv(rows: int = 240, every: int = 6) -> str:
    """UCI-style session aggregates: every ``every``-th session bought, after more product
    pages and a page value; the others browsed and left (enough of both to score intent)."""
    out = UCI_COLUMNS
    for i in range(rows):
        bought = i % every == 0
        pages = 20 + i % 7 if bought else 2 + i % 9
        value = 10 + i % 5 if bought else (i % 4) * (i % 3 == 0)
        out += (
            f"{i % 3},{10 * (i % 3)},0,0,{pages},{30 * pages},0.0{i % 5},0.{1 + i % 4},"
            f"{value},0,Mar,{1 + i % 2},1,{1 + i % 4},{1 + i % 3},Returning_Visitor,"
            f"{'TRUE' if i % 2 else 'FALSE'},{'TRUE' if bought else 'FALSE'}\n"
        )
    return out


# -- 1. guest checkouts only -------------------------------------------------------------------
def test_guest_orders_are_said_to_name_no_customer_on_every_face(
    shop: Shop, client: Any, cli: Any, tmp_path: Path
) -> None:
    """The refusal counts the orders there are and says what types need, in Python, over
    HTTP and in the CLI alike, rather than telling the shop to import what it imported."""
    n = 12
    imported(shop, tmp_path, orders=guest_csv(n))
    wanted = f"the {n} orders name no customer (guest checkouts)"
    with pytest.raises(InsufficientDataError) as raised:
        shop.types()
    assert wanted in str(raised.value) and "import them first" not in str(raised.value)
    res = client.get("/api/types")
    assert res.status_code >= 400 and wanted in res.json()["detail"]
    assert cli("import", "orders", str(tmp_path / "orders.csv")).exit_code == 0
    out = cli("types")
    assert out.exit_code == 1 and wanted in said(out.output)


def test_report_of_guest_orders_leaves_out_the_typed_pages(shop: Shop, tmp_path: Path) -> None:
    """The report is written (front page and all), without the pages that type people."""
    imported(shop, tmp_path, orders=guest_csv(12))
    result = shop.report(tmp_path / "rep")
    assert Path(result.index).is_file() and "index" in result.pages
    assert not set(TYPED_PAGES) & set(result.pages)
    assert not any((tmp_path / "rep" / f"{slug}.html").exists() for slug in TYPED_PAGES)


@pytest.mark.parametrize("sessions", [False, True], ids=["guests", "guests+sessions"])
def test_menu_agrees_with_the_pages_built_for_guest_orders(
    shop: Shop, tmp_path: Path, sessions: bool
) -> None:
    """Every page the menu offers is built, and every page built is offered: with imported
    session aggregates beside the guest orders the types page shows those sessions."""
    files = {"orders": guest_csv(12)} | ({"sessions": sessions_csv(30)} if sessions else {})
    imported(shop, tmp_path, **files)
    for p in site.pages():
        assert p.available(shop.store) == (p.build(shop.store, None) is not None), p.slug
    assert site.find("types").available(shop.store) is sessions  # type: ignore[union-attr]


def test_dashboard_says_why_a_guest_store_has_no_types_page(
    shop: Shop, client: Any, tmp_path: Path
) -> None:
    """Not offered, and an old link is the page saying what it needs (404), not a 400."""
    imported(shop, tmp_path, orders=guest_csv(12))
    menu = [item["slug"] for item in site.available_nav(shop.store)]
    for slug in TYPED_PAGES:
        assert slug not in menu, slug
        res = client.get(f"/dashboard/{slug}.html")
        assert res.status_code == 404 and "guest checkouts" in html.unescape(res.text), slug


# -- 2. the Value page of a shop too small for CLV ----------------------------------------------
def _gate(store: Store) -> str:
    """Why the CLV models refuse this store's orders, as the service says it."""
    with pytest.raises(InsufficientDataError) as raised:
        value_run.current_customer_value(store=store)
    return str(raised.value)


def test_value_page_says_the_clv_gate_once_and_why_no_intent(shop: Shop, tmp_path: Path) -> None:
    """Orders only, too few buyers: the gate's words appear once, and the lookers' section
    says why nobody is scored (no visit data) instead of standing empty; the JSON too."""
    imported(shop, tmp_path, orders=orders_csv(many_orders()))
    gate = _gate(shop.store)
    text = page(shop.store, "value")
    assert text is not None
    # the gate's sentence, and no lead-in repeating its words ("purchase history" twice)
    assert gate[1:] in text and text.count("purchase history") == gate.count("purchase history")
    with pytest.raises(InsufficientDataError) as no_intent:
        intent_svc.latest_intent(store=shop.store)
    ctx = site.find("value").build(shop.store, None)  # type: ignore[union-attr]
    assert ctx is not None and ctx["gate"] == gate
    assert ctx["intent_gate"] == str(no_intent.value)
    assert "intent_gate" in json.loads(site.to_json(ctx))
    section = text.split("Lookers closest to buying</h2>")[1]
    assert "<p></p>" not in section and str(no_intent.value)[1:] in section


def test_value_page_scores_intent_when_clv_is_refused(shop: Shop, tmp_path: Path) -> None:
    """Too few buyers for CLV, enough sessions for intent: the lookers are still listed."""
    imported(shop, tmp_path, orders=orders_csv(many_orders()), sessions=sessions_csv())
    gate = _gate(shop.store)
    ctx = site.find("value").build(shop.store, None)  # type: ignore[union-attr]
    assert ctx is not None and ctx["gate"] == gate and "intent_gate" not in ctx
    scored = intent_svc.latest_intent(store=shop.store)
    assert ctx["intent_count"] == len(scored) > 0
    assert [r["session_id"] for r in ctx["intent"]] == scored["session_id"].head(20).tolist()
    text = page(shop.store, "value")
    assert text is not None and f"({len(scored):,} scored)" in " ".join(text.split())
