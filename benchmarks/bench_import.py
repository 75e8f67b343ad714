"""Import speed: 10M events and 1M order lines from CSV (``--quick``: 1M and 100k), and a
day's file of 100k events (1 %) into the store that already holds the 10M (``daily``: the
base is loaded untimed the same way, then the day's file is timed; the floor appends it to its
bare table).

Three ways to load the same file, each in a fresh process (its peak RSS is its own) writing a
fresh DuckDB file:

- **shopperlens**: ``Shop.import_files`` — validation, rejects, idempotent keyed inserts into
  the canonical tables (primary keys), sessions and identities derived (events), orders split
  into orders/order_lines with missing customers/products created;
- **pandas**: ``pandas.read_csv(file)`` then ``INSERT INTO <table> BY NAME SELECT * FROM
  df`` into the same canonical table (DuckDB reads the frame in place: the fastest way out of
  pandas; order lines get their ``line_no`` from a ``groupby().cumcount()``): no checks, no
  rejects report, no idempotency, nothing derived;
- **pandas_to_sql**: the same frame written with ``DataFrame.to_sql(…, if_exists="append")``
  over SQLAlchemy (``duckdb_engine``), the way pandas documents for writing to a database;
- **floor**: ``CREATE TABLE … AS SELECT * FROM read_csv(file)`` — DuckDB's bare reader into an
  unkeyed table; **floor_keyed**: the same ``read_csv`` inserted into the canonical table
  (``events`` has no primary key since migration 008; ``order_lines`` has one).

Files are generated once into ``benchmarks/_data/`` (gitignored).
``python -m benchmarks.bench_import [--quick]``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "_data"
EVENT_NAMES = (
    "page_view",
    "page_view",
    "page_view",
    "view_item",
    "view_item",
    "view_search_results",
    "add_to_cart",
    "begin_checkout",
    "purchase",
    "session_start",
)


def make_events(path: Path, n: int, start: int = 0) -> None:
    """``n`` generic events: 20 per visitor, ~8 per session, a third of visitors identified;
    ``start``: the shop's events from that one on (a later day's file of the same shop)."""
    import duckdb

    names = "[" + ", ".join(f"'{e}'" for e in EVENT_NAMES) + "]"
    duckdb.sql(
        f"""COPY (
        SELECT 'e' || i AS event_id,
               'v' || (i // 20) || '-' || (i % 20 // 8) AS session_id,
               'v' || (i // 20) AS visitor_id,
               CASE WHEN (i // 20) % 3 = 0 AND i % 20 = 19 THEN 'c' || (i // 20) END AS customer_id,
               TIMESTAMP '2024-01-01' + to_seconds(i * 3 + (i % 20 // 8) * 3600) AS "timestamp",
               {names}[1 + (hash(i) % 10)::INT] AS event_name,
               '/p/' || (hash(i * 7) % 500) AS page,
               'p' || (hash(i * 7) % 500) AS product_id,
               ['google', 'instagram', 'newsletter', NULL][1 + (i // 8 % 4)::INT] AS utm_source,
               ['cpc', 'social', 'email', NULL][1 + (i // 8 % 4)::INT] AS utm_medium,
               'spring' AS utm_campaign,
               NULL::VARCHAR AS utm_term,
               ['mobile', 'desktop'][1 + (i // 20 % 2)::INT] AS device
        FROM range({start}, {start + n}) t(i)) TO '{path}' (HEADER)"""
    )


def _day_file(n_events: int) -> Path:
    """A day's events after the ``n_events`` of the base file: 1 % of them."""
    return DATA / f"day_events_{n_events // 100}_after_{n_events}.csv"


def _base_events(day: Path) -> int:
    """How many events the base file holds that a day's file (:func:`_day_file`) follows."""
    return int(day.stem.rsplit("_", 1)[1])


def _make_day(path: Path, n: int) -> None:
    make_events(path, n, start=_base_events(path))


def _load_base(shop: Any, method: str, day: str) -> None:
    """Untimed: the store as it was before the day's file (the events of the base file)."""
    base = DATA / f"events_{_base_events(Path(day))}.csv"
    if method == "shopperlens":
        shop.import_files("events", base)
    elif method == "floor":
        shop.store.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{base}')")
    else:
        shop.store.execute(f"INSERT INTO events BY NAME SELECT * FROM read_csv('{base}')")


def make_orders(path: Path, n: int) -> None:
    """``n`` order lines in the generic orders format, ~2.5 lines per order."""
    import duckdb

    duckdb.sql(
        f"""COPY (
        SELECT 'o' || (i * 2 // 5) AS order_id,
               'c' || (i * 2 // 5 % 40000) AS customer_id,
               TIMESTAMP '2023-01-01' + to_seconds((i * 2 // 5) * 30) AS ordered_at,
               'p' || (hash(i) % 2000) AS product_id,
               'Product ' || (hash(i) % 2000) AS product_name,
               'cat' || (hash(i) % 2000 % 25) AS category,
               1 + (hash(i * 3) % 4)::INT AS quantity,
               round(2 + (hash(i) % 2000) / 20.0, 2) AS unit_price,
               CASE WHEN i % 17 = 0 THEN 'WELCOME10' END AS discount_code
        FROM range({n}) t(i)) TO '{path}' (HEADER)"""
    )


def _cpu() -> float:
    """CPU seconds of this process (user + system): steadier than wall time on a busy box."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


LINES = (
    "INSERT INTO order_lines BY NAME SELECT order_id, product_id, product_name, category, "
    "quantity, unit_price, discount_code, "
    "row_number() OVER (PARTITION BY order_id) AS line_no FROM {src}"
)


def worker(method: str, kind: str, path: str) -> dict[str, float]:
    """Run one load in this process; returns seconds, rows, peak RSS (MiB)."""
    import shopperlens

    if method == "pandas_to_sql":
        return _to_sql_worker(kind, path)
    with (
        tempfile.TemporaryDirectory(dir=DATA) as tmp,
        shopperlens.open(Path(tmp) / "b.duckdb") as shop,
    ):
        con = shop.store.con
        table = "order_lines" if kind == "orders" else "events"
        n_base = 0
        if kind == "daily":
            _load_base(shop, method, path)
            n_base = shop.store.count("t" if method == "floor" else "events")
        t0, c0 = time.perf_counter(), _cpu()
        if method == "shopperlens":
            rows = shop.import_files(table if kind == "daily" else kind, path).rows_accepted
        elif method == "pandas":
            df = _read_frame(kind, path)
            con.register("df", df)
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM df")
            rows = len(df)
        elif method == "floor_keyed":
            src = f"read_csv('{path}')"
            if kind == "orders":
                con.execute(LINES.format(src=src))
            else:
                con.execute(f"INSERT INTO events BY NAME SELECT * FROM {src}")
        elif kind == "daily":  # the floor appends the day to its bare table
            con.execute(f"INSERT INTO t SELECT * FROM read_csv('{path}')")
            table = "t"
        else:
            con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}')")
            table = "t"
        secs, cpu = time.perf_counter() - t0, _cpu() - c0
        if method in ("floor", "floor_keyed"):
            rows = shop.store.count(table) - n_base
    return {"seconds": secs, "cpu": cpu, "rows": rows, "peak_mb": _peak_mb()}


def _read_frame(kind: str, path: str) -> Any:
    """The whole file as a frame, shaped for its canonical table (pandas' usual first step)."""
    import pandas as pd

    df = pd.read_csv(path)
    if kind == "orders":  # order_lines needs each line's position within its order
        df["line_no"] = df.groupby("order_id").cumcount() + 1
        df = df[[c for c in df.columns if c not in ("customer_id", "ordered_at")]]
    return df


def _to_sql_worker(kind: str, path: str) -> dict[str, float]:
    """``read_csv`` then ``DataFrame.to_sql`` through SQLAlchemy into the canonical table.

    The store is created (schema migrated) and closed first: DuckDB lets one process open a
    file only with one configuration, and SQLAlchemy opens its own connection.
    """
    from sqlalchemy import create_engine

    import shopperlens

    table = "events" if kind == "events" else "order_lines"
    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        db = Path(tmp) / "b.duckdb"
        shopperlens.open(db).close()
        t0, c0 = time.perf_counter(), _cpu()
        df = _read_frame(kind, path)
        engine = create_engine(f"duckdb:///{db}")
        df.to_sql(table, engine, if_exists="append", index=False, chunksize=100_000)
        engine.dispose()
        secs, cpu = time.perf_counter() - t0, _cpu() - c0
        with shopperlens.open(db) as shop:
            rows = shop.store.count(table)
    return {"seconds": secs, "cpu": cpu, "rows": rows, "peak_mb": _peak_mb()}


def _run(method: str, kind: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_import", "--worker", method, kind, str(path)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    if out.returncode:
        sys.exit(f"{method} on {path.name} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="import speed vs pandas and bare DuckDB")
    parser.add_argument("--quick", action="store_true", help="1M events / 100k order lines")
    parser.add_argument(
        "--worker", nargs=3, metavar=("METHOD", "KIND", "PATH"), help=argparse.SUPPRESS
    )
    parser.add_argument("--skip-pandas", action="store_true", help="leave out the pandas ways")
    parser.add_argument(
        "--skip-to-sql", action="store_true", help="leave out pandas to_sql (minutes at 10M rows)"
    )
    parser.add_argument("--kind", choices=("events", "orders", "daily"), help="only this load")
    parser.add_argument(
        "--repeat", type=int, default=0, help="runs per method, best kept (default 2 quick, 1 full)"
    )
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return
    n_events, n_lines = (1_000_000, 100_000) if args.quick else (10_000_000, 1_000_000)
    DATA.mkdir(exist_ok=True)
    files = {
        "events": (DATA / f"events_{n_events}.csv", make_events, n_events),
        "orders": (DATA / f"order_lines_{n_lines}.csv", make_orders, n_lines),
        "daily": (_day_file(n_events), _make_day, n_events // 100),
    }
    for path, make, n in files.values():
        if not path.exists():
            make(path, n)
    peers = [] if args.skip_pandas else ["pandas"] + ([] if args.skip_to_sql else ["pandas_to_sql"])
    methods = ["shopperlens", "floor", "floor_keyed", *peers]
    print(
        f"{'what':<24}{'method':<15}{'rows':>11}{'wall s':>8}{'cpu s':>7}{'rows/s':>10}"
        f"{'x pandas':>9}{'x to_sql':>9}{'x floor':>8}{'peak RSS':>10}"
    )
    for kind, (path, _, _) in files.items():
        if args.kind and kind != args.kind:
            continue
        repeat = args.repeat or (2 if args.quick else 1)
        # a day's file into the store: to_sql would only time appending 1 % of the rows
        ways = [m for m in methods if not (kind == "daily" and m == "pandas_to_sql")]
        got = {
            m: min(
                (_run(m, kind, path) for _ in range(1 if m == "pandas_to_sql" else repeat)),
                key=lambda r: r["seconds"],
            )
            for m in ways
        }
        size = path.stat().st_size / 2**20
        for m in ways:
            r = got[m]
            vs_pandas, vs_to_sql = (
                f"{got[peer]['seconds'] / r['seconds']:.1f}x" if peer in got else "-"
                for peer in ("pandas", "pandas_to_sql")
            )
            vs_floor = r["seconds"] / got["floor"]["seconds"]
            print(
                f"{kind + f' ({size:,.0f} MiB)':<24}{m:<15}{int(r['rows']):>11,}"
                f"{r['seconds']:>8.2f}{r['cpu']:>7.1f}{r['rows'] / r['seconds']:>10,.0f}"
                f"{vs_pandas:>9}{vs_to_sql:>9}{vs_floor:>7.2f}x{r['peak_mb']:>6,.0f} MiB"
            )
    print(
        "x pandas, x to_sql = that peer's wall time / this one (higher is faster); "
        "x floor = this wall time / "
        "DuckDB's bare read_csv (lower is better); cpu s = the process's user+system seconds"
    )


if __name__ == "__main__":
    main()
