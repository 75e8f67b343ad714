"""The report read by a shop owner: every technical term explained (on its page and in one
glossary), one name per customer type, the shop's currency on every amount, intent drivers in
words, and interview recruitment that calls a ticket a support ticket.

The page checks share one small demo shop (400 people: with fewer, purchase intent has too few
visitors to train on) whose orders are then switched to GBP: a currency the templates never
name, so an amount that shows it was marked from the data.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from markupsafe import escape

from shopperlens.reports import site
from shopperlens.reports.glossary import PAGE, TERMS, term
from shopperlens.service import demo as demo_svc
from shopperlens.service import interviews
from shopperlens.service import personas as personas_svc
from shopperlens.service.intent import (
    EVENT_FEATURES,
    FEATURE_LABELS,
    IMPORT_FEATURES,
    readable_driver,
)
from shopperlens.service.overview import shop_currency
from shopperlens.store import Store, connect
from test_playbooks_shop import _insert

TEMPLATES = Path(site.__file__).parent / "templates"
#: the terms the newcomer could not read (the review's list)
REVIEWED = {
    "p_alive", "clv", "bgnbd", "gamma_gamma", "rate_ratio", "dropout", "gap_variation",
    "calibrated", "macro_f1", "adjusted_rand", "stability", "tfidf_nmf", "lift", "confidence",
    "support", "model_parameters", "drivers",
}  # fmt: skip
CURRENCY = "GBP"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A small demo shop whose orders are in GBP, and its report written from that."""
    out = tmp_path_factory.mktemp("report")
    store = connect(":memory:")
    demo_svc.run_demo(store=store, out_dir=out / "demo", n_customers=400)
    store.execute(f"UPDATE orders SET currency = '{CURRENCY}'")
    personas_svc.demo_step(store=store)  # persona statements are text: built in GBP now
    site.write_report(store, out / "site")
    yield store, out / "site"
    store.close()


def _visible(page: str) -> str:
    """The text a reader sees: no markup, styles, scripts, charts or code (segments and
    commands are code, where ids belong)."""
    page = re.sub(r"<(style|script|svg|code)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r'src="data:[^"]*"', "", page)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _pages(out: Path) -> dict[str, str]:
    return {p.name: p.read_text("utf-8") for p in sorted(out.glob("*.html"))}


# -- 1. the glossary ------------------------------------------------------------------------
def test_glossary_defines_every_term_the_templates_use() -> None:
    used: set[str] = set()
    for path in TEMPLATES.glob("*.html"):
        text = path.read_text()
        used |= set(re.findall(r'\bterm\("(\w+)"', text))  # the key; a label may follow
        for call in re.findall(r"\bterms_note\(([^)]*)\)", text):
            used |= set(re.findall(r'"(\w+)"', call))
    assert used >= REVIEWED, f"reviewed terms never marked on a page: {REVIEWED - used}"
    assert used <= set(TERMS), f"templates name terms the glossary lacks: {used - set(TERMS)}"
    page = site.find("glossary")
    assert page is not None
    ctx = page.build(None, None)  # type: ignore[arg-type]  # the glossary needs no data
    rendered = site.render(page, ctx, [])
    for t in TERMS.values():
        assert t.short.strip(), t.key
        assert f'<dt id="{t.anchor}">{escape(t.name)}</dt>' in rendered


def test_definitions_say_what_shopperlens_computes() -> None:
    """CLV is discounted revenue of the order lines (not margin); P(alive) is the chance to buy
    again; the at-risk rule is the CLV service's own."""
    clv = TERMS["clv"].short + " " + TERMS["clv"].more
    assert "revenue" in clv and "not margin" in clv and "10 % a year" in clv
    assert "buy again" in TERMS["p_alive"].short
    assert "2 repeat purchases" in TERMS["at_risk"].short and "50 %" in TERMS["at_risk"].short
    for p in ("r", "alpha", "a", "b", "p", "q", "v"):
        assert re.search(rf"\b{p}\b", TERMS["model_parameters"].more), p


def test_a_term_links_to_its_entry_and_carries_its_definition() -> None:
    linked = str(term("p_alive"))
    assert f'href="{PAGE}#p-alive"' in linked and "buy again" in linked
    assert "href" not in str(term("stability", link=False))  # printed cards: no links
    with pytest.raises(KeyError):
        term("no_such_term")


def test_front_page_links_the_glossary(report) -> None:  # type: ignore[no-untyped-def]
    _, out = report
    assert 'href="glossary.html"' in (out / "index.html").read_text()
    assert (out / "glossary.html").exists()


def test_each_page_explains_the_terms_it_shows(report) -> None:  # type: ignore[no-untyped-def]
    """A page (or printable card) showing a term links it to the glossary or carries its
    definition; the Value page explains all of its jargon."""
    _, out = report
    pages = _pages(out)
    missing = []
    for name, page in pages.items():
        if name == "glossary.html":
            continue
        text = _visible(page)
        for t in TERMS.values():
            if any(s in text for s in t.spotted):
                explained = f"{PAGE}#{t.anchor}" in page or str(escape(t.short)) in page
                if not explained:
                    missing.append(f"{name}: {t.name}")
    assert not missing, missing
    value = pages["value.html"]
    for key in ("p_alive", "clv", "bgnbd", "gamma_gamma", "rate_ratio", "dropout", "calibrated",
                "drivers", "model_parameters"):  # fmt: skip
        assert f"{PAGE}#{TERMS[key].anchor}" in value, key
    for name, keys in {
        "types.html": ("gap_variation",),
        "surveys.html": ("tfidf_nmf",),
        "personas.html": ("stability", "adjusted_rand"),
        "index.html": ("macro_f1", "adjusted_rand"),
        "playbook-need-based.html": ("lift", "confidence", "support"),
    }.items():
        for key in keys:
            assert f"{PAGE}#{TERMS[key].anchor}" in pages[name], (name, key)


# -- 2. one name per type -------------------------------------------------------------------
def test_no_page_shows_a_type_id(report) -> None:  # type: ignore[no-untyped-def]
    _, out = report
    for name, page in _pages(out).items():
        text = _visible(page).lower()
        assert "need_based" not in text and "need based" not in text, name
    assert "Need-based" in _visible((out / "surveys.html").read_text())  # the cross-tabs
    card = next(out.glob("persona-*.html")).read_text()
    assert "Need-based" in _visible(card)
    # the data keep the ids
    types = json.loads((out / "types.json").read_text())
    assert "need_based" in {row["type"] for row in types["distribution"]}


# -- 3. currency ----------------------------------------------------------------------------
def test_shop_currency_is_the_one_most_orders_name(store: Store) -> None:
    assert shop_currency(store=store) == "EUR"  # no orders: the default
    _insert(store, "orders", [
        {"order_id": f"o{i}", "customer_id": "c1", "currency": cur,
         "ordered_at": pd.Timestamp("2024-01-01")}
        for i, cur in enumerate(["USD", "USD", "EUR", None])
    ])  # fmt: skip
    assert shop_currency(store=store) == "USD"


def test_money_on_every_page_carries_the_shops_currency(report) -> None:  # type: ignore[no-untyped-def]
    store, out = report
    value = json.loads((out / "value.json").read_text())
    value_html = (out / "value.html").read_text()
    assert f"{CURRENCY} {value['top'][0]['clv']:,.0f}" in value_html
    assert f"{CURRENCY} {value['summary']['total_clv']:,.0f}" in value_html
    types = json.loads((out / "types.json").read_text())
    loyal = next(v for v in types["value"] if v["type"] == "loyal")
    assert f"{CURRENCY} {loyal['mean_clv']:,.0f}" in (out / "types.html").read_text()
    personas = json.loads((out / "personas.json").read_text())
    income = next(p["p"]["income_adjusted"] for p in personas["personas"])
    assert f"income, adjusted ≈ {CURRENCY} {income:,.0f}" in (out / "personas.html").read_text()
    card = _visible(next(out.glob("persona-*.html")).read_text())
    assert re.search(rf"income, adjusted ≈ {CURRENCY} [\d,]+ \(stated {CURRENCY} [\d,]+\)", card)
    assert f"{CURRENCY} " in _visible((out / "index.html").read_text())
    assert f"{CURRENCY} " in _visible((out / "playbook-loyal.html").read_text())
    for name, page in _pages(out).items():
        assert "€" not in page and "EUR " not in _visible(page), name


# -- 4. intent drivers ----------------------------------------------------------------------
def test_every_intent_feature_has_a_label() -> None:
    assert set(EVENT_FEATURES) | set(IMPORT_FEATURES) <= set(FEATURE_LABELS)


def test_a_driver_reads_as_a_label_and_percentage_points() -> None:
    d = readable_driver("mean_events -0.08")
    assert d == {"feature": "mean_events", "label": "actions per visit", "change": -0.08,
                 "text": "actions per visit -8 pt"}  # fmt: skip
    assert readable_driver("utm_source +0.005")["text"] == "first traffic source +0.5 pt"
    assert readable_driver("brand_new_column +0.10")["label"] == "brand_new_column"


def test_value_page_shows_driver_labels_not_column_names(report) -> None:  # type: ignore[no-untyped-def]
    _, out = report
    value = json.loads((out / "value.json").read_text())
    raw = [d for v in value["intent"] for d in v["top_drivers"]]
    assert raw, "the small shop scored no looker"
    text = _visible((out / "value.html").read_text())
    lookers = text[text.index("Lookers closest to buying") :]
    for d in raw:
        feature = d.rpartition(" ")[0]
        assert readable_driver(d)["text"] in lookers
        assert d not in lookers  # "mean_events -0.08" as stored
        if "_" in feature:
            assert feature not in lookers
    assert "A negative driver lowers the chance" in lookers


# -- 5. interview recruitment ---------------------------------------------------------------
def test_recruitment_calls_tickets_support_tickets_with_plurals_right(store: Store) -> None:
    """c1 (one order, three tickets, one return) is the worst; c2 (two orders, one ticket)
    next; c3 bought most and is the best."""
    day = pd.Timestamp("2024-03-01")
    orders = [("o1", "c1", 30.0), ("o2", "c2", 20.0), ("o3", "c2", 20.0), ("o4", "c3", 900.0)]
    _insert(store, "customers", [{"customer_id": c} for c in ("c1", "c2", "c3")])
    _insert(store, "orders", [
        {"order_id": o, "customer_id": c, "ordered_at": day, "currency": "EUR"}
        for o, c, _ in orders
    ])  # fmt: skip
    _insert(store, "order_lines", [
        {"order_id": o, "line_no": 1, "product_id": "P1", "quantity": 1, "unit_price": v}
        for o, _, v in orders
    ])  # fmt: skip
    _insert(store, "tickets", [
        {"ticket_id": f"t{i}", "customer_id": c, "created_at": day}
        for i, c in enumerate(["c1", "c1", "c1", "c2"])
    ])  # fmt: skip
    _insert(
        store,
        "returns",
        [{"return_id": "r1", "order_id": "o1", "customer_id": "c1", "returned_at": day}],
    )
    got = interviews.recruit(store=store, n=1, prospects=0)
    why = dict(zip(got["customer_id"], got["reason"], strict=True))
    assert why["c1"] == "3 support tickets and 1 return in 1 order" + interviews.NO_CONSENT
    assert why["c3"] == "revenue EUR 900 over 1 order" + interviews.NO_CONSENT
    assert "complaint" not in " ".join(why.values())
    assert interviews._worst_reason(1, 0, 2, 1) == (
        "1 support ticket and 0 returns in 2 orders, 1 low satisfaction answer"
    )
