"""What this shop's data can support, capability by capability."""

from __future__ import annotations

from fastapi import APIRouter

from shopperlens.service.readiness import Readiness
from shopperlens.web.deps import ShopDep
from shopperlens.web.times import ZonedRoute

router = APIRouter(prefix="/api", tags=["readiness"], route_class=ZonedRoute)


@router.get("/readiness", response_model=Readiness)
def readiness(shop: ShopDep) -> Readiness:
    """Per capability ``ready``, ``limited`` or ``missing``, the figure behind it and the
    command to run next (``shopperlens check``)."""
    return shop.readiness()
