"""Every endpoint needs the token except the public survey ones."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from shopperlens.config import Settings
from shopperlens.web.app import create_app
from shopperlens.web.routes import PRIVATE_ROUTERS, PUBLIC_ROUTERS


def _public_paths() -> set[str]:
    return {r.path for router in PUBLIC_ROUTERS for r in router.routes if isinstance(r, APIRoute)}


def test_only_survey_routes_are_public():
    public = _public_paths()
    assert public, "the public survey endpoints exist"
    assert all(p.startswith(("/s/", "/api/public", "/public")) or "survey" in p for p in public), (
        public
    )


def test_every_private_endpoint_refuses_a_request_without_token(shop):
    app = create_app(Settings(token="s3cret"), shop=shop)
    routes = [r for router in PRIVATE_ROUTERS for r in router.routes if isinstance(r, APIRoute)]
    checked = 0
    with TestClient(app) as c:
        for route in routes:
            path = re.sub(r"\{[^}]+\}", "x", route.path)
            for method in route.methods - {"HEAD", "OPTIONS"}:
                res = c.request(method, path)
                assert res.status_code == 401, (method, route.path, res.status_code)
                checked += 1
    assert checked > 40  # the whole API, not a handful
