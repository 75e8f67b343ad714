"""``create_app(settings)``: the FastAPI application.

Routers live in ``web/routes/``; each is included with token auth unless it is one of the
public survey routers, and so is the API's documentation (``web.docs``). Errors a user can act
on (``ShopperlensError``) become 400 responses. The access log names no token or e-mail
(``web.logs``).
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from shopperlens.api import Shop
from shopperlens.config import Settings
from shopperlens.errors import NotFoundError, ShopperlensError
from shopperlens.store import connect
from shopperlens.web.deps import Authorized
from shopperlens.web.docs import add_docs
from shopperlens.web.logs import redact_access_log
from shopperlens.web.routes import PRIVATE_ROUTERS, PUBLIC_ROUTERS


def create_app(settings: Settings | None = None, *, shop: Shop | None = None) -> FastAPI:
    """Build the app for ``settings`` (or an already open ``shop``, as tests do)."""
    settings = settings or Settings()
    own_shop = shop is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        yield
        if own_shop:
            app.state.shop.close()

    redact_access_log()
    app = FastAPI(
        title="shopperlens",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served behind the token by web.docs
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.shop = shop or Shop(connect(settings.db), settings)

    @app.exception_handler(ShopperlensError)
    async def _user_error(request: Request, exc: ShopperlensError) -> JSONResponse:
        status = 404 if isinstance(exc, NotFoundError) else 400
        return JSONResponse({"detail": str(exc)}, status_code=status)

    # public survey routes first: they take the traffic, and routes are matched in order
    for router in PUBLIC_ROUTERS:
        app.include_router(router)
    for router in PRIVATE_ROUTERS:
        app.include_router(router, dependencies=Authorized)
    add_docs(app)
    return app
