"""Run the app under a real uvicorn server in a background thread (tests, benchmarks, demos).

httpx's own test suite does the same: the real server, the real sockets, nothing mocked.
"""

from __future__ import annotations

import errno
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from shopperlens.errors import ShopperlensError


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def address(host: str, port: int) -> str:
    """``host:port`` as a browser takes it (``[::1]:8000`` for an IPv6 address)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


#: hosts that listen on every address of the machine: no address a browser can open
_EVERY_ADDRESS = ("", "0.0.0.0", "::")


def served_url(host: str, port: int) -> str:
    """The address this computer opens the server at: the default ``SHOPPERLENS_PUBLIC_URL``
    of a server on another port than 8000, so its survey links and pop-up snippet point at the
    port it serves (one listening on every address is opened at 127.0.0.1)."""
    return f"http://{address('127.0.0.1' if host in _EVERY_ADDRESS else host, port)}"


def check_listen(host: str, port: int) -> None:
    """Refuse ``host:port`` before the server starts when it cannot listen there.

    uvicorn finds out only after the app's startup: it logged "Application startup complete",
    then ``[Errno 98] address already in use`` and exited 3, with nothing pointing at
    ``--port``. Each address ``host`` stands for is bound here the way uvicorn binds it
    (``SO_REUSEADDR``, so a port left in TIME_WAIT by an earlier run is free) and let go.
    """
    where = address(host, port)
    try:
        found = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE
        )
    except socket.gaierror:
        raise ShopperlensError(_no_such_address(host, "no such address")) from None
    for family, kind, proto, _, sockaddr in found:
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:  # as asyncio binds it: v6 only, v4 has its own
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(sockaddr)
            except OSError as exc:
                raise ShopperlensError(_bind_problem(where, host, exc)) from None


def _bind_problem(where: str, host: str, exc: OSError) -> str:
    """One sentence for a refused bind: what is wrong with the address and which option fixes it."""
    if exc.errno == errno.EADDRINUSE:
        return f"{where} is in use by another program: choose another with --port"
    if exc.errno == errno.EACCES:
        return (
            f"cannot listen on {where}: permission denied (ports below 1024 need administrator "
            "rights): choose another with --port"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return _no_such_address(host, "not an address of this computer")
    return f"cannot listen on {where}: {exc.strerror or exc}: choose another --host or --port"


def _no_such_address(host: str, why: str) -> str:
    return (
        f"cannot listen on {host}: {why}: give --host an address of this computer "
        "(127.0.0.1 for this computer only, 0.0.0.0 for every network)"
    )


@contextmanager
def serve_in_thread(
    app: Any, *, host: str = "127.0.0.1", port: int | None = None, access_log: bool = False
) -> Iterator[str]:
    """Serve ``app`` until the block ends; yields its base URL (``http://127.0.0.1:PORT``)."""
    import uvicorn

    port = port or free_port(host)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="info" if access_log else "warning",
        access_log=access_log,
        backlog=4096,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the uvicorn server did not start")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
