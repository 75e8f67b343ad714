"""Every time the HTTP API answers says its zone, as the jobs' times do: ``…T10:00:00Z``.

The store keeps times in UTC without a zone, and the imports ledger, consents, personas runs
and the rest answered ``2025-03-01T10:00:00``, which JavaScript's ``Date`` reads as the
browser's local time. The Python API keeps handing back the store's naive UTC times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi.routing import APIRoute
from pydantic import BaseModel

import shopperlens
from shopperlens.web.routes import PRIVATE_ROUTERS, dashboard
from shopperlens.web.times import ZonedRoute, with_utc_zone

#: a time in JSON without its zone
NAIVE = re.compile(r'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?"')
TICKETS = "ticket_id,customer_id,opened,subject\nt1,c1,2024-02-01 10:00:00,late parcel\n"


def test_the_imports_ledger_and_tables_say_utc(
    client: Any, shop: shopperlens.Shop, tmp_path: Path
) -> None:
    path = tmp_path / "tickets.csv"
    path.write_text(TICKETS)
    shop.import_files("tickets", path, mapping={"opened": "created_at"})
    answer = client.get("/api/imports")
    assert answer.status_code == 200
    record = answer.json()[0]
    assert record["earliest_at"] == "2024-02-01T10:00:00Z"
    assert record["imported_at"].endswith("Z")
    assert not NAIVE.search(answer.text)
    stored = shop.imports()[0].imported_at
    assert stored.tzinfo is None  # the Python API: the store's naive UTC time
    assert datetime.fromisoformat(record["imported_at"]) == stored.replace(tzinfo=UTC)


def test_a_consent_says_utc(client: Any, shop: shopperlens.Shop, tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text("customer_id,email\nc1,ann@example.com\n")
    shop.import_files("customers", path)
    body = {
        "customer_id": "c1",
        "purpose": "marketing",
        "granted": True,
        "recorded_at": "2025-03-01T12:00:00+02:00",
    }
    made = client.post("/api/consents", json=body)
    assert made.status_code == 201, made.text
    assert made.json()["recorded_at"] == "2025-03-01T10:00:00Z"
    listed = client.get("/api/consents", params={"customer_id": "c1"})
    assert [r["recorded_at"] for r in listed.json()] == ["2025-03-01T10:00:00Z"]


def test_every_api_route_gives_zoned_times() -> None:
    """A router added without ``route_class=ZonedRoute`` would answer naive times again."""
    for router in PRIVATE_ROUTERS:
        if router is dashboard.router:  # pages and report files, no JSON of its own
            continue
        for route in router.routes:
            assert isinstance(route, APIRoute) and isinstance(route, ZonedRoute), route.path


class _Inner(BaseModel):
    at: datetime | None


class _Outer(BaseModel):
    inner: _Inner
    times: list[datetime]
    name: str


@dataclass
class _Run:
    created_at: datetime


def test_with_utc_zone_reaches_every_time_and_leaves_the_rest() -> None:
    naive = datetime(2025, 3, 1, 10, 0)
    zoned = naive.replace(tzinfo=UTC)
    value = _Outer(inner=_Inner(at=naive), times=[naive], name="2025-03-01T10:00:00")
    out = with_utc_zone(value)
    assert out.inner.at == zoned and out.times == [zoned]
    assert out.name == "2025-03-01T10:00:00"  # text stays as given
    assert value.inner.at == naive  # the original is not changed
    assert with_utc_zone({"a": [(_Run(naive),)]})["a"][0][0].created_at == zoned
    assert with_utc_zone(pd.Timestamp(naive)) == pd.Timestamp(zoned)
    assert with_utc_zone(pd.NaT) is pd.NaT
    plain = {"a": 1, "b": [zoned, "x"]}
    assert with_utc_zone(plain) is plain  # nothing naive: the same object
