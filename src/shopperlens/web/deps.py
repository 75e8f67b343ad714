"""Typed dependencies shared by every route: settings, the store, token auth."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated
from urllib.parse import unquote, urlsplit

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict

from shopperlens.api import Shop
from shopperlens.config import Settings

_bearer = HTTPBearer(auto_error=False)
#: the dashboard's cookie, holding the token percent-encoded (``routes.dashboard._remember``)
COOKIE = "shopperlens_token"
#: methods that change nothing, which a page of another site may make the browser send
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CROSS_SITE = "cross-site request refused"


class RequestBody(BaseModel):
    """A JSON request body that refuses keys it does not know (422, naming them).

    Ignored keys act silently: ``{"audience": {"type": ["looker"]}}`` (the CLI's ``--type``)
    selected every customer, and ``"dryrun": true`` really sent the e-mails."""

    model_config = ConfigDict(extra="forbid")


def upload_name(filename: str | None, default: str) -> str:
    """An uploaded file's base name, safe as a file name in a folder of our own: the last part
    of what the client sent, or ``default`` when that is empty, ``.`` or ``..`` (which gave a
    500 where a file was written under it)."""
    name = Path(filename or "").name
    return default if name in ("", ".", "..") else name


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_shop(request: Request) -> Shop:
    return request.app.state.shop


def require_token(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Every endpoint except the public survey ones needs ``Authorization: Bearer <token>``.

    With no token configured the API refuses everything: an open API would expose customer data.
    A ``?token=`` query parameter (or the dashboard's cookie) is accepted too so dashboard
    pages open in a browser. A browser sends the cookie whoever made it send the request, so a
    request the cookie alone authorizes must come from a page of this server unless it only
    reads (GET, HEAD, OPTIONS): a page elsewhere, even on another port of the same host (which
    ``SameSite`` treats as the same site), could otherwise import files or start jobs.
    """
    expected = request.app.state.settings.token
    if not expected:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "set SHOPPERLENS_TOKEN to use the API"
        )
    given = _given_token(request, creds)
    if not given or not secrets.compare_digest(given, expected.encode("utf-8")):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or wrong token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    by_cookie = not creds and not request.query_params.get("token")  # as _given_token reads
    if by_cookie and request.method not in SAFE_METHODS and same_origin(request) is not True:
        raise HTTPException(status.HTTP_403_FORBIDDEN, CROSS_SITE)


def same_origin(request: Request) -> bool | None:
    """Whether the browser says the request comes from a page of this server (scheme, host and
    port of the request itself): ``Sec-Fetch-Site: same-origin``, else ``Origin``, else the
    origin of ``Referer``. ``None`` when the request says nothing of where it comes from (not
    a browser's POST: browsers send ``Origin`` with every one; ``null`` counts as foreign)."""
    if request.headers.get("sec-fetch-site") == "same-origin":
        return True
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return None
    return _origin_of(source) == _origin_of(str(request.url))


def _origin_of(url: str) -> tuple[str, str, int | None] | None:
    """``(scheme, host, port)`` of ``url``, the default port written out; None if unreadable."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    return parts.scheme.lower(), parts.hostname.lower(), port


def _given_token(request: Request, creds: HTTPAuthorizationCredentials | None) -> bytes | None:
    """The token the request sent, as the UTF-8 bytes the configured token is compared with.

    ``secrets.compare_digest`` refuses ``str`` holding anything but ASCII (a ``TypeError``,
    so a stray ``é`` in a query, a cookie or ``SHOPPERLENS_TOKEN`` itself was a 500), hence
    bytes. A header reaches us decoded as Latin-1, so encoding it back gives the bytes the
    client sent; a query parameter arrives as the text itself, the dashboard's cookie
    percent-encoded (see ``routes.dashboard._keep_token``).
    """
    if creds:
        return creds.credentials.encode("latin-1", errors="replace")
    text = request.query_params.get("token")
    if not text and request.cookies.get(COOKIE):
        text = unquote(request.cookies[COOKIE])
    return text.encode("utf-8") if text else None


SettingsDep = Annotated[Settings, Depends(get_settings)]
ShopDep = Annotated[Shop, Depends(get_shop)]
Authorized = [Depends(require_token)]
