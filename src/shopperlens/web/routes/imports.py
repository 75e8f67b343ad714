"""``POST /api/imports/{kind}``: import an uploaded file, or a file on the server.

Send either ``multipart/form-data`` with one or more ``file`` parts, or JSON
``{"path": "/srv/exports/orders.csv"}`` (or ``"paths": [...]``). Options go in the query
string: ``format``, ``on_error`` (abort|skip) and ``map`` (``their=canonical``, repeatable).
The ledger is ``GET /api/imports`` (served by the tables router).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from shopperlens.errors import ShopperlensError
from shopperlens.ingest.generic import parse_map_options
from shopperlens.service import imports as svc
from shopperlens.web.deps import ShopDep, upload_name

router = APIRouter(prefix="/api/imports", tags=["imports"])


@router.post("/{kind}", response_model=svc.ImportResult)
async def import_kind(
    kind: str,
    request: Request,
    shop: ShopDep,
    format: Annotated[str, Query(description="auto, generic, shopify, ga4 or uci.")] = "auto",  # noqa: A002
    on_error: Annotated[str, Query(description="abort (nothing written) or skip.")] = "abort",
    map: Annotated[  # noqa: A002
        list[str] | None, Query(description="their_name=canonical_name, repeatable.")
    ] = None,
) -> svc.ImportResult:
    """Import an upload (multipart ``file`` parts) or server-side ``{"path": …}``."""
    mapping = parse_map_options(map) or None
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form()
        uploads = [f for f in form.getlist("file") if isinstance(f, UploadFile)]
        if not uploads:
            raise ShopperlensError("send the file(s) as multipart parts named 'file'")
        with tempfile.TemporaryDirectory(prefix="shopperlens-upload-") as tmp:
            paths, names = [], []
            for i, up in enumerate(uploads):
                name = upload_name(up.filename, f"upload-{i}.csv")
                # a folder per upload keeps its own name, which messages about it then use
                target = Path(tmp) / str(i) / name
                target.parent.mkdir()
                with target.open("wb") as fh:
                    shutil.copyfileobj(up.file, fh, 1 << 20)
                paths.append(target)
                names.append(name)
            with _in_http_words():
                return await run_in_threadpool(
                    svc.import_files,
                    store=shop.store,
                    kind=kind,
                    paths=paths,
                    fmt=format,
                    mapping=mapping,
                    on_error=on_error,  # type: ignore[arg-type]
                    names=names,
                )
    try:
        body = await request.json()
    except ValueError:
        raise ShopperlensError(
            'send multipart/form-data with a file, or JSON {"path": "..."}'
        ) from None
    if not isinstance(body, dict):
        raise ShopperlensError('JSON body must be an object: {"path": "..."}')
    given = body.get("paths") or ([body["path"]] if body.get("path") else [])
    if not isinstance(given, list) or not given:
        raise ShopperlensError('JSON body needs "path" (or "paths": [...])')
    with _in_http_words():
        return await run_in_threadpool(
            svc.import_files,
            store=shop.store,
            kind=kind,
            paths=[str(p) for p in given],
            fmt=format,
            mapping=mapping,
            on_error=on_error,  # type: ignore[arg-type]
        )


@contextmanager
def _in_http_words() -> Iterator[None]:
    """Rejected rows: the message names the query parameter that imports the good rows."""
    try:
        yield
    except svc.ImportRejected as exc:
        raise exc.worded("?on_error=skip") from None
