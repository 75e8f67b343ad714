"""An upload the client cuts off is one log line and nothing imported, not a traceback.

Planted: a multipart upload of an orders file whose client goes away after the first part of
the body (what a dropped connection or a killed ``curl`` sends the server). The server logged
68 lines of "Exception in ASGI application … ClientDisconnect".
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

import shopperlens
from conftest import TOKEN
from shopperlens.config import Settings
from shopperlens.web.app import create_app

BOUNDARY = "cutoffboundary"
#: the start of a multipart body: one file part whose content never ends
FIRST_PART = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="o.csv"\r\n'
    "Content-Type: text/csv\r\n\r\norder_id,customer_id,ordered_at,product_id,quantity,"
    "unit_price\r\nO1,C1,2024-01-01,P1,1,10\r\n"
).encode()


def _post_cut_off(app: Any) -> list[dict[str, Any]]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/imports/orders",
        "raw_path": b"/api/imports/orders",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", f"Bearer {TOKEN}".encode()),
            (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
            (b"content-length", b"100000"),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    messages = [
        {"type": "http.request", "body": FIRST_PART, "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def test_a_cut_off_upload_is_one_log_line(caplog: pytest.LogCaptureFixture) -> None:
    with shopperlens.open(":memory:") as shop:
        app = create_app(Settings(token=TOKEN), shop=shop)
        with caplog.at_level(logging.INFO):
            sent = _post_cut_off(app)
        assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 400
        assert shop.store.count("orders") == 0 and shop.store.count("imports") == 0
    assert [r.getMessage() for r in caplog.records if r.name == "shopperlens.server"] == [
        "an upload was cut off by the client: nothing imported"
    ]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


#: a server process allowed to write files of at most 64 KiB uploads a 1 MiB file
NO_ROOM = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG
from fastapi.testclient import TestClient
import shopperlens
from shopperlens.config import Settings
from shopperlens.web.app import create_app
token = sys.argv[1]
body = b"order_id,customer_id,ordered_at,product_id,quantity,unit_price\\n" + (
    b"O1,C1,2024-01-01,P1,1,10\\n" * 45000
)
with shopperlens.open(":memory:") as shop:
    app = create_app(Settings(token=token), shop=shop)
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as c:
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 10, 64 << 10))
        res = c.post("/api/imports/orders", files={"file": ("o.csv", body, "text/csv")})
    print(res.status_code, res.json()["detail"], shop.store.count("orders"))
"""


def test_an_upload_without_room_is_a_507_saying_so() -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", NO_ROOM, TOKEN], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == (
        "507 the server's temporary folder has no room for the upload (it needs about twice "
        "the file's size while the import runs): nothing was imported 0"
    )
    assert "Traceback" not in out.stderr
