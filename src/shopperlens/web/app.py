"""``create_app(settings)``: the FastAPI application.

Routers live in ``web/routes/``; each is included with token auth unless it is one of the
public survey routers, and so is the API's documentation (``web.docs``). Errors a user can act
on (``ShopperlensError``) become 400 responses. The access log names no token or e-mail
(``web.logs``), and an address sending wrong tokens is slowed (``deps.Guesses``). The
dashboard's log-out routes need no token (``routes.dashboard``); every answer under
``/dashboard`` is ``Cache-Control: no-store`` (after logging out, the browser's Back showed the
pages it had kept), and a browser asking there for an address no route has gets the
dashboard's HTML error page.
"""

from __future__ import annotations

import json
import logging
from contextlib import asynccontextmanager
from typing import Any

import duckdb
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shopperlens import __version__
from shopperlens.api import Shop
from shopperlens.config import Settings
from shopperlens.errors import NotFoundError, ShopperlensError
from shopperlens.store import connect
from shopperlens.web.deps import Authorized, CheckedQuery, Guesses
from shopperlens.web.docs import add_docs
from shopperlens.web.logs import redact_access_log
from shopperlens.web.routes import PRIVATE_ROUTERS, PUBLIC_ROUTERS, dashboard


class NoStoreDashboard:
    """ASGI middleware: ``Cache-Control: no-store`` on every answer under ``/dashboard``, errors
    and redirects included, so no page of customer data stays in the browser's cache."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path != "/dashboard" and not path.startswith("/dashboard/"):
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"
                ]
                message = {**message, "headers": [*headers, (b"cache-control", b"no-store")]}
            await send(message)

        await self.app(scope, receive, send_no_store)


#: what a request holding text UTF-8 cannot encode is told
NOT_UNICODE = (
    "the request holds text that is not valid Unicode (a lone surrogate such as \\ud800): "
    "send UTF-8 text"
)


class AsciiJSONResponse(JSONResponse):
    """JSON with every character beyond ASCII escaped (``\\u00e9``), which any JSON reader
    decodes as before. An error quotes the request's own text (a validation error its input, a
    message the value it refuses), and JSON may carry a lone surrogate (``"\\ud800"``) that
    UTF-8 cannot encode: the answer itself failed, a 500 with a traceback in the log."""

    def render(self, content: Any) -> bytes:
        return json.dumps(
            content, ensure_ascii=True, allow_nan=False, indent=None, separators=(",", ":")
        ).encode("ascii")


#: the server's own lines (a job the shutdown stopped)
log = logging.getLogger("shopperlens.server")


def _stop_jobs(app: FastAPI) -> None:
    """At shutdown, before the store closes: stop the background jobs (see
    :meth:`JobRunner.stop`) and say in the log, one line each, which were stopped."""
    runner = getattr(app.state, "jobs", None)
    if runner is None:
        return
    app.state.jobs = None  # an app started again (tests re-enter it) takes jobs with a new one
    store = app.state.shop.store
    try:
        stopped = runner.stop(store.interrupt)
    finally:
        store.resume()  # (an app given its shop goes on using the store)
    for job in stopped:
        said = job.message or f"still {job.status} when the server stopped waiting for it"
        log.warning("job %s (%s): %s", job.job_id, job.name, said)


#: what ``shopperlens serve`` says when no token is configured: the API then refuses every
#: request but the public survey ones (an open API would expose customer data), and the
#: server started without a word of it
NO_TOKEN_WARNING = (
    "SHOPPERLENS_TOKEN is not set: every endpoint but the public survey ones will refuse (503) "
    "(start it as SHOPPERLENS_TOKEN=<secret> shopperlens serve)"
)


#: the shortest API token ``shopperlens serve`` starts without a warning, in characters
MIN_TOKEN = 16
#: what it says of a shorter one (``a`` served on every interface without a word): a token
#: a guesser tries 10 times a minute (``deps.Guesses``) must be long and random to hold
WEAK_TOKEN_WARNING = (
    f"the API token is shorter than {MIN_TOKEN} characters, which a guesser may find; make a "
    'long random one with: python -c "import secrets; print(secrets.token_urlsafe(32))"'
)


def serve_warnings(settings: Settings) -> list[str]:
    """What a server started with ``settings`` should say before it listens: a missing or
    weak token, and a types config it cannot read (missing, not UTF-8, not valid YAML), which
    every types and playbook request would otherwise be the first to find."""
    said = []
    if not settings.token:
        said.append(NO_TOKEN_WARNING)
    elif len(settings.token) < MIN_TOKEN:
        said.append(WEAK_TOKEN_WARNING)
    if settings.types_config is not None:
        from shopperlens.types.config import load_config

        try:
            load_config(settings.types_config)
        except ShopperlensError as exc:
            said.append(f"{exc}: the types and playbook requests are refused until it is fixed")
    return said


def create_app(settings: Settings | None = None, *, shop: Shop | None = None) -> FastAPI:
    """Build the app for ``settings`` (or an already open ``shop``, as tests do)."""
    settings = settings or Settings()
    own_shop = shop is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        yield
        _stop_jobs(app)
        if own_shop:
            try:
                app.state.shop.close()
            except duckdb.Error as exc:  # a job past the wait still holds its connection
                log.warning("the store closed while a job still used it: %s", exc)

    redact_access_log()
    app = FastAPI(
        title="shopperlens",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # served behind the token by web.docs
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.shop = shop or Shop(connect(settings.db), settings)
    app.state.guesses = Guesses()  # wrong tokens per client address (deps.require_token)

    @app.exception_handler(ShopperlensError)
    async def _user_error(request: Request, exc: ShopperlensError) -> JSONResponse:
        status = 404 if isinstance(exc, NotFoundError) else 400
        return AsciiJSONResponse({"detail": str(exc)}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return AsciiJSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)

    @app.exception_handler(UnicodeEncodeError)
    async def _not_text(request: Request, exc: UnicodeEncodeError) -> JSONResponse:
        return AsciiJSONResponse({"detail": NOT_UNICODE}, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return dashboard.browser_error(request, exc) or await http_exception_handler(request, exc)

    # public survey routes first: they take the traffic, and routes are matched in order
    for router in PUBLIC_ROUTERS:
        app.include_router(router)
    app.include_router(dashboard.logout_router)  # before the dashboard's token-guarded routes
    for router in PRIVATE_ROUTERS:
        app.include_router(router, dependencies=[*Authorized, *CheckedQuery])
    add_docs(app)
    app.add_middleware(NoStoreDashboard)
    return app
