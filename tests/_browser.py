"""Headless Debian chromium through Playwright: one way for every browser test to get it.

``playwright install`` cannot download browsers here; Debian's ``chromium`` (``.ci/run``
installs it with apt-get) is launched by path. Where Playwright or chromium is missing the
test is skipped, saying what to install.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
MISSING = "needs Debian's chromium (apt-get install chromium)"


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched headless browser, closed when the block ends."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip(MISSING)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--headless", "--disable-gpu"]
        )
        try:
            yield browser
        finally:
            browser.close()


#: how long a page is left to run its scripts before the next one is opened (the pop-up asks
#: the server whether to show before it shows)
SETTLE_MS = 300


def visit(browser: Any, base: str, paths: list[str]) -> tuple[Any, list[str]]:
    """A fresh visitor (own storage) goes through ``paths``: the last page, and the pages on
    which the pop-up set out to show (it asks ``/eligible`` first)."""
    page = browser.new_context().new_page()
    asked: list[str] = []
    page.on("request", lambda r: "/eligible" in r.url and asked.append(page.url))
    for p in paths:
        page.goto(base + p)
        page.wait_for_timeout(SETTLE_MS)
    return page, asked
