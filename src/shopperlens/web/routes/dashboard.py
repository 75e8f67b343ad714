"""The dashboard: every report page served live, with its JSON alternate and its own files.

``/dashboard/{slug}.html`` and ``/dashboard/{slug}.json`` render the same object that
``page.build(store)`` returns (one object, two renderings). A page's own files (the personas
page's ``persona-<name>.html`` cards, ``personas.md`` and ``personas-run.json``) are served
under the names the static report writes them with, so the page's links work in both. Open
``/dashboard/index.html?token=…`` once in a browser: the token is kept in a cookie so the
relative links between pages work.

The menu lists the pages the shop's data can fill, as the written report's does; a page
without data (opened from an old link) is an HTML page of the dashboard saying what to import,
with status 404, and its JSON twin a 404 saying the same.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shopperlens.api import Shop
from shopperlens.reports import site
from shopperlens.web.deps import ShopDep

router = APIRouter(prefix="/dashboard", tags=["dashboard"], include_in_schema=False)
TITLE = "shopperlens dashboard"


@router.get("")
@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/dashboard/index.html")


@router.get("/{name}")
def page(name: str, request: Request, shop: ShopDep) -> Response:
    slug, _, ext = name.rpartition(".")
    found = site.find(slug) if ext in ("html", "json") else None
    if found is None:
        return _keep_token(request, _extra_file(name, shop))
    ctx = found.build(shop.store, shop.settings) if found.available(shop.store) else None
    if ext == "json":
        if ctx is None:
            raise HTTPException(404, _no_data(found))
        return Response(site.to_json(ctx), media_type="application/json")
    nav = site.available_nav(shop.store)
    if ctx is None:  # a page of its own, in the dashboard's frame, saying what to import
        missing = site.render_missing(found, nav, title=TITLE)
        return _keep_token(request, HTMLResponse(missing, status_code=404))
    return _keep_token(request, HTMLResponse(site.render(found, ctx, nav, title=TITLE)))


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


def _keep_token(request: Request, response: Response) -> Response:
    """Keep a ``?token=`` in a cookie so the page's relative links carry it (percent-encoded:
    a cookie holds Latin-1 only, and a token with ``€`` in it was a 500)."""
    token = request.query_params.get("token")
    if token and response.media_type and response.media_type.startswith("text/html"):
        response.set_cookie(
            "shopperlens_token", quote(token, safe=""), httponly=True, samesite="strict"
        )
    return response
