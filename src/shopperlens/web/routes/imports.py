"""``POST /api/imports/{kind}``: import an uploaded file, or a file on the server.

Send either ``multipart/form-data`` with one or more ``file`` parts, or JSON
``{"path": "/srv/exports/orders.csv"}`` (or ``"paths": [...]``). Options go in the query
string: ``format``, ``on_error`` (abort|skip), ``map`` (``their=canonical``, repeatable),
``update``, ``decimal_comma`` (the files write numbers as ``1.234,50``), ``dates``
(``day-first`` or ``month-first``), ``currency`` (orders: the code of the orders whose
lines name none) and ``negative_lines`` (orders: ``returns`` stores a line with a negative
quantity as a return).
A body key other than ``path`` or ``paths`` (an option put in the body, a typo), or both of
them, is a 422 naming it: a key ignored in silence imported with options the caller never
chose. Messages name the options as this face spells them (``?map=``, ``?on_error=skip``).
The ledger is ``GET /api/imports`` (served by the tables router).
"""

from __future__ import annotations

import errno
import logging
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import ValidationError, model_validator
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect

from shopperlens.errors import NotFoundError, ShopperlensError
from shopperlens.ingest.generic import parse_map_options
from shopperlens.service import imports as svc
from shopperlens.web.deps import RequestBody, ShopDep, upload_path
from shopperlens.web.times import ZonedRoute

router = APIRouter(prefix="/api/imports", tags=["imports"], route_class=ZonedRoute)
log = logging.getLogger("shopperlens.server")
#: the options of the query string, which a body giving them would have seen ignored
QUERY_OPTIONS = (
    "format",
    "on_error",
    "map",
    "update",
    "decimal_comma",
    "allow_empty",
    "dates",
    "currency",
    "negative_lines",
)


class PathsBody(RequestBody):
    """The JSON body: files on the server, one (``path``) or several (``paths``), not both
    (``{"path": A, "paths": [B]}`` imported B alone)."""

    path: str | None = None
    paths: list[str] | None = None

    @model_validator(mode="after")
    def _one_of_them(self) -> PathsBody:
        if self.path is not None and self.paths is not None:
            raise ValueError('give "path" (one file) or "paths" (a list), not both')
        return self


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
    update: Annotated[
        bool,
        Query(
            description="customers, products: a later export changes the stored rows it "
            "gives other content (else they are rejects)."
        ),
    ] = False,
    decimal_comma: Annotated[
        bool,
        Query(
            description="The files write numbers the European way: 1.234,50 is 1234.5 (a dot "
            "groups thousands, the comma is the decimal mark)."
        ),
    ] = False,
    allow_empty: Annotated[
        bool,
        Query(
            description="A file with a header and no rows (a day without orders), or with no "
            "content at all (a day's JSON Lines export without a record), imports nothing and "
            "is no error."
        ),
    ] = False,
    dates: Annotated[
        str,
        Query(
            description="year-first (the default); day-first: 01-12-10 8:26 is 2010-12-01; "
            "month-first: 12/06/2010 10:08 is 2010-12-06. Year-first values still read."
        ),
    ] = "year-first",
    currency: Annotated[
        str | None,
        Query(
            description="orders: the currency of the orders whose lines name none, such as "
            "GBP; a line naming one keeps it, and so do its order's blank lines."
        ),
    ] = None,
    negative_lines: Annotated[
        str,
        Query(
            description="orders: reject (the default): a line with a negative quantity is a "
            "reject; returns: it is a return (a credit note's or cancellation's line), stored "
            "in the same import."
        ),
    ] = "reject",
) -> svc.ImportResult:
    """Import an upload (multipart ``file`` parts) or server-side ``{"path": …}``."""
    with in_http_words():
        mapping = parse_map_options(map) or None
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        with _upload_troubles():
            form = await request.form()
        uploads = [f for f in form.getlist("file") if isinstance(f, UploadFile)]
        if not uploads:
            raise ShopperlensError("send the file(s) as multipart parts named 'file'")
        with tempfile.TemporaryDirectory(prefix="shopperlens-upload-") as tmp:
            paths, names = [], []
            for i, up in enumerate(uploads):
                # a folder per upload keeps its own name, which messages about it then use
                with _upload_troubles():
                    target = upload_path(Path(tmp) / str(i), up.filename, f"upload-{i}.csv")
                    with target.open("wb") as fh:
                        shutil.copyfileobj(up.file, fh, 1 << 20)
                paths.append(target)
                names.append(target.name)
            with in_http_words():
                return await run_in_threadpool(
                    svc.import_files,
                    store=shop.store,
                    kind=kind,
                    paths=paths,
                    fmt=format,
                    mapping=mapping,
                    on_error=on_error,  # type: ignore[arg-type]
                    names=names,
                    update=update,
                    decimal_comma=decimal_comma,
                    allow_empty=allow_empty,
                    dates=dates,
                    currency=currency,
                    negative_lines=negative_lines,
                )
    try:
        body = await request.json()
    except (ValueError, RecursionError):  # (not JSON, or arrays nested 3,000 deep)
        raise ShopperlensError(
            'send multipart/form-data with a file, or JSON {"path": "..."}'
        ) from None
    given = _paths(body)
    with in_http_words():
        return await run_in_threadpool(
            svc.import_files,
            store=shop.store,
            kind=kind,
            paths=given,
            fmt=format,
            mapping=mapping,
            on_error=on_error,  # type: ignore[arg-type]
            update=update,
            decimal_comma=decimal_comma,
            allow_empty=allow_empty,
            dates=dates,
            currency=currency,
            negative_lines=negative_lines,
        )


#: what an upload the server had no room for is told (507 Insufficient Storage)
NO_ROOM = (
    "the server's temporary folder has no room for the upload (it needs about twice the "
    "file's size while the import runs): nothing was imported"
)
#: a full disk, a full quota, a file-size limit on the server process
_NO_ROOM_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
#: the status a request the client cut off gets (nobody reads it: 499 is nginx's own)
CUT_OFF = 400


@contextmanager
def _upload_troubles() -> Iterator[None]:
    """An upload the client cut off, or the server had no room for: one log line or one
    clear answer, never a traceback in the server's log (and nothing imported either way)."""
    try:
        yield
    except ClientDisconnect:
        log.info("an upload was cut off by the client: nothing imported")
        raise HTTPException(CUT_OFF, "the upload was cut off: nothing was imported") from None
    except OSError as exc:
        if exc.errno not in _NO_ROOM_ERRORS:
            raise
        log.warning("an upload found no room in the temporary folder: nothing imported")
        raise HTTPException(507, NO_ROOM) from None


def _paths(body: object) -> list[str]:
    """The files a JSON body names; 422 for a key it does not know or both keys, 400 for none."""
    if not isinstance(body, dict):
        raise ShopperlensError('JSON body must be an object: {"path": "..."}')
    try:
        given = PathsBody.model_validate(body)
    except ValidationError as exc:
        raise HTTPException(422, [_problem(err) for err in exc.errors()]) from None
    paths = given.paths or ([given.path] if given.path else [])
    if not paths:
        raise ShopperlensError('JSON body needs "path" (or "paths": [...])')
    return paths


def _problem(err: Any) -> dict[str, Any]:
    """One validation error as a 422 names it, an option put in the body pointed to the query."""
    key = str(err["loc"][0]) if err["loc"] else ""
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = f'unknown key {key!r}: the body takes "path" or "paths"'
        if key in QUERY_OPTIONS:
            msg = f"{key!r} is an option of the query string (?{key}=…), not of the body"
    return {"loc": ["body", *err["loc"]], "msg": msg, "type": err["type"]}


#: the options an import's messages name, in the query string's words (``pair``: a column
#: to rename, ``{}`` its canonical name)
QUERY_WORDS = {
    "skip": "?on_error=skip",
    "update": "?update=true",
    "allow_empty": "?allow_empty=true",
    "map": "?map=",
    "pair": "?map=their_name={}",
}
#: the same in a job's JSON body (``POST /api/jobs/import``)
JOB_WORDS = {
    "skip": '"on_error": "skip"',
    "update": '"update": true',
    "allow_empty": '"allow_empty": true',
    "map": '"mapping"',
    "pair": '"mapping": {{"their_name": "{}"}}',
}


def _http_map(text: str, words: dict[str, str] = QUERY_WORDS) -> str:
    """A message naming the CLI's ``--map`` and ``--allow-empty`` in ``words`` (the query's
    ``?map=`` and ``?allow_empty=true`` by default; its other words are the same in every
    face)."""
    text = re.sub(r"--map their_name=(\w+)", lambda m: words["pair"].format(m.group(1)), text)
    text = text.replace(svc.ALLOW_EMPTY, words["allow_empty"])
    return re.sub(r"--map(?= )", words["map"], text)


@contextmanager
def in_http_words(words: dict[str, str] = QUERY_WORDS) -> Iterator[None]:
    """Errors in this face's words: rejected rows name the option that imports the good
    rows, and a column to rename names ``?map=`` (the CLI's ``--map``); ``words``: the
    query string's (:data:`QUERY_WORDS`) or a job body's (:data:`JOB_WORDS`)."""
    try:
        yield
    except svc.ImportRejected as exc:
        raise exc.worded(
            words["skip"], words["update"], refused=[_http_map(m, words) for m in exc.refused]
        ) from None
    except ShopperlensError as exc:
        text = _http_map(str(exc), words)
        if text == str(exc):
            raise
        raise (NotFoundError if isinstance(exc, NotFoundError) else ShopperlensError)(
            text
        ) from None
