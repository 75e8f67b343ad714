"""`shopperlens serve` on a port another program holds says so in one line and exits 1, before
the server starts (uvicorn logged "Application startup complete", then ``[Errno 98]`` and
exited 3); without SHOPPERLENS_PUBLIC_URL, the links it makes point at the port it serves."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from shopperlens.errors import ShopperlensError
from shopperlens.web.server import check_listen, served_url


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port a real socket listens on for the test's length."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_a_busy_port_is_one_line_and_exit_1(cli, busy_port: int) -> None:  # type: ignore[no-untyped-def]
    res = cli("serve", "--port", str(busy_port))
    assert res.exit_code == 1, res.output
    said = " ".join(res.output.split())
    assert said == (
        f"error: 127.0.0.1:{busy_port} is in use by another program: choose another with --port"
    )


def test_check_listen_names_the_address(busy_port: int) -> None:
    with pytest.raises(ShopperlensError, match=f"127.0.0.1:{busy_port} is in use"):
        check_listen("127.0.0.1", busy_port)
    with pytest.raises(ShopperlensError, match="not an address of this computer.*--host"):
        check_listen("192.0.2.1", busy_port)  # TEST-NET-1: on no machine's interface
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = int(free.getsockname()[1])
    check_listen("127.0.0.1", port)  # a free port passes (and is let go again)
    check_listen("127.0.0.1", port)


def test_the_public_url_follows_the_served_port(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import uvicorn

    monkeypatch.delenv("SHOPPERLENS_PUBLIC_URL", raising=False)
    served: dict[str, Any] = {}

    def run(app: Any, **options: Any) -> None:  # records what would be served, serves nothing
        served.update(options, url=app.state.settings.public_url)
        app.state.shop.close()

    monkeypatch.setattr(uvicorn, "run", run)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = int(free.getsockname()[1])
    res = cli("serve", "--port", str(port))
    assert res.exit_code == 0, res.output
    assert served["port"] == port and served["url"] == f"http://127.0.0.1:{port}"
    monkeypatch.setenv("SHOPPERLENS_PUBLIC_URL", "https://survey.shop.example")
    assert cli("serve", "--port", str(port)).exit_code == 0
    assert served["url"] == "https://survey.shop.example"  # one set is kept as it is


def test_served_url() -> None:
    assert served_url("0.0.0.0", 8080) == "http://127.0.0.1:8080"
    assert served_url("::1", 8001) == "http://[::1]:8001"
    assert served_url("localhost", 8000) == "http://localhost:8000"
