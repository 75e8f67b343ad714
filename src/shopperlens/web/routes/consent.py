"""Consent records over HTTP (token required, like every route but the public survey ones).

``GET /api/consents`` lists records (``?customer_id=``: 404 for a customer the store does not
have, ``?purpose=``), ``POST /api/consents`` records one (``{"customer_id", "purpose",
"granted", "source"?, "recorded_at"?}``; ``recorded_at`` not in the future), ``POST
/api/consents/import`` imports an uploaded CSV (multipart part ``file``).
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

from fastapi import APIRouter, UploadFile
from pydantic import Field

from shopperlens.errors import ShopperlensError
from shopperlens.service import consent as svc
from shopperlens.web.deps import RequestBody, ShopDep, upload_name, upload_path
from shopperlens.web.times import ZonedRoute

router = APIRouter(prefix="/api/consents", tags=["privacy"], route_class=ZonedRoute)
#: the largest consents file accepted
MAX_UPLOAD = 20 << 20
#: the longest name, in bytes, an upload is saved under: a row giving no source is recorded
#: with ``file: NAME`` as its source, which may not be longer than ``MAX_SOURCE`` characters
NAME_LIMIT = svc.MAX_SOURCE - len("file: ")


class ConsentIn(RequestBody):
    customer_id: str
    purpose: str = Field(description=", ".join(svc.PURPOSES))
    granted: bool
    source: str | None = Field("api", description="Where it was given: a form, a call …")
    recorded_at: datetime | None = Field(
        None, description="When it was given (default: now; not in the future)."
    )


@router.get("", response_model=list[svc.ConsentRecord])
def list_consents(
    shop: ShopDep, customer_id: str | None = None, purpose: str | None = None
) -> list[svc.ConsentRecord]:
    """Consent records, newest first per customer (404: no customer with that id)."""
    return shop.consents(customer_id, purpose=purpose)  # type: ignore[no-any-return]


@router.post("", response_model=svc.ConsentRecord, status_code=201)
def record(body: ConsentIn, shop: ShopDep) -> svc.ConsentRecord:
    """Record a customer's consent or refusal for one purpose (their latest word counts)."""
    return shop.consent_set(  # type: ignore[no-any-return]
        body.customer_id,
        purpose=body.purpose,
        granted=body.granted,
        source=body.source,
        recorded_at=body.recorded_at,
    )


@router.post("/import", response_model=svc.ConsentImportResult)
def import_file(file: UploadFile, shop: ShopDep) -> svc.ConsentImportResult:
    """Import consent records from an uploaded CSV (all or nothing), saved under its own name,
    shortened past :data:`NAME_LIMIT` bytes (every row giving no source was refused)."""
    data = file.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        name = upload_name(file.filename, "consents.csv")
        raise ShopperlensError(f"{name} is larger than {MAX_UPLOAD >> 20} MB")
    with tempfile.TemporaryDirectory() as tmp:
        path = upload_path(Path(tmp), file.filename, "consents.csv", limit=NAME_LIMIT)
        path.write_bytes(data)
        res = shop.consent_import(path)
    return res.model_copy(update={"file": path.name})  # type: ignore[no-any-return]
