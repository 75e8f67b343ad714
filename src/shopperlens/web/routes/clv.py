"""Customer value and purchase intent: ``GET /api/clv``, ``/api/clv/summary``,
``/api/clv/effects``, ``/api/intent``."""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Query, Response

from shopperlens.service import clv as svc
from shopperlens.web.deps import NOTE, ShopDep
from shopperlens.web.routes.tables import TOTAL
from shopperlens.web.times import ZonedRoute

router = APIRouter(prefix="/api", tags=["models"], route_class=ZonedRoute)
#: the response header of ``GET /api/clv`` saying its run is not stored, and what stores one
NOT_STORED = (
    "scored, not stored: POST /api/jobs/clv (as shopperlens clv) stores the run that "
    "GET /api/types joins (clv, p_alive, loyal_at_risk)"
)


def _records(frame: Any) -> list[dict[str, Any]]:
    rows = frame.to_dict(orient="records")
    return [
        {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()}
        for r in rows
    ]


@router.get("/clv")
def clv(
    shop: ShopDep,
    response: Response,
    horizon_days: int = Query(
        365, gt=0, le=svc.MAX_HORIZON_DAYS, description="Forecast horizon in days."
    ),
    at_risk: bool = Query(
        False,  # the CLI's --at-risk words: the flag is not about the loyal type
        description="Only repeat customers (2+ repeat purchases, any type) whose P(alive) fell.",
    ),
    limit: int = Query(1000, gt=0, le=100_000, description="Most valuable rows returned."),
    offset: int = Query(0, ge=0, description="Skip the N most valuable rows (the next page)."),
) -> list[dict[str, Any]]:
    """Per customer: frequency, recency, T, P(alive), expected purchases, CLV, at risk.

    Most valuable first: ``limit`` rows after the first ``offset``; ``X-Shopperlens-Total``
    says how many rows there are in all (``?offset=100000`` reads on past the first 100,000).

    A read: the run is scored, not stored (a GET must not write), so the types' value columns
    and "loyal at risk" do not see it. ``POST /api/jobs/clv`` stores a run, as ``shopperlens
    clv`` does; the ``X-Shopperlens-Note`` header of this answer says so. When the model found
    no dropout, ``X-Shopperlens-No-Dropout`` is ``true`` and ``X-Shopperlens-No-Dropout-Note``
    says why every ``p_alive`` is 1 and nobody ``at_risk`` (as on ``/api/clv/effects``)."""
    response.headers[NOTE] = NOT_STORED
    frame = shop.clv(horizon_days=horizon_days)
    _no_dropout_headers(response, frame)
    if at_risk:
        frame = frame[frame["at_risk"]]
    return _page(frame, response, limit, offset)


@router.get("/clv/summary", response_model=svc.ValueSummary)
def clv_summary(
    shop: ShopDep,
    horizon_days: int = Query(365, gt=0, le=svc.MAX_HORIZON_DAYS, description="Horizon in days."),
) -> svc.ValueSummary:
    """Model parameters with 95 % intervals and the customer base's totals."""
    return shop.clv_summary(horizon_days=horizon_days)


#: the response headers of ``GET /api/clv/effects``: how many customers the comparison leaves
#: out and why, and whether the model found no dropout and what that means (the body stays the
#: list of rows it always was)
LEFT_OUT = "X-Shopperlens-Left-Out"
LEFT_OUT_NOTE = "X-Shopperlens-Left-Out-Note"
NO_DROPOUT = "X-Shopperlens-No-Dropout"
NO_DROPOUT_NOTE = "X-Shopperlens-No-Dropout-Note"


@router.get("/clv/effects")
def clv_effects(
    shop: ShopDep,
    response: Response,
    by: str = Query("source", description="source, category or device."),
) -> list[dict[str, Any]]:
    """Purchase rate, dropout, P(alive) and CLV per acquisition source (or category, device).

    The rows describe only the customers with a known level: the ``X-Shopperlens-Left-Out``
    header counts the others and ``X-Shopperlens-Left-Out-Note`` says why ("96 customers
    without a visit on record by the day of their first order are left out: …"), as the CLI
    and the report do. When the model found
    no dropout, ``dropout`` and ``p_alive`` are null (not 0 and 1),
    ``X-Shopperlens-No-Dropout`` is ``true`` and ``X-Shopperlens-No-Dropout-Note`` says why.
    Headers, so the body keeps its shape (a list of rows) for existing clients."""
    frame = shop.clv_effects(by=by)
    response.headers[LEFT_OUT] = str(int(frame.attrs.get("left_out", 0)))
    if frame.attrs.get("left_out_note"):
        response.headers[LEFT_OUT_NOTE] = frame.attrs["left_out_note"]
    _no_dropout_headers(response, frame)
    return _records(frame)


def _no_dropout_headers(response: Response, frame: Any) -> None:
    """``X-Shopperlens-No-Dropout`` (and its note when true) from the frame's judgement."""
    response.headers[NO_DROPOUT] = "true" if frame.attrs.get("no_dropout") else "false"
    if frame.attrs.get("no_dropout_note"):
        response.headers[NO_DROPOUT_NOTE] = frame.attrs["no_dropout_note"]


@router.get("/intent")
def intent(
    shop: ShopDep,
    response: Response,
    limit: int = Query(1000, gt=0, le=100_000, description="Highest-intent rows returned."),
    offset: int = Query(0, ge=0, description="Skip the N highest-intent rows (the next page)."),
) -> list[dict[str, Any]]:
    """Every looker's calibrated purchase intent and the features that drive it, highest
    first: ``limit`` rows after the first ``offset``; ``X-Shopperlens-Total`` says how many
    rows there are in all."""
    return _page(shop.intent(), response, limit, offset)


def _page(frame: Any, response: Response, limit: int, offset: int) -> list[dict[str, Any]]:
    """``limit`` rows after the first ``offset``, with the number of rows in all in the
    ``X-Shopperlens-Total`` header (the body stays the list of rows it always was): a shop of
    more customers than one answer holds is read page by page, as ``GET /api/types`` is."""
    response.headers[TOTAL] = str(len(frame))
    return _records(frame.iloc[offset : offset + limit])
