"""The dashboard on a phone and in a person's browser, the import body and finished jobs.

A 390-px-wide phone scrolled report pages sideways (charts 648 pt wide, tables unboxed); a
bookmarked page opened without the cookie showed raw JSON and a ``?token=`` login left the token
in the address bar with no way to log out; the import route's JSON body ignored keys it did not
know; a finished CLV or personas job said ``0`` done of no total.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import shopperlens
from conftest import TOKEN, finished_job
from shopperlens.config import Settings
from shopperlens.service import demo as demo_svc
from shopperlens.service.jobs import JobRunner
from shopperlens.web.app import create_app
from shopperlens.web.server import serve_in_thread

#: what a browser sends when a person opens a page
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
#: the pages that scrolled sideways on a phone
PHONE_PAGES = ("types", "value", "surveys", "personas", "playbook-new", "playbook-impulse")


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A small demo shop's dashboard on a real uvicorn server: its base URL."""
    shop = shopperlens.open(":memory:")
    demo_svc.run_demo(store=shop.store, out_dir=tmp_path_factory.mktemp("demo"), n_customers=150)
    with serve_in_thread(create_app(Settings(token=TOKEN), shop=shop)) as url:
        yield url
    shop.close()


@pytest.mark.browser
def test_no_report_page_scrolls_sideways_on_a_phone(demo_site: str, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{demo_site}/dashboard/index.html?token={TOKEN}")
    slugs = page.eval_on_selector_all(
        "nav a[href$='.html']", "links => links.map(a => a.getAttribute('href'))"
    )
    assert {f"{s}.html" for s in PHONE_PAGES} <= set(slugs), slugs
    wide = {}
    for href in slugs:
        page.goto(f"{demo_site}/dashboard/{href}")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            wide[href] = width
    assert not wide, f"pages wider than the phone: {wide}"
    page.close()


@pytest.mark.browser
def test_login_leaves_no_token_in_the_address_and_logout_forgets_it(
    demo_site: str, browser: Any
) -> None:
    context = browser.new_context()
    page = context.new_page()
    bookmarked = page.goto(f"{demo_site}/dashboard/types.html")
    assert bookmarked.status == 401
    assert "?token=" in page.inner_text("body") and '"detail"' not in page.content()
    page.goto(f"{demo_site}/dashboard/types.html?token={TOKEN}")
    assert page.url == f"{demo_site}/dashboard/types.html"
    assert page.locator("h1").first.inner_text() != "Log in to the dashboard"
    page.click("nav >> text=log out")
    page.click("button:has-text('log out')")
    assert "Logged out" in page.inner_text("h1")
    assert page.goto(f"{demo_site}/dashboard/types.html").status == 401
    context.close()


def test_a_person_gets_error_pages_and_scripts_keep_json(shop: shopperlens.Shop) -> None:
    html = {"Accept": BROWSER_ACCEPT}
    with TestClient(create_app(Settings(token=TOKEN), shop=shop)) as c:
        for url in ("/dashboard/types.html", "/dashboard/types.html?token=wrong"):
            res = c.get(url, headers=html)
            assert res.status_code == 401 and res.headers["content-type"].startswith("text/html")
            assert "?token=" in res.text and '{"detail"' not in res.text
        logged_in = html | {"Authorization": f"Bearer {TOKEN}"}
        unknown = c.get("/dashboard/nosuch.html", headers=logged_in)
        assert unknown.status_code == 404 and "<h1>No such page</h1>" in unknown.text
        assert c.get("/dashboard/types.html").json() == {"detail": "missing or wrong token"}
        assert c.get("/dashboard/types.json", headers=html).status_code == 401
        assert c.get("/api/tables", headers=html).json() == {"detail": "missing or wrong token"}


def test_token_login_redirects_without_the_token_and_logout_clears_the_cookie(
    shop: shopperlens.Shop,
) -> None:
    with TestClient(create_app(Settings(token=TOKEN), shop=shop), follow_redirects=False) as c:
        res = c.get(f"/dashboard/index.html?token={TOKEN}&x=1")
        assert res.status_code == 303 and res.headers["location"] == "/dashboard/index.html?x=1"
        assert c.get("/dashboard/index.html").status_code == 200  # the cookie it set
        assert 'href="logout"' in c.get("/dashboard/index.html").text
        assert c.get("/dashboard/logout").status_code == 200  # asks: following links is no logout
        assert c.get("/dashboard/index.html").status_code == 200
        assert c.post("/dashboard/logout").status_code == 200
        assert c.get("/dashboard/index.html").status_code == 401


def test_import_body_refuses_keys_it_does_not_know(client: TestClient, tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("customer_id,email\nc1,a@example.com\n")
    b.write_text("customer_id,email\nc2,b@example.com\n")
    option = client.post("/api/imports/customers", json={"path": str(a), "on_error": "skip"})
    assert option.status_code == 422 and "?on_error=" in option.text
    both = client.post("/api/imports/customers", json={"path": str(a), "paths": [str(b)]})
    assert both.status_code == 422 and "not both" in both.text
    assert client.get("/api/imports").json() == []  # nothing imported


def test_import_missing_column_names_the_query_map_option(
    client: TestClient, tmp_path: Path
) -> None:
    bad = tmp_path / "c.csv"
    bad.write_text("who,mail\n1,a@example.com\n")
    res = client.post("/api/imports/customers", json={"path": str(bad)})
    assert res.status_code == 400
    assert "?map=their_name=canonical_name" in res.json()["detail"]
    assert "--map" not in res.json()["detail"]


def test_a_job_that_reports_no_progress_ends_all_done() -> None:
    runner = JobRunner()
    job = runner.wait(runner.submit("quiet", lambda progress: {"ok": True}).job_id, timeout=10)
    assert (job.status, job.done, job.total, job.step) == ("done", 1, 1, "done")
    runner.shutdown()


def test_a_finished_clv_job_says_all_done(demo_site: str) -> None:
    import httpx

    auth = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=demo_site, headers=auth, timeout=30) as c:
        job = finished_job(c, c.post("/api/jobs/clv", json={}).json()["job_id"])
    assert job["status"] == "done", job
    assert job["total"] and job["done"] == job["total"] and job["step"]
