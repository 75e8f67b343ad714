"""The API's own documentation (OpenAPI schema, Swagger UI, ReDoc), behind the token.

FastAPI serves these pages to anyone by default; the schema lists every route and parameter
of an API that holds customer data, so here they need the token like every private route.
A browser that opened the dashboard has the token in a cookie; ``/docs?token=…`` (and
``/redoc?token=…``) keeps it in that cookie and sends the browser on to the page without it,
as the dashboard's login does: the token stays out of the address bar, the history and the
page, which fetches the schema with the cookie.

The pages run Swagger UI and ReDoc from a CDN, in this server's own origin, where the cookie
authorizes everything: FastAPI loads whatever ``swagger-ui-dist@5`` is newest, so a release
(or a CDN) serving other code would have run it with the token holder's rights. Here each
file is one exact version, and the browser runs it only if its bytes have the SHA-384 given
in ``integrity`` (Subresource Integrity), computed from the file of that version's npm
package, which the CDN serves as it is. ReDoc's web fonts (a stylesheet of Google's that
changes with the browser asking, so no hash can pin it) are left out.

To move to another version, change it and each file's hash together: ``npm pack
swagger-ui-dist@VERSION``, then ``openssl dgst -sha384 -binary FILE | openssl base64 -A`` for
each file of the package the page loads.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from shopperlens.web.deps import Authorized, remember_token, without_token

SWAGGER_UI = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.36.0"
REDOC = "https://cdn.jsdelivr.net/npm/redoc@2.5.4"
#: each file the pages load: its pinned address and the SHA-384 of its bytes (base64)
SWAGGER_JS = (
    f"{SWAGGER_UI}/swagger-ui-bundle.js",
    "sha384-fUpRgC19yPykTqzdrUbdAg8NTiu16NEKf9U12J+IJWCg8/1mEI8f2+PEIz60Wyd+",
)
SWAGGER_CSS = (
    f"{SWAGGER_UI}/swagger-ui.css",
    "sha384-z/AtSaOHGn5MJ5auAHXUypohywlIWLBZo1jeGmhdpVIbCnFhxAH92cwdV41oyINc",
)
REDOC_JS = (
    f"{REDOC}/bundles/redoc.standalone.js",
    "sha384-w447zOpYfw/1Tv/5AK9NfHTlQIqE3RVR6KY62jCyy9zNDgO64cMwGGP1Fj0zJVf5",
)
#: an image, which runs nothing (and takes no ``integrity``)
FAVICON = f"{SWAGGER_UI}/favicon-32x32.png"
SCHEMA = "/openapi.json"


def add_docs(app: FastAPI) -> None:
    """Serve ``/openapi.json``, ``/docs`` and ``/redoc`` to token holders only (create the app
    with ``docs_url``, ``redoc_url`` and ``openapi_url`` set to None)."""
    router = APIRouter(dependencies=Authorized, include_in_schema=False)
    title = f"{app.title} API"

    @router.get(SCHEMA)
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @router.get("/docs")
    def docs(request: Request) -> Response:
        return _without_token(request) or HTMLResponse(swagger_page(title))

    @router.get("/redoc")
    def redoc(request: Request) -> Response:
        return _without_token(request) or HTMLResponse(redoc_page(title))

    app.include_router(router)


def _without_token(request: Request) -> Response | None:
    """For a page asked for with ``?token=``: the cookie set and the browser sent on to the
    page without it (the token has passed ``Authorized`` already); None otherwise."""
    if "token" not in request.query_params:
        return None
    return remember_token(request, RedirectResponse(without_token(request), status_code=303))


def _head(title: str, *links: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        f'<link rel="icon" href="{FAVICON}">{"".join(links)}</head>'
    )


def _pinned(tag: str, file: tuple[str, str]) -> str:
    """A ``<script>`` or stylesheet ``<link>`` the browser runs only with the bytes pinned."""
    url, digest = file
    checked = f'integrity="{digest}" crossorigin="anonymous" referrerpolicy="no-referrer"'
    if tag == "script":
        return f'<script src="{url}" {checked}></script>'
    return f'<link rel="stylesheet" href="{url}" {checked}>'


def swagger_page(title: str) -> str:
    """Swagger UI over :data:`SCHEMA` (as FastAPI configures it), without the validator badge,
    for which Swagger UI sends the schema's address to ``validator.swagger.io``."""
    return (
        _head(title, _pinned("link", SWAGGER_CSS))
        + '<body><div id="swagger-ui"></div>'
        + _pinned("script", SWAGGER_JS)
        + "<script>SwaggerUIBundle({"
        f'url: "{SCHEMA}", dom_id: "#swagger-ui", layout: "BaseLayout", deepLinking: true, '
        "showExtensions: true, showCommonExtensions: true, validatorUrl: null, "
        "presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]"
        "})</script></body></html>"
    )


def redoc_page(title: str) -> str:
    """ReDoc over :data:`SCHEMA`, without its web fonts."""
    return (
        _head(title, "<style>body{margin:0;padding:0}</style>")
        + "<body><noscript>ReDoc needs JavaScript to show the documentation.</noscript>"
        + f'<redoc spec-url="{SCHEMA}"></redoc>'
        + _pinned("script", REDOC_JS)
        + "</body></html>"
    )
