"""Typed dependencies shared by every route: settings, the store, token auth."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shopperlens.api import Shop
from shopperlens.config import Settings

_bearer = HTTPBearer(auto_error=False)


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
    pages open in a browser.
    """
    expected = request.app.state.settings.token
    given = (
        creds.credentials
        if creds
        else request.query_params.get("token") or request.cookies.get("shopperlens_token")
    )
    if not expected:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "set SHOPPERLENS_TOKEN to use the API"
        )
    if not given or not secrets.compare_digest(given, expected):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or wrong token",
            headers={"WWW-Authenticate": "Bearer"},
        )


SettingsDep = Annotated[Settings, Depends(get_settings)]
ShopDep = Annotated[Shop, Depends(get_shop)]
Authorized = [Depends(require_token)]
