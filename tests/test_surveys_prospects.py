"""Interview recruitment of prospects and low raters, and the device cross-check between
analytics and the shop's own events: hand-built shops with a known answer, through the
service, the CLI and HTTP."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import shopperlens
from shopperlens.errors import ShopperlensError
from shopperlens.service import audience, interviews, surveys
from shopperlens.surveys.definition import Question, Survey

GA4 = Path(__file__).parent / "data" / "ga4_audience"
T0 = datetime(2026, 3, 1, 10, 0)


def _event(store, eid, session, name, *, customer=None, visitor=None, device=None) -> None:
    store.execute(
        "INSERT INTO events (event_id, session_id, visitor_id, customer_id, timestamp, "
        "event_name, device) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [eid, session, visitor, customer, T0 + timedelta(minutes=len(eid)), name, device],
    )


def prospect_shop(store) -> None:
    """Buyers b1..b3; prospects with a known engagement order.

    p1 (consent): 3 visits, 4 product views, 2 carts -> 3 + 2 + 6 = 11
    p3 (consent): 1 visit, 2 product views          -> 1 + 1 = 2
    p2 (no consent, signed up as visitor v2)         -> 1 visit = 1
    p4 (no consent, no sign-up) and p5 (no e-mail) are not prospects.
    """
    people = [
        ("b1", "b1@example.com", True),
        ("b2", "b2@example.com", True),
        ("b3", "b3@example.com", True),
        ("p1", "p1@example.com", True),
        ("p2", "p2@example.com", False),
        ("p3", "p3@example.com", True),
        ("p4", "p4@example.com", False),
        ("p5", None, True),
    ]
    for cid, mail, ok in people:
        store.execute(
            "INSERT INTO customers (customer_id, email, accepts_marketing) VALUES (?, ?, ?)",
            [cid, mail, ok],
        )
    for i, cid in enumerate(["b1", "b2", "b3"]):
        for k in range(i + 1):
            oid = f"o-{cid}-{k}"
            store.execute(
                "INSERT INTO orders (order_id, customer_id, ordered_at) VALUES (?, ?, ?)",
                [oid, cid, T0],
            )
            store.execute(
                "INSERT INTO order_lines VALUES (?, 1, 'p', 'P', 'x', 1, 50.0, NULL)", [oid]
            )
    n = iter(range(1000))
    for s in ("s1", "s2", "s3"):
        _event(store, f"e{next(n)}", s, "page_view", customer="p1")
    for _ in range(4):
        _event(store, f"e{next(n)}", "s1", "view_item", customer="p1")
    for _ in range(2):
        _event(store, f"e{next(n)}", "s2", "add_to_cart", customer="p1")
    _event(store, f"e{next(n)}", "s4", "page_view", visitor="v2")
    _event(store, f"e{next(n)}", "s4", "sign_up", visitor="v2")
    store.execute("INSERT INTO identities (visitor_id, customer_id) VALUES ('v2', 'p2')")
    for _ in range(2):
        _event(store, f"e{next(n)}", "s5", "view_item", customer="p3")
    _event(store, f"e{next(n)}", "s6", "view_item", customer="p4")


def test_prospects_ranked_by_engagement_only_reachable_people(store):
    prospect_shop(store)
    picked = interviews.recruit(store=store, n=1, best_by="revenue")
    pros = picked[picked["segment"] == "prospect"]
    assert pros["customer_id"].tolist() == ["p1", "p3", "p2"]
    assert pros["score"].tolist() == [11.0, 2.0, 1.0]
    reasons = dict(zip(pros["customer_id"], pros["reason"], strict=True))
    assert reasons["p1"].startswith("3 visits, 4 product views, 2 carts")
    assert "signed up" in reasons["p2"] and "no marketing consent" in reasons["p2"]
    assert picked[picked["segment"] == "best"]["customer_id"].tolist() == ["b3"]
    only_two = interviews.recruit(store=store, n=1, prospects=2)
    assert only_two[only_two["segment"] == "prospect"]["customer_id"].tolist() == ["p1", "p3"]
    none = interviews.recruit(store=store, n=1, prospects=0)
    assert "prospect" not in set(none["segment"])


def test_prospects_ranked_by_stored_purchase_intent(store):
    prospect_shop(store)
    # a stored intent run: visitor v2 (p2 through identities) 0.9, p3 0.4, p1 unscored
    store.execute(
        "INSERT INTO visitor_intent VALUES ('v2', NULL, 's4', 0.9, 'carts +0.2', now()), "
        "('v3', 'p3', 's5', 0.4, 'views +0.1', now())"
    )
    pros = interviews.recruit_prospects(store=store, n=10)
    # reachable first (p2 has no consent); among them intent beats p1's higher engagement
    assert pros["customer_id"].tolist() == ["p3", "p1", "p2"]
    assert pros["reason"].iloc[0].startswith("purchase intent 0.40")
    assert pros["reason"].iloc[2].startswith("purchase intent 0.90")


def test_prospects_alone_are_enough_and_nobody_is_a_clear_error(store):
    store.execute(
        "INSERT INTO customers (customer_id, email, accepts_marketing) "
        "VALUES ('p9', 'p9@example.com', true)"
    )
    picked = interviews.recruit(store=store)
    assert picked.to_dict("records")[0]["customer_id"] == "p9"
    with pytest.raises(ShopperlensError, match="no prospects"):
        interviews.recruit(store=store, prospects=0)


def test_a_prospect_of_a_shop_without_events_or_orders_has_unknown_visits(store):
    """A customers file alone gave every prospect "0 visits, 0 product views, 0 carts, no
    order": nothing of it was measured."""
    store.execute(
        "INSERT INTO customers (customer_id, email, accepts_marketing) "
        "VALUES ('p9', 'p9@example.com', true)"
    )
    reason = interviews.recruit_prospects(store=store).loc[0, "reason"]
    assert reason == "visits unknown (no events imported), orders unknown (no orders imported)"
    prospect_shop(store)
    reasons = interviews.recruit_prospects(store=store).set_index("customer_id")["reason"]
    assert reasons["p1"] == "3 visits, 4 product views, 2 carts, 0 checkouts, no order"
    assert reasons["p9"] == "0 visits, 0 product views, 0 carts, 0 checkouts, no order"


def test_low_satisfaction_answers_make_a_worst_customer(store):
    prospect_shop(store)
    assert interviews.low_ratings(store=store).empty  # no rating question: no ratings
    questions = [Question(id="satisfaction", kind="scale", text="How happy are you with us?")]
    questions += [
        Question(id=f"q{i}", kind="text", text=f"Question {i}?", group="mindset") for i in range(6)
    ]
    surveys.save_survey(store=store, survey=Survey(name="nps", title="NPS", questions=questions))
    for rid, cid, value in [("r1", "b2", 1.0), ("r2", "b1", 5.0), ("r3", "b3", 2.0)]:
        store.execute(
            "INSERT INTO survey_responses (response_id, survey, version, respondent, customer_id,"
            " channel, submitted_at) VALUES (?, 'nps', 1, ?, ?, 'api', now())",
            [rid, rid, cid],
        )
        store.execute(
            "INSERT INTO survey_answers VALUES (?, 'satisfaction', 0, NULL, ?)", [rid, value]
        )
    # the lowest quarter of 1..5 is <= 2: b2 and b3 each gave one low answer
    assert interviews.low_ratings(store=store).to_dict() == {"b2": 1.0, "b3": 1.0}
    picked = interviews.recruit(store=store, n=1, best_by="revenue", prospects=0)
    worst = picked[picked["segment"] == "worst"]
    # b3 is the best customer; b2 (1 low answer in 2 orders) is the worst of the rest
    assert worst["customer_id"].tolist() == ["b2"]
    assert "1 low satisfaction answer" in worst["reason"].iloc[0]  # one, not "answers"
    assert not worst["reason"].iloc[0].endswith("answers")


def _devices(store, mix: dict[str, int]) -> None:
    k = 0
    for device, visitors in mix.items():
        for _ in range(visitors):
            _event(store, f"d{k}", f"ds{k}", "page_view", visitor=f"dv{k}", device=device)
            _event(store, f"d{k}b", f"ds{k}", "view_item", visitor=f"dv{k}", device=device)
            k += 1


def test_device_mix_disagreement_is_flagged_in_plain_words(store):
    # GA4 file: mobile 2100, desktop 700, tablet 100 of 2900 -> 72 %, 24 %, 3 %
    audience.import_analytics(store=store, path=GA4 / "ga4_device.csv")
    _devices(store, {"Mobile": 4, "Desktop": 3, "pc": 2, "tablet": 1})  # 40 / 50 / 10 %
    assert audience.shop_devices(store=store).to_dict() == {
        "desktop": 5.0,
        "mobile": 4.0,
        "tablet": 1.0,
    }
    surveys.ensure_builtin(store=store)
    found = audience.analytics_check(store=store, survey="demo-profile")  # no responses yet
    device = [f for f in found if f.dimension == "device"]
    assert len(device) == 1 and device[0].kind == "contradiction"
    assert "ga4 counts 72 % of visitors on mobile" in device[0].message
    assert "own events count 40 %" in device[0].message
    assert device[0].survey_share == pytest.approx(0.4)
    assert any(f.kind == "note" and "no responses yet" in f.message for f in found)


def test_device_mix_within_tolerance_agrees_and_competitors_are_skipped(store, tmp_path):
    audience.import_analytics(store=store, path=GA4 / "ga4_device.csv")
    rival = tmp_path / "rival.csv"  # another shop's audience: not compared with our events
    rival.write_text("dimension,value,share\ndevice,mobile,95 %\ndevice,desktop,5 %\n")
    audience.import_analytics(store=store, path=rival, source="competitor", name="rival")
    _devices(store, {"smartphone": 7, "desktop": 3})  # 70 / 30 / 0 vs 72 / 24 / 3
    found = audience.shop_checks(store=store, audience=audience.audience(store=store))
    assert [(f.kind, f.source) for f in found] == [("agreement", "ga4")]
    # a gap between two shares is in percentage points, not a percentage of either
    assert "agree within 10 points (largest gap desktop: 6 points)" in found[0].message


def test_survey_agreement_names_its_gap_in_points() -> None:
    """30 % against 43 % female is 13 points apart, not "13 %" (of what?). (10 000 answers:
    agreement needs the gap plus its sampling error under 15 points.)"""
    import pandas as pd

    from shopperlens.surveys.crosscheck import compare

    survey = {"gender": pd.Series(["female"] * 3000 + ["male"] * 7000)}
    ga4 = pd.DataFrame(
        {"source": "ga4", "dimension": "gender", "value": ["female", "male"], "share": [0.43, 0.57]}
    )
    (found,) = compare(survey, ga4)
    assert found.kind == "agreement"
    said = (
        "gender: survey and ga4 agree within 15 points (largest gap female: 13 points; "
        "n = 10000 respondents)."
    )
    assert found.message == said


def test_device_without_shop_devices_is_a_note(store):
    audience.import_analytics(store=store, path=GA4 / "ga4_device.csv")
    found = audience.shop_checks(store=store, audience=audience.audience(store=store))
    assert [f.kind for f in found] == ["note"]


def test_cli_recruit_prospects_and_device_check(cli, db_path):
    shop = shopperlens.open(str(db_path))
    prospect_shop(shop.store)
    _devices(shop.store, {"mobile": 4, "desktop": 6})
    shop.close()
    res = cli("interviews", "recruit", "--n", "1", "--prospects", "2", "--json")
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert [r["customer_id"] for r in rows if r["segment"] == "prospect"] == ["p1", "p3"]
    assert cli("interviews", "recruit", "--prospects", "-1").exit_code != 0
    assert cli("analytics", "import", str(GA4 / "ga4_device.csv")).exit_code == 0
    cli("survey", "create", "demo-profile")
    res = cli("analytics", "check")
    assert res.exit_code == 0, res.output
    # 40 / 60 % against 72 / 24 %: desktop is the largest gap (36 points)
    assert "ga4 counts 24 % of visitors on desktop" in res.output and "count 60" in res.output


def test_http_recruit_prospects_and_device_check(shop, client):
    prospect_shop(shop.store)
    _devices(shop.store, {"mobile": 7, "desktop": 3})
    res = client.get("/api/interviews/recruit", params={"n": 1, "prospects": 1})
    assert res.status_code == 200, res.text
    assert [r["customer_id"] for r in res.json() if r["segment"] == "prospect"] == ["p1"]
    ga4 = (GA4 / "ga4_device.csv").read_text()
    res = client.post("/api/analytics/import", files={"file": ("ga4_device.csv", ga4, "text/csv")})
    assert res.status_code == 200, res.text
    surveys.ensure_builtin(store=shop.store)
    found = client.get("/api/analytics/check").json()
    device = [f for f in found if f["dimension"] == "device"]
    assert device[0]["kind"] == "agreement"  # 70 / 30 % against 72 / 24 / 3 %
    assert device[0]["analytics_share"] == pytest.approx(700 / 2900)  # desktop: largest gap


def test_respondents_device_mix_against_the_shops_visitors(store):
    """80 visitors: 20 mobile (25 %), 60 desktop. Respondents: 16 mobile visitors and 4 desktop
    ones (one linked only by customer id) -> 80 % mobile: mobile is over-represented."""
    audience.import_analytics(store=store, path=GA4 / "ga4_device.csv")
    _devices(store, {"mobile": 20, "desktop": 60})
    store.execute("INSERT INTO identities (visitor_id, customer_id) VALUES ('dv23', 'cx')")
    surveys.ensure_builtin(store=store)
    respondents = [(f"dv{i}", None) for i in [*range(16), 20, 21, 22]] + [(None, "cx")]
    for k, (visitor, customer) in enumerate(respondents):
        store.execute(
            "INSERT INTO survey_responses (response_id, survey, version, respondent, customer_id,"
            " visitor_id, channel, submitted_at) VALUES (?, 'demo-profile', 1, ?, ?, ?, 'popup',"
            " now())",
            [f"r{k}", f"r{k}", customer, visitor],
        )
        store.execute("INSERT INTO survey_answers VALUES (?, 'novelty', 0, NULL, 3)", [f"r{k}"])
    assert audience.respondent_devices(store=store, survey="demo-profile").to_dict() == {
        "mobile": 16.0,
        "desktop": 4.0,
    }
    found = audience.analytics_check(store=store, survey="demo-profile")
    voice = [f for f in found if f.dimension == "device" and f.source == "survey"]
    assert len(voice) == 1 and voice[0].kind == "contradiction"
    assert voice[0].message.startswith(
        "device: 80 % of respondents visited on mobile, against 25 % of the shop's visitors: "
        "the survey over-represents mobile visitors"
    )
    # analytics (72 % mobile) against the shop's events (25 %) is flagged too
    assert any(f.dimension == "device" and f.source == "ga4" for f in found)
