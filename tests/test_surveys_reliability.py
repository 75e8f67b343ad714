"""Under load nothing is lost: 2,000 submissions from concurrent clients to a real uvicorn server.

Bad submissions (wrong types, unknown questions, oversize bodies, replayed or forged links,
script tags, honeypot) get clear 4xx answers and are never stored.
"""

from __future__ import annotations

import json
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from shopperlens.config import Settings
from shopperlens.service import survey_delivery, surveys
from shopperlens.surveys import links
from shopperlens.web.app import create_app
from shopperlens.web.server import serve_in_thread

KEY = "reliability-secret"
N_GOOD = 2000
N_PERSONAL = 200


def _customers(store, n: int) -> list[str]:
    ids = [f"C{i:04d}" for i in range(n)]
    for cid in ids:
        store.execute(
            "INSERT INTO customers (customer_id, email, accepts_marketing) VALUES (?, ?, true)",
            [cid, f"{cid.lower()}@example.com"],
        )
    return ids


def _fire(base: str, jobs: list[tuple[str, dict | bytes]], clients: int = 16):
    """Send every job from ``clients`` threads, each with its own keep-alive httpx client
    (httpx's sync client in threads is several times faster here than its asyncio pool)."""
    local = threading.local()

    def one(job: tuple[str, dict | bytes]) -> tuple[str, int, dict]:
        tag, body = job
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(base_url=base, timeout=60)
        if isinstance(body, bytes):
            r = client.post(
                "/s/demo-profile/responses",
                content=body,
                headers={"content-type": "application/json"},
            )
        else:
            r = client.post("/s/demo-profile/responses", json=body)
        return tag, r.status_code, r.json()

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(one, jobs))


@pytest.mark.slow
def test_2000_concurrent_submissions_stored_exactly_once(shop):
    store = shop.store
    surveys.ensure_builtin(store=store)
    customers = _customers(store, N_PERSONAL)
    inv = survey_delivery.invite(store=store, survey="demo-profile", customer_ids=customers)
    tokens = [links.sign(i, "demo-profile", KEY) for i in inv]

    good: list[tuple[str, dict | bytes]] = []
    for i in range(N_GOOD):
        body: dict = {
            "answers": {
                "why_buy": f"marker {i} because it is cheap",
                "novelty": 1 + i % 5,
                "values": ["price", "quality"][: 1 + i % 2],
                "age_bracket": "25-34",
            },
            "visitor_id": f"vis{i}",
            "channel": "popup",
        }
        if i < N_PERSONAL:
            body["token"] = tokens[i]
        good.append((f"good:{i}", body))
    bad: list[tuple[str, dict | bytes]] = [
        ("type", {"answers": {"novelty": "very"}}),
        ("type", {"answers": {"novelty": 9}}),
        ("type", {"answers": {"values": "price;caviar"}}),
        ("type", {"answers": {"age_bracket": ["18-24"]}}),
        ("unknown", {"answers": {"favourite_colour": "blue"}}),
        ("script", {"answers": {"why_buy": "<script>alert('x')</script>"}}),
        ("script", {"answers": {"what_stopped": "<img src=x onerror=alert(1)>"}}),
        ("honeypot", {"answers": {"novelty": 3}, "website": "http://spam.example"}),
        ("forged", {"answers": {"novelty": 3}, "token": tokens[0][:-2] + "xx"}),
        ("oversize", b'{"answers": {"why_buy": "' + b"a" * 400_000 + b'"}}'),
        ("notjson", b"{not json"),
        ("empty", {"answers": {}}),
    ] * 5
    # replays: every one of the first 50 personal links is used again, concurrently
    replays = [(f"replay:{i}", dict(good[i][1])) for i in range(50)]

    settings = Settings(token="t", secret_key=KEY, survey_rate_limit=1_000_000)
    app = create_app(settings, shop=shop)
    with serve_in_thread(app) as base:
        jobs = good + bad + replays
        random.Random(6).shuffle(jobs)  # replays race their originals
        results = _fire(base, jobs)

    by_tag: dict[str, list[tuple[int, dict]]] = {}
    for tag, status, body in results:
        by_tag.setdefault(tag.split(":")[0], []).append((status, body))
    good_status = [s for s, _ in by_tag["good"]]
    replay_status = [s for s, _ in by_tag["replay"]]
    # for each personal link exactly one of (original, replay) wins; the other gets 409
    won = sum(s == 201 for s in good_status) + sum(s == 201 for s in replay_status)
    assert won == N_GOOD
    assert sorted(set(good_status + replay_status)) in ([201], [201, 409])
    assert sum(s == 409 for s in good_status + replay_status) == 50
    for kind, expected in {
        "type": 422,
        "unknown": 422,
        "script": 422,
        "honeypot": 400,
        "forged": 400,
        "oversize": 413,
        "notjson": 400,
        "empty": 422,
    }.items():
        statuses = {s for s, _ in by_tag[kind]}
        assert statuses == {expected}, (kind, statuses)
        assert all(isinstance(b.get("detail"), str) and b["detail"] for _, b in by_tag[kind])
    assert "unknown question" in json.dumps(by_tag["unknown"][0][1])

    # every good submission stored exactly once, nothing else stored
    assert store.count("survey_responses") == N_GOOD
    markers = store.df(
        "SELECT value_text, count(*) AS n FROM survey_answers WHERE question = 'why_buy' GROUP BY 1"
    )
    assert len(markers) == N_GOOD and set(markers["n"]) == {1}
    assert store.scalar("SELECT count(DISTINCT link_id) FROM survey_responses") == N_PERSONAL
    linked = store.scalar("SELECT count(*) FROM survey_responses WHERE customer_id IS NOT NULL")
    assert linked == N_PERSONAL
    assert store.scalar("SELECT count(*) FROM survey_answers WHERE value_text ILIKE '%<%'") == 0
    frame = surveys.responses_frame(store=store, survey="demo-profile")
    assert len(frame) == N_GOOD and frame["respondent"].is_unique
