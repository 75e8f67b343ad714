"""`shopperlens serve` without a token says at start that every endpoint but the public survey
ones will refuse, instead of a server answering 401 to everything without a word. A real
uvicorn process, stopped once it listens."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

NOT_SET = (
    "SHOPPERLENS_TOKEN is not set: every endpoint but the public survey ones will refuse (503)"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(tmp_path: Path, token: str | None) -> tuple[str, int]:
    """Start the server, ask one API question once it listens, stop it: (stderr, status)."""
    env = {k: v for k, v in os.environ.items() if k != "SHOPPERLENS_TOKEN"}
    if token:
        env["SHOPPERLENS_TOKEN"] = token
    port = _free_port()
    cmd = [sys.executable, "-m", "shopperlens", "--db", str(tmp_path / "s.duckdb"), "serve",
           "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(
        cmd, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    try:
        status = 0
        for _ in range(200):
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/api/tables", timeout=1).status_code
                break
            except httpx.TransportError:
                time.sleep(0.1)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    return err, status


def test_serve_without_a_token_says_so(tmp_path: Path) -> None:
    err, status = _serve(tmp_path, None)
    assert status == 503
    assert f"warning: {NOT_SET}" in " ".join(err.split())


def test_serve_with_a_token_says_nothing_of_it(tmp_path: Path) -> None:
    err, status = _serve(tmp_path, "s3cret")
    assert status == 401  # (asked without it)
    assert "SHOPPERLENS_TOKEN" not in err
