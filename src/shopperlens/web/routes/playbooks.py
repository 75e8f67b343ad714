"""Playbooks over HTTP: the playbook, analyses, recommendations and audience files."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from shopperlens.plain import plain
from shopperlens.service import playbooks as svc
from shopperlens.web.deps import SettingsDep, ShopDep
from shopperlens.web.times import ZonedRoute

router = APIRouter(prefix="/api/playbooks", tags=["playbooks"], route_class=ZonedRoute)
#: the response header of ``/audience`` carrying the export's warnings
WARNINGS = "X-Shopperlens-Warnings"


def _records(df: Any) -> list[dict[str, Any]]:
    df = df.copy()
    for col in ("antecedents", "consequents"):
        if col in df:
            df[col] = df[col].map(sorted)
    return df.astype(object).where(df.notna(), None).to_dict(orient="records")


@router.get("", response_model=svc.Playbook)
def playbook(shop: ShopDep, type: str | None = None) -> svc.Playbook:  # noqa: A002
    """Every action per type with evidence, revenue at stake and audience."""
    return shop.playbook(type=type)


@router.get("/playbook.md", response_class=PlainTextResponse)
def playbook_markdown(shop: ShopDep, type: str | None = None) -> str:  # noqa: A002
    return shop.playbook(type=type).markdown()


@router.get("/rules")
def rules(
    shop: ShopDep, min_confidence: float = 0.1, limit: int = Query(100, ge=0, le=100_000)
) -> list[dict[str, Any]]:
    return _records(shop.rules(min_confidence=min_confidence).head(limit))


@router.get("/together")
def together(
    shop: ShopDep, product_id: str | None = None, top: int = Query(4, ge=1, le=100)
) -> list[dict[str, Any]]:
    """Frequently bought together (pairs counted in SQL), optionally for one product."""
    return _records(shop.frequently_bought_together(product_id=product_id, top=top))


@router.get("/related")
def related(shop: ShopDep, top: int = Query(4, ge=1, le=100)) -> list[dict[str, Any]]:
    return _records(shop.related_products(top=top))


@router.get("/upsell")
def upsell(
    shop: ShopDep, customer_id: str | None = None, top: int = Query(3, ge=1, le=100)
) -> list[dict[str, Any]]:
    return _records(shop.upsell_picks(customer_id=customer_id, top=top))


@router.get("/threshold")
def threshold(shop: ShopDep) -> dict[str, Any]:
    """The object ``shopperlens threshold --json`` prints, plus the ``candidates`` table:
    ``{"threshold": null, "reason": …}`` without a threshold, and a ``reason`` beside
    ``advised: false`` when too few orders advise one."""
    return plain(svc.threshold_answer(store=shop.store, candidates=True))


@router.get("/funnel")
def funnel(shop: ShopDep, by: Literal["type", "source", "none"] = "type") -> list[dict[str, Any]]:
    return _records(shop.funnels(by=None if by == "none" else by))


class CsvResponse(PlainTextResponse):
    """A CSV file's text as ``text/csv; charset=utf-8`` (RFC 7111): served as ``text/plain``, a
    browser showed the audience file instead of offering it to a spreadsheet or an upload."""

    media_type = "text/csv"


@router.get("/audience", response_class=CsvResponse)
def audience(
    shop: ShopDep,
    settings: SettingsDep,
    to: Literal["csv", "meta", "google", "mailchimp", "klaviyo"] = "csv",
    type: str | None = None,  # noqa: A002
    segment: str | None = Query(None, description="pandas query over the customer columns"),
    purpose: Literal["marketing", "case_study", "referral"] = Query(
        "marketing", description="the consent the csv's e-mails follow (others: marketing only)"
    ),
) -> CsvResponse:
    """The audience file as CSV text (marketing destinations: consenting customers only; the
    plain csv by ``purpose``'s consent, which the other destinations refuse unless marketing).

    What the CLI prints as warnings (a list too small for the ad platform, why a type selects
    nobody) comes in the ``X-Shopperlens-Warnings`` header, a JSON list of texts (ASCII: any
    other character escaped), so the body stays the file the platform takes. With the
    ``csv_bom`` setting the plain csv starts with UTF-8's byte order mark, as the CLI writes it."""
    summary, rows = svc.export_audience(
        store=shop.store, destination=to, type=type, segment=segment, purpose=purpose
    )
    headers = {WARNINGS: json.dumps(list(summary.warnings))} if summary.warnings else None
    return CsvResponse(svc.audience_csv(rows, to, bom=settings.csv_bom), headers=headers)
