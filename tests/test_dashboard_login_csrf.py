"""The dashboard's cookie login against other sites, and what the browser keeps after it.

A login link clicked on another site (mail, chat) ended on the login page: the ``Strict``
cookie was withheld from the redirect that takes the token out of the address. A page on
another port of the same host (``SameSite`` ignores ports) could post with the cookie: it
imported a file and logged the browser out. Back showed pages after logging out; a stale cookie
could not be logged out; addresses no route has, a 405 and ``HEAD`` answered a browser in JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

import shopperlens
from conftest import TOKEN
from shopperlens.config import Settings
from shopperlens.web.app import create_app
from shopperlens.web.deps import COOKIE
from shopperlens.web.server import serve_in_thread
from test_dashboard_browser_fixes import BROWSER_ACCEPT

#: the pages the other site serves, by name (set by each test before the browser opens them)
OTHER_PAGES: dict[str, str] = {}


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """An empty shop's dashboard on a real uvicorn server: its base URL (``127.0.0.1``)."""
    shop = shopperlens.open(":memory:")
    with serve_in_thread(create_app(Settings(token=TOKEN), shop=shop)) as url:
        yield url
    shop.close()


@pytest.fixture(scope="module")
def other_port() -> Iterator[int]:
    """Another web server on this host, serving ``OTHER_PAGES``: its port. Opened as
    ``localhost`` it is another site; as ``127.0.0.1`` the same site on another port."""
    app = FastAPI()

    @app.get("/{name}")
    def other_page(name: str) -> HTMLResponse:
        return HTMLResponse(OTHER_PAGES[name])

    with serve_in_thread(app) as url:
        yield int(url.rsplit(":", 1)[1])


def _ledger(site: str) -> list[Any]:
    """The import ledger, read with the token in the header."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    rows: list[Any] = httpx.get(f"{site}/api/imports", headers=auth, timeout=30).json()
    return rows


@pytest.mark.browser
def test_a_login_link_clicked_on_another_site_opens_the_dashboard(
    site: str,
    other_port: int,
    browser: Any,  # noqa: F811
) -> None:
    login = f"{site}/dashboard/index.html?token={TOKEN}"
    OTHER_PAGES["mail.html"] = f'<!doctype html><a id="login" href="{login}">the dashboard</a>'
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"http://localhost:{other_port}/mail.html")
    with page.expect_navigation(url=f"{site}/dashboard/index.html") as nav:
        page.click("#login")
    assert nav.value.status == 200, page.inner_text("body")
    assert page.url == f"{site}/dashboard/index.html"
    assert page.locator("h1").first.inner_text() != "Log in to the dashboard"
    context.close()


@pytest.mark.browser
def test_another_port_of_the_host_can_neither_import_nor_log_out(
    site: str,
    other_port: int,
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    csv = tmp_path / "customers.csv"
    csv.write_text("customer_id,email\nc1,a@example.com\n")
    before = len(_ledger(site))
    evil = f"http://127.0.0.1:{other_port}"
    OTHER_PAGES["form.html"] = (
        f'<!doctype html><form method="post" action="{site}/dashboard/logout">'
        '<button id="go">win a prize</button></form>'
    )
    context = browser.new_context()
    page = context.new_page()
    assert page.goto(f"{site}/dashboard/index.html?token={TOKEN}").status == 200
    OTHER_PAGES["blank.html"] = "<!doctype html><p>nothing to see</p>"
    page.goto(f"{evil}/blank.html")
    page.evaluate(
        """([url, path]) => fetch(url, {mode: 'no-cors', credentials: 'include',
            method: 'POST', headers: {'Content-Type': 'text/plain'},
            body: JSON.stringify({path})}).then(() => null)""",
        [f"{site}/api/imports/customers", str(csv)],
    )
    assert len(_ledger(site)) == before  # the forged import never ran
    page.goto(f"{evil}/form.html")
    with page.expect_navigation():
        page.click("#go")
    assert "cross-site request refused" in page.inner_text("body")
    assert page.goto(f"{site}/dashboard/index.html").status == 200  # still logged in
    # the file itself imports: it was the origin that was refused
    auth = {"Authorization": f"Bearer {TOKEN}"}
    res = httpx.post(
        f"{site}/api/imports/customers", json={"path": str(csv)}, headers=auth, timeout=30
    )
    assert res.status_code == 200 and len(_ledger(site)) == before + 1
    context.close()


def test_a_post_the_cookie_authorizes_needs_the_servers_own_origin(
    shop: shopperlens.Shop, tmp_path: Path
) -> None:
    files = iter(range(100))

    def body() -> dict[str, str]:
        """A new file to import each time (the same file twice is imported once)."""
        n = next(files)
        csv = tmp_path / f"customers-{n}.csv"
        csv.write_text(f"customer_id,email\nc{n},c{n}@example.com\n")
        return {"path": str(csv)}

    url = "/api/imports/customers"
    with TestClient(create_app(Settings(token=TOKEN), shop=shop)) as c:
        login = c.get(f"/dashboard/index.html?token={TOKEN}", follow_redirects=False)
        assert "samesite=lax" in login.headers["set-cookie"].lower()
        assert c.cookies.get(COOKIE) == TOKEN
        refused = [
            {"Origin": "http://127.0.0.1:9999"},
            {"Origin": "null"},
            {"Origin": "https://testserver"},  # another scheme
            {"Referer": "http://testserver:8080/dashboard/index.html"},
            {"Sec-Fetch-Site": "same-site"},
            {},  # nothing says where it comes from
        ]
        for headers in refused:
            res = c.post(url, json=body(), headers=headers)
            assert res.status_code == 403, headers
            assert res.json() == {"detail": "cross-site request refused"}
        empty_query = c.post(f"{url}?token=", json=body())  # an empty ?token= is none
        assert empty_query.status_code == 403
        assert c.get("/api/imports").json() == []
        accepted = [
            {"Origin": "http://testserver"},
            {"Referer": "http://testserver/dashboard/index.html"},
            {"Sec-Fetch-Site": "same-origin"},
        ]
        for headers in accepted:
            assert c.post(url, json=body(), headers=headers).status_code == 200, headers
        assert c.get("/api/imports", headers={"Origin": "http://evil.example"}).is_success
    with TestClient(create_app(Settings(token=TOKEN), shop=shop)) as script:
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        assert script.post(url, json=body(), headers=bearer).status_code == 200
        foreign = bearer | {"Origin": "http://evil.example"}
        assert script.post(url, json=body(), headers=foreign).status_code == 200
        assert len(script.get("/api/imports", headers=bearer).json()) == 5


def test_logout_forgets_a_stale_cookie_but_not_for_another_site(shop: shopperlens.Shop) -> None:
    html = {"Accept": BROWSER_ACCEPT}
    with TestClient(create_app(Settings(token=TOKEN), shop=shop)) as c:
        stale = html | {"Cookie": f"{COOKIE}=stale"}
        assert c.get("/dashboard/index.html", headers=stale).status_code == 401
        assert c.get("/dashboard/logout", headers=stale).status_code == 200
        res = c.post("/dashboard/logout", headers=stale | {"Origin": "http://testserver"})
        assert res.status_code == 200 and "Logged out" in res.text
        forget = res.headers["set-cookie"].lower()
        assert forget.startswith(f'{COOKIE}=""') and "max-age=0" in forget
        c.get(f"/dashboard/index.html?token={TOKEN}")
        evil = c.post("/dashboard/logout", headers=html | {"Origin": "http://127.0.0.1:9999"})
        assert evil.status_code == 403 and evil.headers["content-type"].startswith("text/html")
        assert "cross-site request refused" in evil.text
        assert c.get("/dashboard/index.html").status_code == 200  # still logged in


def test_no_dashboard_answer_is_kept_by_the_browser(shop: shopperlens.Shop) -> None:
    with TestClient(create_app(Settings(token=TOKEN), shop=shop), follow_redirects=False) as c:
        answers = [
            c.get("/dashboard/index.html"),  # 401
            c.get(f"/dashboard/index.html?token={TOKEN}"),  # 303, sets the cookie
            c.get("/dashboard/index.html"),
            c.get("/dashboard/index.json"),
            c.get("/dashboard/logout"),
            c.post("/dashboard/logout", headers={"Origin": "http://testserver"}),
        ]
        for res in answers:
            assert res.headers.get("cache-control") == "no-store", (res.url, res.status_code)


def test_a_browser_gets_error_pages_for_any_address_method_and_head(
    shop: shopperlens.Shop,
) -> None:
    html = {"Accept": BROWSER_ACCEPT}
    with TestClient(create_app(Settings(token=TOKEN), shop=shop)) as c:
        for method, url, status in [
            ("GET", "/dashboard/a/b.html", 404),
            ("PUT", "/dashboard/index.html", 405),
            ("HEAD", "/dashboard/index.html", 401),
            ("HEAD", "/dashboard/a/b.html", 404),
        ]:
            res = c.request(method, url, headers=html)
            assert res.status_code == status, (method, url, res.status_code)
            assert res.headers["content-type"].startswith("text/html"), (method, url)
        assert c.get("/dashboard/a/b.html").json() == {"detail": "Not Found"}  # scripts: JSON
        assert c.put("/dashboard/index.html").status_code == 405
        c.get(f"/dashboard/index.html?token={TOKEN}")
        head = c.head("/dashboard/index.html", headers=html)
        assert head.status_code == 200 and head.headers["content-type"].startswith("text/html")
