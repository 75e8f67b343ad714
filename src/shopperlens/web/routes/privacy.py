"""Erasure of a customer (the right to be forgotten)."""

from __future__ import annotations

from fastapi import APIRouter

from shopperlens.service.privacy import ErasureReport
from shopperlens.web.deps import ShopDep

router = APIRouter(prefix="/api/customers", tags=["privacy"])


@router.delete("/{customer_id}", response_model=ErasureReport)
def erase(customer_id: str, shop: ShopDep) -> ErasureReport:
    return shop.erase_customer(customer_id=customer_id)
