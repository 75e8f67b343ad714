"""The API's own documentation (OpenAPI schema, Swagger UI, ReDoc), behind the token.

FastAPI serves these pages to anyone by default; the schema lists every route and parameter
of an API that holds customer data, so here they need the token like every private route.
A browser that opened the dashboard has the token in a cookie; ``/docs?token=…`` works too
(the page then fetches the schema with the same token).
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from shopperlens.web.deps import Authorized


def add_docs(app: FastAPI) -> None:
    """Serve ``/openapi.json``, ``/docs`` and ``/redoc`` to token holders only (create the app
    with ``docs_url``, ``redoc_url`` and ``openapi_url`` set to None)."""
    router = APIRouter(dependencies=Authorized, include_in_schema=False)

    def schema_url(request: Request) -> str:
        token = request.query_params.get("token")
        return "/openapi.json" + (f"?token={quote(token, safe='')}" if token else "")

    @router.get("/openapi.json")
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @router.get("/docs")
    def docs(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=schema_url(request), title=f"{app.title} API")

    @router.get("/redoc")
    def redoc(request: Request) -> HTMLResponse:
        return get_redoc_html(openapi_url=schema_url(request), title=f"{app.title} API")

    app.include_router(router)
