"""The public opt-out page of survey e-mails (served without the API token, like the survey
pages: the person clicking has only their e-mail).

Every survey invitation, reminder and interview invitation links to ``/survey-opt-out?t=TOKEN``, a
token signed for that e-mail (``links.sign_opt_out``). Opening it (``GET``) changes nothing —
link scanners of mail services open every link — and shows a button; pressing it (``POST``)
records the refusal of survey e-mails (``survey_delivery.opt_out``). A mail program's one-click
"unsubscribe" (RFC 8058: ``POST`` with ``List-Unsubscribe=One-Click``) reaches the same
``POST`` without the page. The token is in the query, which the access log leaves out.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from shopperlens.service import survey_delivery as dlv
from shopperlens.surveys import links

PUBLIC = True
router = APIRouter(prefix="/survey-opt-out", tags=["survey (public)"])

_env = Environment(
    loader=PackageLoader("shopperlens.web", "templates"), autoescape=select_autoescape(["html"])
)
#: the page is personal (its address names one e-mail): not cached, indexed or referred on
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
    "Referrer-Policy": "no-referrer",
}


def _page(request: Request, status: int = 200, **ctx: object) -> HTMLResponse:
    shop = request.app.state.settings.shop_name
    html = _env.get_template("opt_out.html").render(shop=shop, **ctx)
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


@router.get("", response_class=HTMLResponse)
def opt_out_page(request: Request, t: str | None = None) -> HTMLResponse:
    """The button that opts out (nothing is recorded by opening the page)."""
    if links.verify_opt_out(t, request.app.state.settings.secret_key) is None:
        return _page(request, 400, invalid=True)
    return _page(request, token=t)


@router.post("", response_class=HTMLResponse)
def opt_out(request: Request, t: str | None = None) -> HTMLResponse:
    """Record the refusal of survey e-mails (the page's button, or a mail program's
    one-click unsubscribe, whose body says only ``List-Unsubscribe=One-Click``)."""
    done = dlv.opt_out(
        store=request.app.state.shop.store,
        secret_key=request.app.state.settings.secret_key,
        token=t,
    )
    return _page(request, 200 if done else 400, invalid=not done, done=done)
