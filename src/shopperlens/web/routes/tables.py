"""Table summaries and the import ledger."""

from __future__ import annotations

from fastapi import APIRouter

from shopperlens.service import tables as svc
from shopperlens.web.deps import ShopDep

router = APIRouter(prefix="/api", tags=["tables"])


@router.get("/tables", response_model=list[svc.TableSummary])
def tables(shop: ShopDep) -> list[svc.TableSummary]:
    return shop.tables()


@router.get("/imports", response_model=list[svc.ImportRecord])
def imports(shop: ShopDep) -> list[svc.ImportRecord]:
    return shop.imports()
