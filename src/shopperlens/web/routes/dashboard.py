"""The dashboard: every report page served live, with its JSON alternate.

``/dashboard/{slug}.html`` and ``/dashboard/{slug}.json`` render the same object that
``page.build(store)`` returns (one object, two renderings). Open
``/dashboard/index.html?token=…`` once in a browser: the token is kept in a cookie so the
relative links between pages work.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

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
        raise HTTPException(404, f"no dashboard page {name}")
    ctx = found.build(shop.store, shop.settings)
    if ctx is None:
        raise HTTPException(404, f"no data for {found.title} yet")
    if ext == "json":
        return Response(site.to_json(ctx), media_type="application/json")
    nav = [{"slug": p.slug, "title": p.title} for p in site.pages()]
    html = HTMLResponse(site.render(found, ctx, nav, title="shopperlens dashboard"))
    token = request.query_params.get("token")
    if token:
        html.set_cookie("shopperlens_token", token, httponly=True, samesite="strict")
    return html
