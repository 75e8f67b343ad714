"""Table summaries and the import ledger."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from shopperlens.service import tables as svc
from shopperlens.web.deps import NOTE, ShopDep
from shopperlens.web.times import ZonedRoute

router = APIRouter(prefix="/api", tags=["tables"], route_class=ZonedRoute)
#: the response headers of ``GET /api/imports``: how many files the ledger holds, and which
#: part of it the body is when not all of it (the body stays the list it always was)
TOTAL = "X-Shopperlens-Total"


@router.get("/tables", response_model=list[svc.TableSummary])
def tables(shop: ShopDep) -> list[svc.TableSummary]:
    return shop.tables()


@router.get("/imports", response_model=list[svc.ImportRecord])
def imports(
    shop: ShopDep,
    response: Response,
    limit: Annotated[
        str, Query(description="Files to list, newest first: a number, or 0 or all for every one.")
    ] = str(svc.IMPORTS_SHOWN),
    offset: Annotated[int, Query(ge=0, description="Skip the newest N files (the next page).")] = 0,
) -> list[svc.ImportRecord]:
    """The import ledger, newest first: every file loaded, with every field.

    ``X-Shopperlens-Total`` says how many files the ledger holds; when the body lists fewer,
    ``X-Shopperlens-Note`` says which part it is ("the newest 100 of 137 imports"):
    ``?limit=all`` lists every one, ``?offset=100`` the next page."""
    rows = shop.imports(limit, offset=offset)
    response.headers[TOTAL] = str(rows.total)
    if rows.note:
        response.headers[NOTE] = f"{rows.note} (?limit=all lists every one)"
    return rows
