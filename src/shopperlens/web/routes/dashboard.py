"""The dashboard: every report page served live, with its JSON alternate and its own files.

``/dashboard/{slug}.html`` and ``/dashboard/{slug}.json`` render the same object that
``page.build(store)`` returns (one object, two renderings). A page's own files (the personas
page's ``persona-<name>.html`` cards, ``personas.md`` and ``personas-run.json``) are served
under the names the static report writes them with, so the page's links work in both. Open
``/dashboard/index.html?token=…`` once in a browser: the token is kept in a cookie so the
relative links between pages work.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shopperlens.api import Shop
from shopperlens.reports import site
from shopperlens.web.deps import ShopDep

router = APIRouter(prefix="/dashboard", tags=["dashboard"], include_in_schema=False)


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
    ctx = found.build(shop.store, shop.settings)
    if ctx is None:
        raise HTTPException(404, f"no data for {found.title} yet")
    if ext == "json":
        return Response(site.to_json(ctx), media_type="application/json")
    nav = [{"slug": p.slug, "title": p.title} for p in site.pages()]
    html = HTMLResponse(site.render(found, ctx, nav, title="shopperlens dashboard"))
    return _keep_token(request, html)


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
    """Keep a ``?token=`` in a cookie so the page's relative links carry it."""
    token = request.query_params.get("token")
    if token and response.media_type and response.media_type.startswith("text/html"):
        response.set_cookie("shopperlens_token", token, httponly=True, samesite="strict")
    return response
