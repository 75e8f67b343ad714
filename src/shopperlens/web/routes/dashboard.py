"""The dashboard: every report page served live, with its JSON alternate and its own files.

``/dashboard/{slug}.html`` and ``/dashboard/{slug}.json`` render the same object that
``page.build(store)`` returns (one object, two renderings). A page's own files (the personas
page's ``persona-<name>.html`` cards, ``personas.md`` and ``personas-run.json``) are served
under the names the static report writes them with, so the page's links work in both. Open
``/dashboard/index.html?token=…`` once in a browser: the token is kept in a cookie so the
relative links between pages work, and the browser is sent on to the same page without the
token in its address (so it stays out of the address bar and the history). The cookie is
``SameSite=Lax``: a login link followed from another site (mail, chat) is sent on with it, where
``Strict`` withheld it and showed the login page; what the cookie alone authorizes beyond
reading is refused unless it comes from a page of this server (``deps.require_token``).
``logout`` (in the menu) asks, and its button (a POST) forgets the cookie; both need no token,
so a browser holding a stale one can forget it too, but a logout sent by another site's page is
refused. Every dashboard answer is ``Cache-Control: no-store``: after logging out, Back shows
no page the browser kept.

A person's browser asking for a page is answered in HTML when something is wrong too: a
missing or wrong token (401, saying how to log in), an unknown page (404, also for an address
no route has, such as ``/dashboard/a/b.html``) or a method the address has not (405), where the
API's ``{"detail": …}`` JSON would be all they saw (``HEAD`` is answered as ``GET`` is). Other
clients (``Accept`` not preferring HTML, and every ``.json`` twin) keep the JSON error.

The menu lists the pages the shop's data can fill, as the written report's does; a page
without data (opened from an old link) is an HTML page of the dashboard saying what to import,
with status 404, and its JSON twin a 404 saying the same.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from html import escape
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from shopperlens.api import Shop
from shopperlens.errors import NotFoundError, ShopperlensError
from shopperlens.reports import site
from shopperlens.web.deps import (
    COOKIE,
    CROSS_SITE,
    ShopDep,
    remember_token,
    same_origin,
    without_token,
)

TITLE = "shopperlens dashboard"
#: what a page answers to: HEAD too, which FastAPI's routes do not add by themselves
READ = ["GET", "HEAD"]
#: the menu's own link after the pages (``href``: no page of the report, so no ``.html``)
LOGOUT = {"slug": "logout", "title": "log out", "href": "logout"}
LOGIN_HINT = (
    "Open the dashboard once with its token added to the address, "
    "<code>/dashboard/index.html?token=…</code> (the token <code>shopperlens serve</code> was "
    "given as <code>SHOPPERLENS_TOKEN</code>); the browser then keeps it in a cookie."
)


class _PageRoute(APIRoute):
    """A dashboard route whose errors a person's browser gets as a page saying what happened.

    The token check runs as the router's dependency, before the route's own code, so only the
    route's handler sees its 401 as well as the route's 404s: this is where they are caught."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except HTTPException as exc:
                if not wants_html(request):
                    raise
                return error_page(exc.status_code, str(exc.detail), exc.headers)
            except ShopperlensError as exc:
                if not wants_html(request):
                    raise
                return error_page(404 if isinstance(exc, NotFoundError) else 400, str(exc))

        return handle


router = APIRouter(
    prefix="/dashboard", tags=["dashboard"], include_in_schema=False, route_class=_PageRoute
)
#: the routes served without the token (``web.app`` includes it before the private routers)
logout_router = APIRouter(
    prefix="/dashboard", tags=["dashboard"], include_in_schema=False, route_class=_PageRoute
)


@router.api_route("", methods=READ)
@router.api_route("/", methods=READ)
def home(request: Request) -> Response:
    return remember_token(request, RedirectResponse("/dashboard/index.html"))


@logout_router.api_route("/logout", methods=READ)
def confirm_logout() -> Response:
    """The menu's *log out*: a button that logs out. A link alone must not (a link checker,
    a browser's prefetch, or anything else following every link would log the browser out)."""
    body = (
        "<p>Log this browser out of the dashboard?</p>"
        '<form method="post" action="logout"><button type="submit">log out</button></form>'
    )
    return HTMLResponse(_small_page("Log out", body))


@logout_router.post("/logout")
def logout(request: Request) -> Response:
    """Forget the token's cookie, whatever it holds: the next page asks for the token again.

    No token is needed to forget one (a stale cookie got a 401 here and stayed), but a page of
    another site, or of another port of this host, that posts here is refused (403): it would
    log the browser out. A request saying nothing of its origin is no browser's."""
    if same_origin(request) is False:
        raise HTTPException(403, CROSS_SITE)
    body = "<p>The dashboard no longer knows this browser.</p><p>" + LOGIN_HINT + "</p>"
    response = HTMLResponse(_small_page("Logged out", body))
    response.delete_cookie(COOKIE, httponly=True, samesite="lax")
    return response


@router.api_route("/{name}", methods=READ)
def page(name: str, request: Request, shop: ShopDep) -> Response:
    slug, _, ext = name.rpartition(".")
    if ext == "html" and "token" in request.query_params:
        return remember_token(request, RedirectResponse(without_token(request), status_code=303))
    found = site.find(slug) if ext in ("html", "json") else None
    if found is None:
        return _extra_file(name, shop)
    ctx = found.build(shop.store, shop.settings) if found.available(shop.store) else None
    if ext == "json":
        if ctx is None:
            raise HTTPException(404, _no_data(found))
        return Response(site.to_json(ctx), media_type="application/json")
    nav = [*site.available_nav(shop.store), LOGOUT]
    if ctx is None:  # a page of its own, in the dashboard's frame, saying what to import
        return HTMLResponse(site.render_missing(found, nav, title=TITLE), status_code=404)
    return HTMLResponse(site.render(found, ctx, nav, title=TITLE))


def _no_data(page: site.Page) -> str:
    """The JSON twin's 404: which data the page needs (its commands without backticks)."""
    needs = page.needs.replace("`", "")
    return f"no data for {page.title} yet" + (f": it needs {needs}" if needs else "")


def _extra_file(name: str, shop: Shop) -> Response:
    """One of a page's own files (a persona card …), rendered now; 404 when no page has it."""
    for owner in site.pages():
        if owner.extra_pages is None:
            continue
        ctx = owner.build(shop.store, shop.settings)
        files = site.extra_pages(owner, ctx) if ctx is not None else {}
        if name in files:
            return Response(files[name](), media_type=site.media_type(name))
    raise HTTPException(404, f"no dashboard page {name}")


def wants_html(request: Request) -> bool:
    """Whether a person's browser asked for a page: ``Accept`` rates ``text/html`` itself
    above JSON (a browser sends ``text/html,…,*/*;q=0.8``; curl and scripts ``*/*``), and the
    address is not a page's ``.json`` twin, whose errors stay JSON for the scripts reading it."""
    if request.url.path.endswith(".json"):
        return False
    html = json = 0.0
    for item in request.headers.get("accept", "").split(","):
        kind, *params = (part.strip() for part in item.split(";"))
        q = next((_number(p[2:]) for p in params if p.startswith("q=")), 1.0)
        if kind.lower() == "text/html":
            html = max(html, q)
        elif kind.lower() in ("application/json", "application/*", "*/*"):
            json = max(json, q)
    return html > json


def _number(text: str) -> float:
    """An ``Accept`` weight; a malformed one counts as 0 (never a 500)."""
    try:
        return float(text)
    except ValueError:
        return 0.0


def browser_error(request: Request, exc: StarletteHTTPException) -> Response | None:
    """The error page for an error raised before any dashboard route runs (an address under
    ``/dashboard/`` no route has, a 405), when a person's browser asked; None otherwise."""
    path = request.url.path
    if (path == "/dashboard" or path.startswith("/dashboard/")) and wants_html(request):
        return error_page(exc.status_code, str(exc.detail), exc.headers)
    return None


def error_page(status: int, detail: str, headers: dict[str, str] | None = None) -> HTMLResponse:
    """The small HTML page a browser shows for a dashboard error, with the error's status."""
    if status == 401:
        title, body = "Log in to the dashboard", f"<p>{escape(detail)}.</p><p>{LOGIN_HINT}</p>"
    elif status == 404:
        title = "No such page"
        body = (
            f'<p>{escape(detail)}.</p><p>The <a href="index.html">overview</a> lists the pages.</p>'
        )
    else:
        title, body = "The dashboard cannot show this page", f"<p>{escape(detail)}</p>"
    return HTMLResponse(_small_page(title, body), status_code=status, headers=headers)


def _small_page(title: str, body: str) -> str:
    """A page of its own, for when the report's frame (its menu needs the store) is no help."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · {TITLE}</title><style>body{{font:15px/1.5 system-ui,"
        "sans-serif;color:#1d2330;max-width:40rem;margin:2rem auto;padding:0 1rem}</style>"
        f"</head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )
