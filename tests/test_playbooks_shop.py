"""Playbook analyses on a hand-built shop where every answer is known in advance."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from shopperlens.playbooks import checkout, recommend, retention, support, traffic
from shopperlens.playbooks.audience import google_email, normalise_email, sha256_hex
from shopperlens.service import playbooks as svc
from shopperlens.service.clv import MODEL_VERSION

T0 = pd.Timestamp("2024-01-10 10:00")


def _insert(store, table: str, rows: list[dict]) -> None:  # type: ignore[no-untyped-def]
    df = pd.DataFrame(rows)
    store.con.register("_rows", df)
    store.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
    store.con.unregister("_rows")


#: orders: P1+P2 together in o1, o4, o5; P1 alone in o6 -> P1->P2 confidence 3/4, lift 7/4
ORDERS = [
    ("o1", "c1", "2024-01-10", ["P1", "P2"]),
    ("o2", "c1", "2024-02-10", ["P3"]),
    ("o3", "c1", "2024-03-10", ["P4"]),
    ("o4", "c2", "2024-01-20", ["P1", "P2"]),
    ("o5", "c3", "2024-02-05", ["P1", "P2"]),
    ("o6", "c3", "2024-03-05", ["P1"]),
    ("o7", "c4", "2024-03-15", ["P3"]),
]
PRICES = {"P1": 100.0, "P2": 10.0, "P3": 15.0, "P4": 40.0}
#: the planted types (a types run, as service.types.latest_types would return it)
TYPES = pd.DataFrame(
    {
        "customer_id": ["c1", "c2", "c3", "c4", None, None],
        "visitor_id": ["v1", "v4", None, None, "v2", "v3"],
        "type": ["loyal", "need_based", "new", "impulse", "looker", "looker"],
    }
)


@pytest.fixture
def shop_store(store):  # type: ignore[no-untyped-def]
    return fill(store)


def fill(store):  # type: ignore[no-untyped-def]
    """Write the hand-built shop into ``store``."""
    catalogue = [
        ("P1", "Alpine Dome 2 Tent", "tents"),
        ("P2", "Steel Tent Pegs", "accessories"),
        ("P3", "Camp Mug Enamel", "kitchen"),
        ("P4", "Headlamp 400 Lumen", "accessories"),
    ]
    _insert(store, "products", [
        {"product_id": p, "product_name": n, "category": c, "price": PRICES[p]}
        for p, n, c in catalogue
    ])  # fmt: skip
    _insert(store, "customers", [
        {"customer_id": "c1", "email": "loyal@example.com", "accepts_marketing": False},
        {"customer_id": "c2", "email": " John_Smith@gmail.com ", "accepts_marketing": False},
        {"customer_id": "c3", "email": "new@example.com", "accepts_marketing": False},
        {"customer_id": "c4", "email": "Impulse.Buyer@GoogleMail.com", "accepts_marketing": True},
    ])  # fmt: skip
    _insert(store, "orders", [
        {"order_id": o, "customer_id": c, "ordered_at": pd.Timestamp(d), "currency": "EUR",
         "shipping": 4.9, "discount_code": "FLASH10" if o == "o7" else None}
        for o, c, d, _ in ORDERS
    ])  # fmt: skip
    _insert(store, "order_lines", [
        {"order_id": o, "line_no": i, "product_id": p, "quantity": 1, "unit_price": PRICES[p]}
        for o, _, _, items in ORDERS for i, p in enumerate(items)
    ])  # fmt: skip

    def ev(i, s, v, c, name, minutes, product=None, value=None, **utm):  # type: ignore[no-untyped-def]
        return {"event_id": f"e{i}", "session_id": s, "visitor_id": v, "customer_id": c,
                "timestamp": T0 + pd.Timedelta(minutes=minutes), "event_name": name,
                "product_id": product, "value": value, **utm}  # fmt: skip

    g = {"utm_source": "google", "utm_medium": "cpc", "utm_term": "alpine dome tent",
         "utm_campaign": "tents-search"}  # fmt: skip
    o = {"utm_source": "google", "utm_medium": "organic", "utm_term": "how to pitch a tent"}
    f = {"utm_source": "facebook", "utm_medium": "paid_social"}
    _insert(store, "events", [
        # s1: c1 buys through the whole funnel (cart, then purchase later: not abandoned)
        ev(1, "s1", "v1", "c1", "view_item", 0, "P1", **g),
        ev(2, "s1", "v1", "c1", "add_to_cart", 1, "P1", 100.0, **g),
        ev(3, "s1", "v1", "c1", "begin_checkout", 2, **g),
        ev(4, "s1", "v1", "c1", "purchase", 3, value=110.0, **g),
        # s2: anonymous looker fills a cart and leaves
        ev(5, "s2", "v2", None, "view_item", 10, "P1", page="/tent", **f),
        ev(6, "s2", "v2", None, "view_item", 11, "P2", page="/pegs", **f),
        ev(7, "s2", "v2", None, "add_to_cart", 12, "P2", 10.0, page="/cart", **f),
        # s3: another looker only views
        ev(8, "s3", "v3", None, "view_item", 20, "P1", page="/tent", **o),
        ev(9, "s3", "v3", None, "view_item", 21, "P2", page="/pegs", **o),
        # s4: c2 (need-based) reaches checkout and does not pay
        ev(10, "s4", "v4", "c2", "view_item", 30, "P3"),
        ev(11, "s4", "v4", "c2", "add_to_cart", 31, "P3", 15.0),
        ev(12, "s4", "v4", "c2", "begin_checkout", 32),
    ])  # fmt: skip
    _insert(store, "tickets", [
        {"ticket_id": "t1", "customer_id": "c4", "created_at": T0,
         "subject": "Where is my parcel?"},
        {"ticket_id": "t2", "customer_id": "c4", "created_at": T0,
         "subject": "Discount code not working"},
        {"ticket_id": "t3", "customer_id": "c1", "created_at": T0,
         "subject": "How do I clean the mug"},
    ])  # fmt: skip
    _insert(store, "consents", [
        {"customer_id": "c1", "purpose": "case_study", "granted": True, "recorded_at": T0},
        {"customer_id": "c3", "purpose": "case_study", "granted": True, "recorded_at": T0},
        {"customer_id": "c3", "purpose": "case_study", "granted": False,
         "recorded_at": T0 + pd.Timedelta(days=5)},
        {"customer_id": "c1", "purpose": "marketing", "granted": True, "recorded_at": T0},
        {"customer_id": "c2", "purpose": "marketing", "granted": True, "recorded_at": T0},
    ])  # fmt: skip
    return store


def test_free_shipping_threshold_known_answer() -> None:
    """50 baskets of 20, 30 of 40, 20 of 70; band 25 %, half of the near misses top up.

    T=50: near misses are the 30 baskets of 40 → 0.5·30·(50−40)/100 = 1.50 per order (best);
    T=45: 0.5·30·5/100 = 0.75; T=80: 0.5·20·10/100 = 1.00; T=30 and T=60 have no near misses.
    """
    values = [20.0] * 50 + [40.0] * 30 + [70.0] * 20
    t = checkout.free_shipping_threshold(
        values, band=0.25, topup_rate=0.5, shipping_cost=5.0, candidates=[30, 45, 50, 60, 80]
    )
    assert t.threshold == 50
    assert t.uplift_per_order == pytest.approx(1.5)
    assert t.share_near == pytest.approx(0.30) and t.share_above == pytest.approx(0.20)
    assert t.shipping_cost_per_order == pytest.approx(5.0 * (20 + 15) / 100)
    by = t.candidates.set_index("threshold").uplift_per_order
    assert by[45] == pytest.approx(0.75) and by[80] == pytest.approx(1.0) and by[30] == 0


def test_candidate_thresholds_lie_above_the_median_basket() -> None:
    """A median basket of exactly 56 made 56 itself a candidate (and the advice)."""
    values = np.array([40.0] * 40 + [56.0] * 21 + [70.0] * 39)
    assert np.median(values) == 56
    grid = checkout._round_candidates(values)
    assert min(grid) == 57 and max(grid) <= 1.5 * 56
    t = checkout.free_shipping_threshold(values, shipping_cost=4.0)
    assert t is not None and t.threshold > 56
    assert checkout._round_candidates(np.full(10, 20.0)) == [21.0]  # every basket alike


def test_funnel_overall_and_by_type(shop_store) -> None:  # type: ignore[no-untyped-def]
    f = svc.funnels(store=shop_store, by=None).set_index("step")
    assert f.sessions.to_dict() == {"view": 4, "cart": 3, "checkout": 2, "purchase": 1}
    assert f.rate_from_prev.to_dict() == pytest.approx(
        {"view": 1.0, "cart": 0.75, "checkout": 2 / 3, "purchase": 0.5}
    )
    by_type = svc.funnels(store=shop_store, by="type", types=TYPES)
    lookers = by_type[by_type.type == "looker"].set_index("step").sessions
    assert lookers.to_dict() == {"view": 2, "cart": 1, "checkout": 0, "purchase": 0}
    by_source = svc.funnels(store=shop_store, by="source")
    assert set(by_source.source) == {"google", "facebook", "(direct)"}


def test_abandoned_carts(shop_store) -> None:  # type: ignore[no-untyped-def]
    carts = svc.abandoned_carts(store=shop_store, types=TYPES)
    # c2's cart (s4, January 10) is not left open: c2 ordered after it (o4, January 20)
    assert sorted(carts.customer_id.fillna(carts.visitor_id)) == ["v2"]
    row = carts.set_index("visitor_id").loc["v2"]
    assert row.products == ["P2"] and row.cart_value == 10.0 and row.type == "looker"
    assert "email" not in carts


@pytest.mark.parametrize(
    ("query", "intent"),
    [("alpine dome tent", "product"), ("how to pitch a tent", "informational"),
     ("summitside", "brand"), ("tent pegs", "product"), ("best headlamp", "informational"),
     ("summitside tents", "category"), ("cheap stuff online", "generic"), ("", "none")],
)  # fmt: skip
def test_keyword_intent(query: str, intent: str) -> None:
    classify = traffic.KeywordClassifier(
        ["Alpine Dome 2 Tent", "Steel Tent Pegs", "Headlamp 400 Lumen"],
        ["tents", "accessories"],
        ["Summitside"],
    )
    assert classify(query) == intent


def test_sources_and_keywords(shop_store) -> None:  # type: ignore[no-untyped-def]
    report = svc.traffic_report(store=shop_store, types=TYPES)
    src = report["sources"].set_index(["source", "medium"])
    assert src.loc[("google", "cpc")].revenue == 110.0
    assert src.loc[("google", "cpc")].conversion_rate == 1.0
    assert src.loc[("facebook", "paid_social")].visits == 1
    assert src.loc[("(direct)", "(none)")].need_based_share == 1.0
    kw = report["keywords"].set_index("keyword")
    assert kw.loc["alpine dome tent"].intent == "product"
    assert kw.loc["how to pitch a tent"].intent == "informational"
    assert kw.loc["how to pitch a tent"].purchases == 0


def test_cohorts_and_repeat_rate(shop_store) -> None:  # type: ignore[no-untyped-def]
    rep = svc.retention_report(store=shop_store, types=TYPES)
    cohorts = rep["cohorts"].set_index("cohort")
    jan = cohorts.loc["2024-01"]  # c1 (buys Jan, Feb, Mar) and c2 (Jan only)
    assert jan.customers == 2 and jan["0"] == 1.0 and jan["1"] == 0.5 and jan["2"] == 0.5
    assert pd.isna(jan["3"])  # March is the last month of data
    assert cohorts.loc["2024-02"]["1"] == 1.0  # c3 came back in March
    assert rep["repeat_rate"] == 0.5  # c1 and c3 of four customers


def test_case_study_only_with_consent(shop_store) -> None:  # type: ignore[no-untyped-def]
    rep = svc.retention_report(store=shop_store, types=TYPES)
    assert rep["case_study"].customer_id.tolist() == ["c1"]
    consents = shop_store.df("SELECT * FROM consents")
    assert retention.consented(consents, "case_study") == {"c1"}  # c3 withdrew later
    everyone_loyal = TYPES.assign(type="loyal")
    rep2 = svc.retention_report(store=shop_store, types=everyone_loyal)
    assert rep2["case_study"].customer_id.tolist() == ["c1"]


def test_support_and_offers(shop_store) -> None:  # type: ignore[no-untyped-def]
    rep = svc.support_report(store=shop_store, types=TYPES)
    per = rep["tickets"].set_index("type").tickets_per_order
    assert per["impulse"] == 2.0 and per["loyal"] == pytest.approx(1 / 3)
    assert set(rep["topics"].topic) == {"delivery status", "discount code", "how to use"}
    offers = rep["offers"].set_index("type")
    assert offers.loc["impulse"].discount_share == 1.0 and offers.loc["loyal"].discount_share == 0
    # o1 was bought in session s1 of campaign "tents-search"; c1's later orders were not
    assert offers.loc["loyal"].campaign_share == pytest.approx(1 / 3)
    assert support.ticket_topic("I want to return these boots") == "return / refund"


def test_frequently_bought_together_sql_matches_rules(shop_store) -> None:  # type: ignore[no-untyped-def]
    sql = svc.frequently_bought_together(store=shop_store, min_orders=3)
    row = sql[(sql.product_id == "P1") & (sql.recommended_id == "P2")].iloc[0]
    assert row.orders_together == 3 and row.confidence == pytest.approx(0.75)
    assert row.lift == pytest.approx(7 / 4) and row.support == pytest.approx(3 / 7)
    rules = svc.basket_rules(store=shop_store, min_support=3 / 7, max_len=2)
    r = rules[rules.antecedents == frozenset({"P1"})].iloc[0]
    assert r.confidence == pytest.approx(row.confidence) and r.lift == pytest.approx(row.lift)
    carousel = svc.carousels(store=shop_store)
    assert carousel.set_index("product_id").loc["P2"].recommended_id == "P1"


def test_related_and_upsell(shop_store) -> None:  # type: ignore[no-untyped-def]
    related = svc.related_products(store=shop_store)
    pair = related[(related.product_id == "P1") & (related.related_id == "P2")].iloc[0]
    assert pair.sessions == 2 and pair.score == pytest.approx(2 / (3 * 2) ** 0.5)
    picks = svc.upsell_picks(store=shop_store)
    rules = svc.basket_rules(store=shop_store, min_support=3 / 7)
    mine = recommend.upsell_picks(
        pd.DataFrame({"customer_id": ["x", "y"], "product_id": ["P1", "P2"]}),
        rules,
        viewed=pd.DataFrame({"customer_id": ["y"], "product_id": ["P3"]}),
    )
    assert mine.set_index("customer_id").product_id.to_dict() == {"x": "P2", "y": "P1"}
    assert mine.set_index("customer_id").because.to_dict() == {"x": "P1", "y": "P2"}
    owned = {"c1": {"P1", "P2", "P3", "P4"}, "c2": {"P1", "P2"}, "c3": {"P1"}, "c4": {"P3"}}
    for cid, pid in zip(picks.customer_id, picks.product_id, strict=True):
        assert pid not in owned[cid]


def test_email_normalisation_platform_examples() -> None:
    """Meta's documented example (developers.facebook.com/docs/marketing-api/conversions-api/
    parameters/customer-information-parameters, "em"): "John_Smith@gmail.com" normalises to
    "john_smith@gmail.com" and hashes to 62a14e44…0f62f.
    Google ("Normalization and hashing", developers.google.com/doubleclick-advertisers/guides/
    conversions_ec and google-ads/api/docs/conversions/upload-online): remove leading/trailing
    whitespace, lower-case, and "remove all periods (.) that precede the domain name in
    gmail.com and googlemail.com email addresses"; Google's own samples
    (normalizeAndHashEmailAddress) strip no "+suffix", so neither do we. Google publishes no
    hash value, so the Google case checks the normalised text and SHA-256 of it.
    """
    meta = "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f"
    assert sha256_hex(normalise_email("  John_Smith@gmail.com ")) == meta
    assert google_email(" Jane.Doe@GoogleMail.com") == "janedoe@googlemail.com"
    assert google_email("jane.doe@example.com") == "jane.doe@example.com"
    assert google_email("Jane.Doe+shop@gmail.com") == "janedoe+shop@gmail.com"
    assert normalise_email("not-an-email") is None


def test_audience_exports_respect_consent(shop_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    everyone = "orders >= 0"
    summary, meta = svc.export_audience(
        store=shop_store, destination="meta", segment=everyone, types=TYPES,
        out=tmp_path / "meta.csv",
    )  # fmt: skip
    # c1, c2 consented in the consents table; c4 through accepts_marketing; c3 has neither
    assert summary.selected == 4 and summary.written == 3 and summary.without_consent == 1
    assert list(meta.columns) == ["email"]
    assert sha256_hex("john_smith@gmail.com") in set(meta.email)
    assert (tmp_path / "meta.csv").read_text().startswith("email\n")
    _, google = svc.export_audience(
        store=shop_store, destination="google", segment=everyone, types=TYPES
    )
    assert sha256_hex("impulsebuyer@googlemail.com") in set(google.Email)
    _, plain = svc.export_audience(store=shop_store, destination="csv", type="new", types=TYPES)
    assert plain.customer_id.tolist() == ["c3"] and plain.email.isna().all()
    _, mc = svc.export_audience(
        store=shop_store, destination="mailchimp", type="loyal", types=TYPES
    )
    assert mc.to_dict("records") == [{"Email Address": "loyal@example.com", "Tags": "loyal"}]
    _, kl = svc.export_audience(
        store=shop_store, destination="klaviyo", segment="type == 'impulse'", types=TYPES
    )
    assert kl.columns.tolist() == ["Email", "Customer Type"] and len(kl) == 1


def test_playbook_has_every_mission_action(shop_store) -> None:  # type: ignore[no-untyped-def]
    pb = svc.playbook(store=shop_store, types=TYPES)
    counts = pd.Series([a.type for a in pb.actions]).value_counts().to_dict()
    assert counts == {"need_based": 3, "looker": 3, "new": 4, "loyal": 4, "impulse": 2}
    # no estimate is None, never a 0 that would rank the action as worthless
    assert all((a.priority is None or a.priority > 0) and a.evidence for a in pb.actions)
    need = {a.number: a for a in pb.actions if a.type == "need_based"}
    # c2's cart is no abandoned cart (c2 ordered after it, o4): nothing to recover
    assert need[1].priority is None
    # "N customers have personal upsell picks" counts those `upsell` proposes to, not the
    # buyers: here everyone who bought P1 or P2 already has both, so nobody has a pick
    assert svc.upsell_picks(store=shop_store).empty
    assert not any("upsell picks" in str(e) for e in need[3].evidence)
    loyal = {a.number: a for a in pb.actions if a.type == "loyal"}
    assert loyal[1].audience_size == 1  # the one case-study consent
    md = pb.markdown()
    assert "## Impulse buyers" in md and "at stake" in md
    only = svc.playbook(store=shop_store, types=TYPES, type="looker")
    assert {a.type for a in only.actions} == {"looker"}


@pytest.mark.spark
def test_frequently_bought_together_same_on_spark(shop_store, spark) -> None:  # type: ignore[no-untyped-def]
    """One Ibis expression: DuckDB and Spark give the same pairs."""
    duck = svc.frequently_bought_together(store=shop_store, min_orders=1)
    sp = svc.frequently_bought_together(
        store=shop_store, min_orders=1, engine="spark", spark_session=spark
    )
    pd.testing.assert_frame_equal(duck, sp, check_dtype=False)
    assert len(duck) > 0


def test_revenue_by_acquisition_source(shop_store) -> None:  # type: ignore[no-untyped-def]
    """First touch: c1 came from google cpc (3 orders: 110 + 15 + 40), c2 direct (110)."""
    report = svc.traffic_report(store=shop_store, types=TYPES)
    acq = report["acquisition"].set_index(["source", "medium"])
    assert acq.loc[("google", "cpc")].revenue == 165.0
    assert acq.loc[("(direct)", "(none)")].revenue == 110.0
    kw = report["acquisition_keywords"].set_index("keyword")
    assert (
        kw.loc["alpine dome tent"].intent == "product" and kw.loc["alpine dome tent"].customers == 1
    )
    clv = pd.DataFrame({"customer_id": ["c1", "c2"], "clv": [500.0, 100.0]})
    sessions = traffic.sessions_from_events(shop_store.df("SELECT * FROM events"))
    per = retention.customer_orders(svc._orders(shop_store))
    with_clv = traffic.acquisition_table(sessions, per, clv).set_index("source")
    assert with_clv.loc["google"].clv_per_customer == 500.0


def test_loyal_at_risk_and_clv_by_source_from_stored_clv(shop_store) -> None:  # type: ignore[no-untyped-def]
    """A stored CLV run (as ``shopperlens clv`` leaves it: fitted up to the newest purchase's
    day, 365 days ahead, every buyer, after the last import) flags c1, the loyal customer."""
    common = {"as_of": pd.Timestamp("2024-03-15"), "horizon_days": 365, "frequency": 2.0,
              "recency": 60.0, "T": 90.0, "monetary_value": 50.0, "expected_purchases": 1.0,
              "expected_spend": 50.0, "computed_at": pd.Timestamp.now(),
              "model_version": MODEL_VERSION}  # fmt: skip
    _insert(shop_store, "customer_value", [
        {**common, "customer_id": "c1", "p_alive": 0.2, "clv": 300.0, "at_risk": True},
        {**common, "customer_id": "c2", "p_alive": 0.9, "clv": 100.0, "at_risk": False},
        {**common, "customer_id": "c3", "p_alive": 0.9, "clv": 90.0, "at_risk": False},
        {**common, "customer_id": "c4", "p_alive": 0.9, "clv": 20.0, "at_risk": False},
    ])  # fmt: skip
    rep = svc.retention_report(store=shop_store, types=TYPES)
    assert rep["loyal_at_risk"].customer_id.tolist() == ["c1"]
    acq = svc.traffic_report(store=shop_store, types=TYPES)["acquisition"].set_index("source")
    assert acq.loc["google"].clv_per_customer == 300.0
    pb = svc.playbook(store=shop_store, types=TYPES, type="loyal")
    assert any("1 loyal customers are at risk" in e for a in pb.actions for e in a.evidence)


@pytest.mark.parametrize(
    "segment", ["@store", "__import__('os').system('true')", "nonexistent > 1", "orders >"]
)
def test_segment_expressions_are_confined(shop_store, segment: str) -> None:  # type: ignore[no-untyped-def]
    from shopperlens.errors import ShopperlensError

    with pytest.raises(ShopperlensError):
        svc.audience_customers(store=shop_store, segment=segment, types=TYPES)


def test_brand_guessed_from_keywords_when_not_configured() -> None:
    classify = traffic.KeywordClassifier(["Alpine Dome 2 Tent"], ["tents"])
    kws = pd.Series(["summitside shop", "summitside", "alpine dome tent", "how to pitch a tent",
                     "cheap stuff"])  # fmt: skip
    visits = pd.Series([50, 40, 30, 20, 5])
    assert traffic.guess_brand_words(kws, visits, classify) == ("summitside",)
    assert traffic.guess_brand_words(kws[2:], visits[2:], classify) == ()  # "cheap" 5/55 < 10 %


def test_exit_pages_and_visits_before_buying(shop_store) -> None:  # type: ignore[no-untyped-def]
    """The lookers' sessions s2 and s3 end on /cart and /pegs; c1 bought on its second visit."""
    events = shop_store.df("SELECT * FROM events")
    exits = checkout.exit_pages(events).set_index("page")
    assert exits.exits.to_dict() == {"/cart": 1, "/pegs": 1}
    assert exits.share.to_dict() == {"/cart": 0.5, "/pegs": 0.5}
    steps = pd.DataFrame(
        {
            "session_id": ["a", "b", "c", "d"],
            "customer_id": ["c1", "c1", "c1", "c2"],
            "started_at": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-05", "2024-01-02"]),
            "purchase": [False, True, True, True],
        }
    )
    assert checkout.visits_to_first_purchase(steps).to_dict() == {"c1": 2, "c2": 1}
    pb = svc.playbook(store=shop_store, types=TYPES, type="looker")
    # two sessions: the share is given as counts, not as "50%"
    assert any("/cart (1 of 2 sessions)" in e for a in pb.actions for e in a.evidence)


def test_abandoned_cart_is_what_is_still_in_it() -> None:
    """v1 adds the tent on three visits (30 each), adds a stove (20) and removes it, adds a
    lamp (5); v2 adds a mug (8), buys, then adds a pan (12); v3 adds and removes a rope. The
    carts left: v1 tent + lamp = 35 (not 30·3 + 20 + 5 = 115), v2 pan = 12, v3 nothing."""
    t = pd.Timestamp("2025-03-01")
    rows = [
        ("v1", 0, "add_to_cart", "tent", 30.0), ("v1", 1, "add_to_cart", "tent", 30.0),
        ("v1", 2, "add_to_cart", "stove", 20.0), ("v1", 3, "remove_from_cart", "stove", 20.0),
        ("v1", 4, "add_to_cart", "tent", 30.0), ("v1", 5, "add_to_cart", "lamp", 5.0),
        ("v2", 0, "add_to_cart", "mug", 8.0), ("v2", 1, "purchase", None, 8.0),
        ("v2", 2, "add_to_cart", "pan", 12.0),
        ("v3", 0, "add_to_cart", "rope", 9.0), ("v3", 1, "remove_from_cart", "rope", 9.0),
    ]  # fmt: skip
    events = _cart_events(rows, t)
    carts = checkout.abandoned_carts(events).set_index("visitor_id")
    assert sorted(carts.index) == ["v1", "v2"]
    assert carts.loc["v1", "products"] == ["lamp", "tent"] and carts.loc["v1", "cart_value"] == 35
    assert carts.loc["v2", "products"] == ["pan"] and carts.loc["v2", "cart_value"] == 12
    # a cart keeps what was added within 30 days of the last add: v1's tent (last added on
    # day 4) left the cart when the lamp came 36 days later
    late = events.copy()
    late.loc[(late.visitor_id == "v1") & (late.product_id == "lamp"), "timestamp"] += pd.Timedelta(
        days=35
    )
    carts = checkout.abandoned_carts(late).set_index("visitor_id")
    assert carts.loc["v1", "products"] == ["lamp"] and carts.loc["v1", "cart_value"] == 5


def test_cart_days_count_from_the_last_add_even_one_removed_again() -> None:
    """v1 adds a tent (30) on day 0 and a lamp (5) on day 40, which it removes an hour later:
    its last add is day 40, so the tent is 40 days old and out of the cart, which is empty.
    v2 adds a mug (8) on day 0 and a pan (12) on day 20, removed on day 45: its last add is
    day 20, and the mug (20 days before it) is still in the cart."""
    t = pd.Timestamp("2025-03-01")
    rows = [
        ("v1", 0, "add_to_cart", "tent", 30.0), ("v1", 40, "add_to_cart", "lamp", 5.0),
        ("v1", 40.04, "remove_from_cart", "lamp", 5.0),
        ("v2", 0, "add_to_cart", "mug", 8.0), ("v2", 20, "add_to_cart", "pan", 12.0),
        ("v2", 45, "remove_from_cart", "pan", 12.0),
    ]  # fmt: skip
    events = _cart_events(rows, t)
    carts = checkout.abandoned_carts(events).set_index("visitor_id")
    assert list(carts.index) == ["v2"]
    assert carts.loc["v2", "products"] == ["mug"] and carts.loc["v2", "cart_value"] == 8


def test_orders_not_bought_stay_out_of_rules_and_thresholds(shop_store) -> None:  # type: ignore[no-untyped-def]
    """Cancelled and refunded orders are no purchases, as CLV already held: once every order
    holding P1 with P2 is cancelled or refunded, no rule or 'bought together' pair joins them,
    and the threshold counts only the orders that were bought."""
    together = svc.frequently_bought_together(store=shop_store, min_orders=1)
    pairs = set(zip(together.product_id, together.recommended_id, strict=True))
    assert ("P1", "P2") in pairs
    both = shop_store.df(
        "SELECT order_id FROM order_lines GROUP BY order_id "
        "HAVING count(*) FILTER (WHERE product_id = 'P1') > 0 "
        "AND count(*) FILTER (WHERE product_id = 'P2') > 0"
    ).order_id.tolist()
    before = svc.shipping_threshold(store=shop_store)
    for i, order in enumerate(both):
        status = "cancelled" if i % 2 else "refunded"
        shop_store.execute("UPDATE orders SET status = ? WHERE order_id = ?", [status, order])
    together = svc.frequently_bought_together(store=shop_store, min_orders=1)
    assert ("P1", "P2") not in set(zip(together.product_id, together.recommended_id, strict=True))
    rules = svc.basket_rules(store=shop_store, min_support=0.01)
    joined = [set(a) | set(c) for a, c in zip(rules.antecedents, rules.consequents, strict=True)]
    assert not any({"P1", "P2"} <= items for items in joined)
    after = svc.shipping_threshold(store=shop_store)
    assert after is None or after.median_basket != before.median_basket


def test_a_run_stored_before_the_last_import_is_not_read(shop_store) -> None:  # type: ignore[no-untyped-def]
    """A run stored before newer data describes another shop: it is fitted again (or, when the
    data cannot carry a fit, dropped) rather than read."""
    common = {"as_of": pd.Timestamp("2024-01-01"), "horizon_days": 365, "frequency": 2.0,
              "recency": 60.0, "T": 90.0, "monetary_value": 50.0, "expected_purchases": 1.0,
              "expected_spend": 50.0, "computed_at": pd.Timestamp("2024-01-02")}  # fmt: skip
    _insert(shop_store, "customer_value", [
        {**common, "customer_id": "c1", "p_alive": 0.2, "clv": 300.0, "at_risk": True},
    ])  # fmt: skip
    rep = svc.retention_report(store=shop_store, types=TYPES)
    assert rep["loyal_at_risk"].empty or "c1" not in set(rep["loyal_at_risk"].customer_id)
    stored = shop_store.df("SELECT as_of, computed_at FROM customer_value")
    assert (stored.computed_at > pd.Timestamp("2024-01-02")).all()


def test_a_funnel_that_loses_nobody_names_no_drop_off() -> None:
    """ "largest drop-off: 0 of 2 sessions lost before cart" named a drop-off not there."""
    from shopperlens.playbooks.generator import _funnel_text

    steps = ["visit", "cart", "checkout", "purchase"]
    funnel = pd.DataFrame(
        {"type": "new", "step": steps, "sessions": [2, 2, 2, 2], "drop_off": [0.0] * 4}
    )
    line, drop = _funnel_text(funnel, "new")
    assert line == "visit 2 → cart 2 → checkout 2 → purchase 2" and drop is None
    lossy = funnel.assign(sessions=[2, 1, 1, 1], drop_off=[0.0, 0.5, 0.0, 0.0])
    assert _funnel_text(lossy, "new")[1] == "largest drop-off: 1 of 2 sessions lost before cart"


def _cart_events(rows: list[tuple[Any, ...]], t: pd.Timestamp) -> pd.DataFrame:
    """Anonymous cart events from ``(visitor, day, event_name, product, value)`` rows, each
    ``day`` days after ``t``."""
    return pd.DataFrame(
        [
            {
                "customer_id": None,
                "visitor_id": v,
                "timestamp": t + pd.Timedelta(days=d),
                "event_name": name,
                "product_id": prod,
                "value": value,
            }
            for v, d, name, prod, value in rows
        ]
    )
