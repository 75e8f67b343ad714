"""Survey collection under load: sustained submissions/s and latency on loopback.

The server is a real uvicorn process serving ``create_app`` over a DuckDB file (every answer
validated, stored and committed before the 201). Clients are separate processes keeping
HTTP/1.1 keep-alive connections busy for a fixed time. The peer is the same FastAPI/uvicorn
stack with an endpoint that only parses the JSON and answers 201 (the framework's ceiling),
so the ratio shows what validation and storage cost.

    python -m benchmarks.bench_surveys [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ANSWERS = {
    "age_bracket": "25-34",
    "values": ["price", "quality"],
    "novelty": 4,
    "income": 52000,
    "why_buy": "Good boots at a fair price, delivered fast",
}


def _request(visitor: str) -> bytes:
    """One pop-up answer of ``visitor`` (a visitor answers a survey once: each request is a
    new visitor, as on a live shop)."""
    body = json.dumps({"answers": ANSWERS, "channel": "popup", "visitor_id": visitor}).encode()
    return (
        b"POST /s/demo-profile/responses HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )


def _serve(mode: str, port: int, db: str) -> None:
    """Run in the server process."""
    import uvicorn

    if mode == "peer":
        from fastapi import FastAPI, Request
        from fastapi.responses import JSONResponse

        app = FastAPI()

        @app.post("/s/{name}/responses")
        async def bare(name: str, request: Request) -> JSONResponse:
            json.loads(await request.body())
            return JSONResponse({"response_id": "x"}, status_code=201)

    else:
        import shopperlens
        from shopperlens.config import Settings
        from shopperlens.service import surveys
        from shopperlens.web.app import create_app

        shop = shopperlens.open(db)
        surveys.ensure_builtin(store=shop.store)
        app = create_app(Settings(token="t", survey_rate_limit=10**9), shop=shop)
    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, backlog=4096
    )


async def _client(port: int, conns: int, seconds: float, out: mp.Queue) -> None:
    """Keep ``conns`` keep-alive connections busy; report latencies and non-201 count."""
    lat: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def one(conn: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        sent = 0
        while time.perf_counter() < stop:
            req = _request(f"bench-{os.getpid()}-{conn}-{sent}")
            sent += 1
            t = time.perf_counter()
            writer.write(req)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            lat.append(time.perf_counter() - t)
            if not head.startswith(b"HTTP/1.1 201"):
                errors += 1
        writer.close()

    await asyncio.gather(*(one(k) for k in range(conns)))
    out.put((lat, errors))


def _client_proc(port: int, conns: int, seconds: float, out: mp.Queue) -> None:
    asyncio.run(_client(port, conns, seconds, out))


def _wait(port: int, timeout: float = 30) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("server did not start")


def run(mode: str, *, seconds: float, procs: int, conns: int) -> dict[str, float]:
    from shopperlens.web.server import free_port

    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.duckdb")
        server = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.bench_surveys", "--serve", mode, str(port), db],
            cwd=Path(__file__).parents[1],
        )
        try:
            _wait(port)
            # warm-up: first request loads the survey definition and starts the writer
            warm = mp.get_context("spawn").Queue()
            _client_proc(port, 2, 0.5, warm)
            warm_lat, warm_err = warm.get()
            cpu0 = _cpu_s(server.pid)
            ctx = mp.get_context("spawn")
            q = ctx.Queue()
            workers = [
                ctx.Process(target=_client_proc, args=(port, conns, seconds, q))
                for _ in range(procs)
            ]
            t0 = time.perf_counter()
            for w in workers:
                w.start()
            results = [q.get() for _ in workers]
            elapsed = time.perf_counter() - t0
            cpu = _cpu_s(server.pid) - cpu0
            for w in workers:
                w.join()
            peak = _rss_kb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=20)
        stored = None
        if mode == "ours":
            import duckdb

            con = duckdb.connect(db, read_only=True)
            stored = con.execute("SELECT count(*) FROM survey_responses").fetchone()[0]
            con.close()
    lat = sorted(x for r in results for x in r[0])
    errors = sum(r[1] for r in results)
    return {
        "requests": len(lat),
        "per_s": len(lat) / elapsed,
        "p50_ms": 1000 * lat[len(lat) // 2],
        "p99_ms": 1000 * lat[int(len(lat) * 0.99)],
        "errors": errors,
        "stored": stored,
        "answered_201": len(lat) - errors + len(warm_lat) - warm_err,
        "cpu_ms": 1000 * cpu / max(1, len(lat)),
        "peak_rss_mb": peak / 1024 if peak else float("nan"),
    }


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--serve", nargs=3, metavar=("MODE", "PORT", "DB"), help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=None, help="load duration per run")
    parser.add_argument("--conns", type=int, default=16, help="connections per client process")
    parser.add_argument("--procs", type=int, default=2, help="client processes")
    args = parser.parse_args(argv)
    if args.serve:
        _serve(args.serve[0], int(args.serve[1]), args.serve[2])
        return
    seconds = args.seconds or (3.0 if args.quick else 10.0)
    ours = run("ours", seconds=seconds, procs=args.procs, conns=args.conns)
    peer = run("peer", seconds=seconds, procs=args.procs, conns=args.conns)
    print(
        f"loopback, {args.procs} client processes x {args.conns} keep-alive connections, "
        f"{seconds:g} s each, {os.cpu_count()} CPUs"
    )
    print(f"{'what':38} {'ours':>10} {'peer':>10} {'ratio':>7} {'peak RSS':>9}")
    print(
        f"{'submissions/s (sustained)':38} {ours['per_s']:>10.0f} {peer['per_s']:>10.0f} "
        f"{ours['per_s'] / peer['per_s']:>7.2f} {ours['peak_rss_mb']:>7.0f}MB"
    )
    print(
        f"{'p50 latency ms':38} {ours['p50_ms']:>10.1f} {peer['p50_ms']:>10.1f} "
        f"{ours['p50_ms'] / peer['p50_ms']:>7.2f}"
    )
    print(
        f"{'p99 latency ms':38} {ours['p99_ms']:>10.1f} {peer['p99_ms']:>10.1f} "
        f"{ours['p99_ms'] / peer['p99_ms']:>7.2f}"
    )
    print(
        f"{'server CPU ms per submission':38} {ours['cpu_ms']:>10.2f} {peer['cpu_ms']:>10.2f} "
        f"{ours['cpu_ms'] / peer['cpu_ms']:>7.2f}"
    )
    print(
        f"stored {ours['stored']} responses for {ours['answered_201']} answers 201 "
        f"({'exactly once' if ours['stored'] == ours['answered_201'] else 'MISMATCH'})"
    )
    print(
        "peer = same FastAPI/uvicorn stack, endpoint parses JSON and stores nothing. "
        "target: >= 1,000/s, p99 < 50 ms"
    )


if __name__ == "__main__":
    main()
