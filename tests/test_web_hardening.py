"""The HTTP face against hostile input: the access log, upload names, token guessing, the
API documentation's pages; and the CLI's tables against control codes in the shop's data."""

from __future__ import annotations

import gzip
import hashlib
import io
import logging
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from rich.console import Console

import shopperlens
from shopperlens.cli import _render
from shopperlens.config import Settings
from shopperlens.service import surveys
from shopperlens.web.app import create_app, serve_warnings
from shopperlens.web.deps import upload_name
from shopperlens.web.server import serve_in_thread

TOKEN = "Vq3xN7pL2mR8sT4wY6zA1bC5dE9fG0hJ"  # 32 characters
#: what a log line must never hold: C0 and C1 controls, DEL, bidi and line separators
FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2028\u2029]")


# -- 1. the access log -----------------------------------------------------------------------
@pytest.fixture
def access_log(shop: shopperlens.Shop) -> Iterator[tuple[str, list[str]]]:
    """A real uvicorn server with its access log on: (its URL, the lines it logged)."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    keep = Keep()
    app = create_app(Settings(token=TOKEN), shop=shop)
    with serve_in_thread(app, access_log=True) as url:
        logging.getLogger("uvicorn.access").addHandler(keep)  # after uvicorn's logging setup
        try:
            yield url, lines
        finally:
            logging.getLogger("uvicorn.access").removeHandler(keep)


FORGED = (
    "/s/x%0AINFO:%20%20%20%20%20203.0.113.9:4242%20-%20%22DELETE%20%2Fapi%2Fcustomers%2F"
    "C10001%20HTTP%2F1.1%22%20200%20OK"
)


def test_a_path_writes_one_line_of_the_log_and_no_control_code(access_log):
    """Requests without the token whose paths hold a newline and a forged request line, the
    codes that clear a terminal, a NUL, a carriage return and a right-to-left override: each
    logs one line, whose only ``"`` are the two around the request, with every such
    character still percent-encoded."""
    url, lines = access_log
    paths = [
        FORGED,
        "/nothing%1b%5b2J%1b%5b31mRED",
        "/nothing%00",
        "/x%0D%0AINFO:%20y",
        "/x%E2%80%AEfdp.exe",
        "/x%250Ay",  # a newline encoded twice
    ]
    for path in paths:
        httpx.get(url + path)
    assert len(lines) == len(paths), lines
    for line in lines:
        assert not FORBIDDEN.search(line), repr(line)
        assert line.count('"') == 2, line
    assert "/s/x%0AINFO:" in lines[0] and "%22DELETE" in lines[0]
    assert "/nothing%1B[2J%1B[31mRED" in lines[1]
    assert "/nothing%00" in lines[2] and "/x%0D%0AINFO: y" in lines[3]
    assert "/x%E2%80%AEfdp.exe" in lines[4] and "/x%0Ay" in lines[5]


def test_an_email_beside_a_control_code_is_still_masked(access_log):
    url, lines = access_log
    httpx.delete(
        f"{url}/api/customers/x%0Azq.unique7%2540example.org",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert len(lines) == 1 and "/api/customers/x%0A<e-mail>" in lines[0], lines
    assert "unique7" not in lines[0] and "example.org" not in lines[0]


# -- 2. long upload names --------------------------------------------------------------------
#: 300 bytes of name each: an e-mail in an ASCII one, a Cyrillic one (2 bytes a letter),
#: gzipped, whose ``.gz`` the import needs to read it
ASCII_NAME = "crm_ann.smith@example.org_" + "x" * 270 + ".csv"
CYRILLIC_NAME = "клиенты_" + "ж" * 139 + ".csv.gz"
CUSTOMERS = b"customer_id,email,created_at,country\nN1,n1@example.org,2025-01-01,DE\n"


def _kept(sent: str, saved: str, ext: str, limit: int = 255) -> None:
    """``saved`` is ``sent`` shortened within ``limit`` bytes: its start, and its extensions."""
    assert len(sent.encode()) >= 290
    assert len(saved.encode()) <= limit and saved.endswith(ext), saved
    start, digits = saved.removesuffix(ext).rsplit("~", 1)
    assert sent.startswith(start) and len(saved) > 90, saved
    assert digits == hashlib.sha256(sent.encode()).hexdigest()[:8]


@pytest.mark.parametrize(
    ("name", "ext", "pack"),
    [(ASCII_NAME, ".csv", lambda b: b), (CYRILLIC_NAME, ".csv.gz", gzip.compress)],
    ids=["ascii", "cyrillic"],
)
def test_every_upload_route_takes_a_300_byte_name(file_shop, name, ext, pack):
    """Each route imports the file, named by the start of its name and its extensions (the
    import reads a ``.csv.gz`` as gzip by its name); survey exports, notes and consents are
    plain text, sent under the same name with their own extension."""
    shop, client = file_shop
    surveys.ensure_builtin(store=shop.store)
    res = client.post("/api/imports/customers", files={"file": (name, pack(CUSTOMERS))})
    assert res.status_code == 200, res.text
    ledger = client.get("/api/imports").json()
    assert [row["rows_accepted"] for row in ledger] == [1]
    _kept(name, ledger[0]["file"], ext)

    csv = name.removesuffix(ext) + ".csv"
    answers = b"respondent,age_bracket,values\nr1,25-34,price;brand\nr2,65+,quality\n"
    res = client.post("/api/surveys/demo-profile/import", files={"file": (csv, answers)})
    assert res.status_code == 200 and res.json()["rows_accepted"] == 2, res.text
    _kept(csv, res.json()["file"], ".csv")

    note = '# Interview: customer N1 (good customer)\n\n> "Fast delivery, fair price."\n'
    md = name.removesuffix(ext) + ".md"
    res = client.post("/api/interviews/notes", files=[("files", (md, note.encode()))])
    assert res.status_code == 200 and res.json()["imported"] == 1, res.text

    consents = b"customer_id,purpose,granted\nN1,case_study,true\n"
    res = client.post("/api/consents/import", files={"file": (csv, consents)})
    assert res.status_code == 200, res.text
    saved = res.json()["file"]
    _kept(csv, saved, ".csv", limit=194)  # its records' source is "file: NAME", 200 at most
    recorded = client.get("/api/consents").json()
    assert [(r["customer_id"], r["source"]) for r in recorded] == [("N1", f"file: {saved}")]


def test_a_name_is_cut_between_characters_within_the_bytes():
    """3 bytes a character (CJK): in 255 bytes, less ``~`` and 8 digits and ``.csv.gz``
    (16), fit 79, not 80."""
    name = upload_name("顧" * 100 + ".csv.gz", "upload.csv")  # the file system's limit
    assert len(name.encode()) <= 255 and re.fullmatch(r"顧{50,}~[0-9a-f]{8}\.csv\.gz", name)
    cut = upload_name("顧" * 100 + ".csv.gz", "u", limit=255)
    assert re.fullmatch(r"顧{79}~[0-9a-f]{8}\.csv\.gz", cut), cut
    assert re.fullmatch(r"a{242}~[0-9a-f]{8}\.csv", upload_name("a" * 300 + ".csv", "u", limit=255))
    assert upload_name("short.csv", "u", limit=255) == "short.csv"


def test_two_long_names_that_differ_only_past_the_cut_stay_apart():
    """Interview notes are named by their interviewee: cut to the same start, the second of
    two notes replaced the first."""
    start = "Интервью с постоянным покупателем о доставке и возвратах, " * 3
    anna, boris = (upload_name(start + who + ".md", "u") for who in ("Анна", "Борис"))
    assert anna != boris and anna.endswith(".md") and boris.endswith(".md")


# -- 3. weak tokens and guessing -------------------------------------------------------------
def test_serve_warns_of_a_short_token_and_says_how_to_make_one():
    warned = " ".join(serve_warnings(Settings(token="a")))
    assert "shorter than 16 characters" in warned
    assert 'python -c "import secrets; print(secrets.token_urlsafe(32))"' in warned
    assert serve_warnings(Settings(token="a" * 15)) == serve_warnings(Settings(token="a"))
    assert serve_warnings(Settings(token=TOKEN)) == []


def _wrong(c: TestClient, guess: str = "guess") -> httpx.Response:
    return c.get("/api/tables", headers={"Authorization": f"Bearer {guess}"})


def test_an_address_guessing_tokens_waits_and_other_addresses_do_not(shop):
    """Ten wrong tokens in a minute from one address: the next is a 429 with Retry-After,
    and so is the right token from there (a 200 among 429s would tell the guesser it
    guessed right). Another address, and requests sending no token, are not slowed."""
    app = create_app(Settings(token=TOKEN), shop=shop)
    right = {"Authorization": f"Bearer {TOKEN}"}
    with (
        TestClient(app, client=("203.0.113.9", 4242)) as guesser,
        TestClient(app, client=("198.51.100.7", 5151)) as owner,
    ):
        for _ in range(5):
            assert guesser.get("/api/tables", headers=right).status_code == 200
        assert [_wrong(guesser, f"guess{k}").status_code for k in range(10)] == [401] * 10
        refused = _wrong(guesser, "guess10")
        assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
        assert guesser.get("/api/tables", headers=right).status_code == 429
        assert guesser.get(f"/api/tables?token={TOKEN}").status_code == 429
        assert guesser.get("/api/tables").status_code == 401  # no token: no guess
        assert owner.get("/api/tables", headers=right).status_code == 200
        # an address sending the right token is never slowed by it, wrong ones aside
        assert all(owner.get("/api/tables", headers=right).is_success for _ in range(20))
        assert [_wrong(owner, f"guess{k}").status_code for k in range(9)] == [401] * 9
        assert owner.get("/api/tables", headers=right).status_code == 200


def test_an_old_token_sent_again_and_again_locks_nobody_out(shop):
    """A browser keeping an old token's cookie, or a job still sending it, sends the same
    wrong token every time: that is one guess, not one per request, so the right token from
    the same address still works. Counted each time, 10 of them locked the owner out."""
    app = create_app(Settings(token=TOKEN), shop=shop)
    right = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(app, client=("127.0.0.1", 4242)) as c:
        assert [_wrong(c, "old-token").status_code for _ in range(30)] == [401] * 30
        c.cookies.set("shopperlens_token", "old-token")
        assert all(c.get("/dashboard/index.json").status_code == 401 for _ in range(10))
        c.cookies.clear()
        assert c.get("/api/tables", headers=right).status_code == 200


def test_an_ipv6_client_counts_as_its_network():
    """One client holds a whole /64: its guesses from many addresses of it count together."""
    from shopperlens.web.deps import Guesses

    guesses = Guesses(limit=3)
    for k in range(3):
        assert guesses.judge(f"2001:db8:1:2::{k + 1:x}", False, b"guess%d" % k) is None
    assert guesses.judge("2001:db8:1:2::ffff", True, b"right") is not None
    assert guesses.judge("2001:db8:1:3::1", True, b"right") is None  # another network


# -- 4. the documentation pages --------------------------------------------------------------
#: every script and stylesheet of the pages: (its address, its integrity attribute)
_LOADED = re.compile(
    r'<(?:script src|link rel="stylesheet" href)="([^"]+)"(?: integrity="([^"]*)")?'
)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_a_docs_link_with_the_token_leaves_it_in_a_cookie(shop, page):
    app = create_app(Settings(token=TOKEN), shop=shop)
    with TestClient(app) as browser:
        first = browser.get(f"{page}?token={TOKEN}", follow_redirects=False)
        assert first.status_code == 303 and first.headers["location"] == page
        assert first.cookies.get("shopperlens_token") == TOKEN
        shown = browser.get(page)
        assert shown.status_code == 200 and TOKEN not in shown.text
        assert browser.get("/openapi.json").status_code == 200  # what the page fetches
    with TestClient(app) as other:
        wrong = other.get(f"{page}?token=wrong", follow_redirects=False)
        assert wrong.status_code == 401 and "shopperlens_token" not in wrong.cookies


@pytest.mark.parametrize(
    ("page", "pinned"),
    [("/docs", "swagger-ui-dist@5.36.0/"), ("/redoc", "redoc@2.5.4/")],
)
def test_the_docs_pages_load_pinned_files_checked_by_the_browser(client, page, pinned):
    """Each script and stylesheet: one exact version, with its SHA-384 for the browser to
    check (Subresource Integrity), and nothing else from elsewhere (no web fonts)."""
    html = client.get(page).text
    loaded = _LOADED.findall(html)
    assert loaded and all(pinned in url for url, _ in loaded), loaded
    assert all(re.fullmatch(r"sha384-[A-Za-z0-9+/]{64}", digest) for _, digest in loaded)
    assert html.count('crossorigin="anonymous"') == len(loaded)
    assert "@5/" not in html and "@2/" not in html and "fonts.googleapis" not in html


# -- 5. the CLI's tables ---------------------------------------------------------------------
@pytest.fixture
def screen(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """What the CLI prints, on stdout and stderr, on a terminal that obeys escape codes."""
    out = io.StringIO()
    for name in ("console", "err_console"):
        monkeypatch.setattr(_render, name, Console(file=out, width=200, force_terminal=True))
    return out


def _plain(printed: str) -> str:
    """``printed`` without the styling Rich adds itself (SGR sequences), which must leave no
    other control character."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", printed)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", plain), repr(plain)
    return plain


def test_a_table_shows_control_codes_instead_of_sending_them(screen: Any):
    _render.table(
        [{"name": "Ann\x1b[2J\x1b]0;owned\x07", "note": "a\x9b31mb\x00c\rd"}],
        title="buyers\x1b[31m",
    )
    plain = _plain(screen.getvalue())
    for shown in ("Ann\\x1b[2J\\x1b]0;owned\\x07", "a\\x9b31mb\\x00c\\x0dd", "buyers\\x1b[31m"):
        assert shown in plain, plain


def test_messages_and_errors_show_control_codes_too(screen: Any):
    _render.message("imported ", ("x\x1b[2J.csv", "bold"), " (1 row)")
    _render.error("no survey 'q\x1b]0;owned\x07'")
    plain = _plain(screen.getvalue())
    assert "imported x\\x1b[2J.csv (1 row)" in plain
    assert "error: no survey 'q\\x1b]0;owned\\x07'" in plain
