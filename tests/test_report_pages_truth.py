"""A shop that is not the demo: the report's pages said what the data do not know
as if it were measured. Each finding on a store whose answer is planted:

1. the front page's "35 support tickets · 0 returns" when no returns were imported;
2. buyers without visit data grouped as a source "(unknown)" that became the baseline of the
   sources' rate ratios;
3. "mean P(alive) 100 %" and "at risk 0 … None right now" when the model found no dropout;
4. the Movements section dropped without a word when one types run is stored;
5. a glossary explaining the demo's planted truth, surveys and personas to a shop without them;
6. one at-risk customer's days since the last order differing by one between two pages;
7. the lookers' intent gate in the model's jargon ("origin events: 56 rows"), and the types
   page's unexplained "–" of mean intent;
8. survey gaps disagreeing with the rounded shares beside them, and "-0 pt".
"""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import shopperlens
from shopperlens.models.simulate import simulate_bgnbd
from shopperlens.reports import site
from shopperlens.reports.glossary import PAGE, TERMS
from shopperlens.service import clv as clv_svc
from shopperlens.service import demo as demo_svc
from shopperlens.service import survey_results as sr_svc
from shopperlens.service import types as types_svc
from shopperlens.store import Store
from test_partial_data import imported, orders_csv, three_customers
from test_report_review import _nobody_leaves, _orders_from_rfm
from test_report_surveys_all import _two_surveys

#: the planted shop's last order day; one looker visits after it, so the shop's newest data
#: (and the types' as-of, the day after) lie LATE_VISIT_DAYS later
END = pd.Timestamp("2024-12-31")
LATE_VISIT_DAYS = 5
TYPES_AS_OF = END + pd.Timedelta(days=LATE_VISIT_DAYS + 1)
#: buyers with visit data (the rest have none), those of them who visited before buying, and
#: visitors who never bought
VISITING_BUYERS, EARLY_VISITORS, LOOKERS, CUSTOMERS = 100, 25, 40, 240
SOURCES = ("google", "newsletter", "")  # "" is a visit without a source: (direct)

ORDER_HEAD = "order_id,customer_id,email,ordered_at,product_id,quantity,unit_price,currency\n"
EVENT_HEAD = "event_id,visitor_id,session_id,customer_id,timestamp,event_name,page,utm_source\n"

#: who the source comparisons leave out, and why
NO_VISIT = "customers without a visit on record by the day of their first order are left out"


def _visible(page: str) -> str:
    """The text a reader sees: no markup, styles or charts, entities read, spaces collapsed."""
    page = re.sub(r"<(style|script|svg)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r'src="data:[^"]*"', "", page)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _built(store: Store, slug: str) -> tuple[dict[str, Any], str]:
    """A page's context and HTML (the page must exist for this store)."""
    page = site.find(slug)
    assert page is not None
    ctx = page.build(store, None)
    assert ctx is not None, slug
    return ctx, site.render(page, ctx, site.available_nav(store))


def _planted_rfm() -> pd.DataFrame:
    """240 customers from the BG/NBD with real dropout (a quarter of them stop after any order,
    on average), so some regular buyers fall quiet and are flagged at risk."""
    rng = np.random.default_rng(5)
    return simulate_bgnbd(
        CUSTOMERS, r=2.0, alpha=60.0, a=1.0, b=3.0, T=rng.uniform(200, 365, CUSTOMERS), seed=5
    )


def _order_days(rfm: pd.DataFrame) -> dict[str, list[pd.Timestamp]]:
    """Each planted customer's order days: the first on END − T, repeats spread up to it +
    recency (whole days, as the model counts them)."""
    out = {}
    for k, r in enumerate(rfm.itertuples()):
        first = (END - pd.Timedelta(days=float(r.T))).floor("D")
        steps = np.linspace(0, float(r.recency), int(r.frequency) + 1)
        out[f"c{k:03d}"] = sorted({first + pd.Timedelta(days=int(d)) for d in steps})
    return out


def _orders_text(days: dict[str, list[pd.Timestamp]]) -> str:
    """The orders as a shop's CSV export (noon on each day, GBP, one line each)."""
    rows, n = [ORDER_HEAD], 0
    for cid, dates in days.items():
        for day in dates:
            n += 1
            rows.append(
                f"o{n},{cid},{cid}@example.org,{day + pd.Timedelta(hours=12):%Y-%m-%d %H:%M:%S},"
                f"P{n % 4},1,{30 + (n % 5) * 10},GBP\n"
            )
    return "".join(rows)


def _events_text(days: dict[str, list[pd.Timestamp]]) -> str:
    """Visits of the first VISITING_BUYERS customers (a buying visit at their first order,
    the first EARLY_VISITORS of them also a visit three days before, from the same source) and
    of LOOKERS visitors who never buy (two visits each; the first looker's second visit comes
    LATE_VISIT_DAYS after the last order, so the shop's newest data are a visit)."""
    rows, n = [EVENT_HEAD], 0

    def visit(
        visitor: str, session: str, customer: str, start: pd.Timestamp, source: str, buy: bool
    ) -> None:
        nonlocal n
        steps = ["page_view", "view_item", *(["add_to_cart", "purchase"] if buy else [])]
        for m, name in enumerate(steps):
            n += 1
            at = start + pd.Timedelta(minutes=2 * m)
            rows.append(
                f"e{n},{visitor},{session},{customer},{at:%Y-%m-%d %H:%M:%S},{name},/p1,"
                f"{source if m == 0 else ''}\n"
            )

    for k, (cid, dates) in enumerate(list(days.items())[:VISITING_BUYERS]):
        source = SOURCES[k % len(SOURCES)]
        first = dates[0] + pd.Timedelta(hours=11, minutes=55)  # the order is at noon
        if k < EARLY_VISITORS:
            visit(f"v{k}", f"s{k}-0", "", first - pd.Timedelta(days=3), source, buy=False)
        visit(f"v{k}", f"s{k}-1", cid, first, source, buy=True)
    for j in range(LOOKERS):
        start = END - pd.Timedelta(days=60 + j)
        visit(f"L{j}", f"l{j}-0", "", start, "google", buy=False)
        last = END + pd.Timedelta(days=LATE_VISIT_DAYS if j == 0 else -j, hours=9)
        visit(f"L{j}", f"l{j}-1", "", last, "google", buy=False)
    return "".join(rows)


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, Any]]]:
    """A shop of that kind: orders in GBP, visit data for some buyers only (the rest,
    the largest group, have none), anonymous lookers, support tickets and no returns."""
    folder = tmp_path_factory.mktemp("planted")
    rfm = _planted_rfm()
    days = _order_days(rfm)
    tickets = "ticket_id,customer_id,created_at,subject\n" + "".join(
        f"t{i},c{i:03d},2024-06-{1 + i:02d} 10:00:00,Where is my order?\n" for i in range(7)
    )
    shop = shopperlens.open(":memory:")
    imported(shop, folder, orders=_orders_text(days), events=_events_text(days), tickets=tickets)
    yield shop, days
    shop.close()


# -- 1. a support table with no rows is "not imported", never "0" -----------------------------
def test_front_page_says_a_missing_support_table_is_not_imported(
    planted: tuple[Any, dict[str, Any]], shop: Any, tmp_path: Path
) -> None:
    store = planted[0].store
    text = _visible(_built(store, "index")[1])
    assert "7 support tickets · returns not imported" in text
    assert "0 returns" not in text
    # the reverse: returns imported, tickets not
    returns = "return_id,order_id,customer_id,product_id,returned_at,quantity\n"
    returns += "r1,o1,c1,P1,2024-03-05,1\nr2,o5,c3,P2,2024-04-10,1\n"
    imported(shop, tmp_path, orders=orders_csv(three_customers()), returns=returns)
    text = _visible(_built(shop.store, "index")[1])
    assert "2 returns · support tickets not imported" in text
    assert "0 support tickets" not in text


# -- 2. customers without visit data are no source, and never the baseline --------------------
def test_sources_compare_only_customers_with_visit_data(
    planted: tuple[Any, dict[str, Any]],
) -> None:
    store = planted[0].store
    effects = clv_svc.channel_effects(store=store, by="source")
    without = CUSTOMERS - VISITING_BUYERS
    assert set(effects["source"]) == {"google", "newsletter", "(direct)"}
    assert effects["customers"].sum() == VISITING_BUYERS
    assert effects["rate_ratio"].iloc[0] == 1.0 and effects["source"].iloc[0] != "(unknown)"
    assert effects.attrs["left_out"] == without
    ctx, page = _built(store, "value")
    text = _visible(page)
    assert f"rate ratio against {effects['source'].iloc[0]} with its" in text
    assert "(unknown)" not in text
    assert f"{without} {NO_VISIT}" in text
    # the page shows the service's rows (the CLI and HTTP faces call the same function)
    assert [e["source"] for e in ctx["effects"]] == list(effects["source"])


# -- 3. no dropout found: P(alive) and "at risk" tell nothing ----------------------------------
def test_no_dropout_is_said_and_not_shown_as_an_all_clear(
    store: Store, planted: tuple[Any, dict[str, Any]]
) -> None:
    """Buyers who never drop out: the fit puts a and b at its edge, a/(a+b) ≈ 0. A shop where
    customers do drop out (the planted one) keeps its measured figures and no warning."""
    shop = _orders_from_rfm(store, _nobody_leaves(400))
    ctx, page = _built(shop, "value")
    text = _visible(page)
    assert "The model found no customers dropping out" in text
    assert "no one can be flagged at risk" in text
    assert "None right now" not in text
    assert not re.search(r"mean P\(alive\) \d+ %", text)  # the card shows no measured figure
    assert "repeat customers at risk –" in text
    assert "90 % – 100 %" not in text  # no histogram of the model's assumption
    quiet = ctx["no_dropout"]["longest_quiet_days"]
    assert f"last order was {quiet} days ago" in text
    types = _visible(_built(shop, "types")[1])
    assert 'Mean P(alive) and at risk are "–"' in types
    assert "found no customers dropping out" in types
    # with dropout planted the figures are measured, and shown
    ctx, page = _built(planted[0].store, "value")
    text = _visible(page)
    assert ctx["no_dropout"] is None and "found no customers dropping out" not in text
    assert re.search(r"mean P\(alive\) \d+ %", text) and "90 % – 100 %" in text


# -- 4. one stored types run: the Movements section says how to get a second -------------------
def test_types_page_says_how_to_see_movements(planted: tuple[Any, dict[str, Any]]) -> None:
    store = planted[0].store
    _, page = _built(store, "types")
    text = _visible(page)
    assert "Movements" in text and "compare two stored runs of the types" in text
    assert f"only the run as of {TYPES_AS_OF:%Y-%m-%d} is stored" in text
    assert "<code>shopperlens types --as-of YYYY-MM-DD</code>" in page
    types_svc.customer_types(store=store, as_of="2024-09-01")  # a second run: the movements
    text = _visible(_built(store, "types")[1])
    assert f"Movements 2024-09-01 → {TYPES_AS_OF:%Y-%m-%d}" in text
    assert "compare two stored runs" not in text


# -- 5. the glossary lists the terms of the written pages, demo wording only for the demo ------
def test_glossary_lists_only_the_terms_the_report_uses(
    planted: tuple[Any, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = planted[0].store
    site.write_report(store, tmp_path)
    glossary = (tmp_path / "glossary.html").read_text("utf-8")
    anchors = set(re.findall(r'<dt id="([\w-]+)">', glossary))
    for key in ("macro_f1", "adjusted_rand", "stability", "tfidf_nmf"):  # no demo, surveys,
        assert TERMS[key].anchor not in anchors, key  # or personas pages here
    assert "planted" not in glossary and "demo" not in _visible(glossary)
    # every term a written page links is in the glossary
    for page in tmp_path.glob("*.html"):
        linked = set(re.findall(rf'href="{PAGE}#([\w-]+)"', page.read_text("utf-8")))
        assert linked <= anchors, (page.name, linked - anchors)
    # the demo's truth check and a personas page bring their terms, the demo its wording
    personas = site.find("personas")
    assert personas is not None
    monkeypatch.setitem(
        site._PAGES, "personas", dataclasses.replace(personas, available=lambda _: True)
    )
    ctx, _ = _built(store, "glossary")
    shown = {t["key"]: t for t in ctx["terms"]}
    assert {"adjusted_rand", "stability"} <= set(shown) and "macro_f1" not in shown
    assert "planted" not in shown["adjusted_rand"]["more"]
    monkeypatch.setattr(demo_svc, "last_result", lambda *, store: object())
    shown = {t["key"]: t for t in _built(store, "glossary")[0]["terms"]}
    assert "macro_f1" in shown and "planted ones" in shown["adjusted_rand"]["more"]


# -- 6. one customer, one number of days since the last order ----------------------------------
def test_at_risk_days_are_counted_to_the_types_date(planted: tuple[Any, dict[str, Any]]) -> None:
    """Counted to the day after the newest data (a looker's visit after the last order), in
    calendar days, as the types' evidence counts them."""
    store, days = planted[0].store, planted[1]
    ctx, page = _built(store, "value")
    assert ctx["at_risk"], "the planted dropout flags nobody at risk"
    for row in ctx["at_risk"]:
        expected = (TYPES_AS_OF - days[row["customer_id"]][-1]).days
        cells = re.search(rf"<td>{row['customer_id']}</td>(.*?)</tr>", page)
        assert cells is not None and f'<td class="n">{expected:,}</td>' in cells.group(1), row
        assert row["days_since_last"] == expected, row  # and the JSON twin says the same
    assert f"counted to {TYPES_AS_OF:%Y-%m-%d}" in _visible(page)
    loyal = types_svc.latest_types(store=store)
    for row in loyal[loyal["loyal_at_risk"].fillna(False).astype(bool)].itertuples():
        expected = (TYPES_AS_OF - days[row.customer_id][-1]).days
        assert re.search(rf"(last order|no order for) {expected} days\b", row.evidence), row


# -- 7. the intent gate in the owner's words; the dash of mean intent explained ----------------
def test_intent_gate_says_what_the_shop_has_and_lacks(
    planted: tuple[Any, dict[str, Any]],
) -> None:
    store = planted[0].store
    visitors, learnt = VISITING_BUYERS + LOOKERS, EARLY_VISITORS + LOOKERS
    value = _visible(_built(store, "value")[1])
    lookers = value[value.index("Lookers closest to buying") :]
    assert "origin events" not in lookers and not re.search(r"\d+ rows\b", lookers)
    assert (
        f"The shop's visit data show {visitors} visitors: {VISITING_BUYERS} bought and "
        f"{LOOKERS} never did" in lookers
    )
    assert f"{EARLY_VISITORS} of the {VISITING_BUYERS} buyers have such visits" in lookers
    assert f"so {learnt} visitors can be learnt from" in lookers
    assert f"it lacks {200 - learnt} more visitors to learn from" in lookers
    assert "shopperlens import events FILE" in lookers
    types = _visible(_built(store, "types")[1])
    assert 'Mean intent is "–" for lookers: no looker can be scored yet.' in types
    assert f"The shop's visit data show {visitors} visitors" in types


# -- 8. survey gaps from the shares as shown ---------------------------------------------------
def test_voice_gaps_agree_with_the_shares_shown(shop: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """11.6 % against 12.4 % shows as 12 % and 12 %: a gap of 0, not −1 (nor "-0" for −0.3)."""
    planted = pd.DataFrame(
        [
            ("country", "BE", 0.116, 0.124),
            ("country", "EE", 0.1203, 0.1231),
            ("order value quartile", "mid-high", 0.2351, 0.2549),
            ("country", "NL", 0.457, 0.441),
        ],
        columns=["dimension", "value", "respondents", "base"],
    )
    planted["gap"] = planted["respondents"] - planted["base"]
    monkeypatch.setattr(sr_svc, "representativeness", lambda **_: planted)
    _two_surveys(shop)
    text = _visible(_built(shop.store, "surveys")[1])
    voice = text[text.index("Whose voice is this?") :]
    assert "BE 12 % 12 % 0 pt" in voice
    assert "EE 12 % 12 % 0 pt" in voice and "-0 pt" not in voice
    assert "mid-high 24 % 25 % -1 pt" in voice
    assert "NL 46 % 44 % 2 pt" in voice
