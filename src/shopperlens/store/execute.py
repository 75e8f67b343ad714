"""Running an Ibis expression on the store's DuckDB into pandas, with little memory.

``expr.execute()`` is right for small results; for a features frame of a million customers it
holds DuckDB's result, an Arrow copy and a converted pandas copy at once. :func:`to_pandas`
compiles the expression once, fetches Arrow and converts it while freeing it (pyarrow's
``self_destruct``). After a large result it also lets DuckDB hand back the buffers it keeps
cached (by lowering ``memory_limit`` for a moment), so the pandas work that follows does not
stack on top of the query's peak. :func:`frame_over` does the same for a query over
tables computed first, compiling the one while DuckDB computes the others.
"""

from __future__ import annotations

import math
import re
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    import pandas as pd

    from shopperlens.store.connection import Store

#: results with at least this many rows trigger :func:`release_cached_memory`
LARGE_RESULT = 200_000


def to_pandas(
    store: Store,
    expr: Any,
    con: duckdb.DuckDBPyConnection | None = None,
    *,
    sort_by: str | None = None,
    on_part: Callable[[int], Any] | None = None,
) -> pd.DataFrame:
    """Execute an Ibis table expression built on ``store.table(...)`` and return pandas.

    ``con``: the connection to run it on (one whose temporary tables the expression reads);
    default a fresh cursor of the store. ``expr`` may be a list of expressions with the same
    columns (the parts of one result, run one after another): their rows are concatenated,
    ordered by ``sort_by`` when given; ``on_part(k)`` is called before part k runs.
    """
    import ibis
    import pyarrow as pa

    exprs = expr if isinstance(expr, list | tuple) else [expr]
    tables = []
    with nullcontext(con) if con is not None else store.cursor() as cur:
        for k, e in enumerate(exprs):
            if on_part is not None:
                on_part(k)
            tables.append(cur.sql(str(ibis.to_sql(e, dialect="duckdb"))).to_arrow_table())
    table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
    del tables
    if len(exprs) > 1 and sort_by is not None:
        table = table.sort_by(sort_by)
    return _frame(store, table)


def frame_over(
    store: Store,
    tables: Sequence[tuple[str, str]],
    final: Callable[[], str],
    on_built: Callable[[], Any] | None = None,
    params: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """The query ``final()`` returns (with ``params``), as pandas, over temporary tables
    computed first.

    ``tables`` are ``(name, select)`` pairs, built in order on one cursor in a thread (each
    ``select`` may read the tables before it) while ``final`` is called: it may compile the
    final query, and Ibis compiles a large expression in Python on one core (0.4 s for the
    features) while DuckDB's build of the visit table keeps both cores busy for seconds. Each
    name is a stand-in: the tables get fresh names of their own, written into every statement,
    so two runs at once never share a table. ``on_built`` is called once they exist. They are
    dropped at the end.
    """
    names = {name: f"_sl_{uuid.uuid4().hex[:12]}" for name, _ in tables}

    def named(sql: str) -> str:
        for stand_in, name in names.items():
            sql = sql.replace(stand_in, name)
        return sql

    statements = [f"CREATE TEMP TABLE {names[n]} AS {named(sql)}" for n, sql in tables]
    with store.cursor() as cur, ThreadPoolExecutor(max_workers=1) as pool:
        building = pool.submit(lambda: [cur.execute(sql) for sql in statements])
        try:
            sql = named(final())
        finally:
            building.result()  # waits, and raises the build's error if it failed
        try:
            if on_built is not None:
                on_built()
            result = cur.sql(sql, params=list(params) if params else None).to_arrow_table()
        finally:
            for name in names.values():
                cur.execute(f"DROP TABLE IF EXISTS {name}")
    return _frame(store, result)


def frame(store: Store, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
    """A query's rows as pandas by way of Arrow (:func:`_frame`), for reads of a whole large
    table: the events of a shop of 15 million took 17.7 s and a peak of 6.6 GiB this way
    against 45.6 s and 9.4 GiB through DuckDB's own pandas conversion (``Store.df``), which
    makes a Python object of every text first."""
    with store.cursor() as cur:
        table = cur.sql(sql, params=list(params) if params else None).to_arrow_table()
    return _frame(store, table)


def _frame(store: Store, table: Any) -> pd.DataFrame:
    """An Arrow result as pandas, freed while converted (see the module's docstring)."""
    if table.num_rows >= LARGE_RESULT:
        release_cached_memory(store)
    return table.to_pandas(self_destruct=True, split_blocks=True)


#: events one part of the features may group per GiB of DuckDB's memory limit, see
#: :func:`feature_parts`
EVENTS_PER_GIB = 20_000_000

_UNITS = {"B": 1, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40,
          "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}  # fmt: skip


def memory_limit_bytes(con: duckdb.DuckDBPyConnection) -> int:
    """DuckDB's ``memory_limit`` in bytes (it reports e.g. ``'2.7 GiB'``)."""
    text = str(con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
    number, _, unit = text.strip().partition(" ")
    return int(float(number) * _UNITS.get(unit.strip().upper() or "B", 1))


def feature_parts(con: duckdb.DuckDBPyConnection, events_per_gib: int | None = None) -> int:
    """How many parts the features of this store are computed in (see
    ``features.computed_features``): one per ``events_per_gib`` events per GiB of memory limit.

    Grouping the events into visits holds every visit's running aggregates at once; beyond
    the memory limit DuckDB spills them to disk, and a shop ten times the benchmark's size
    filled more than 50 GB of scratch disk that way. In parts, each grouping fits.
    """
    events = int(con.execute("SELECT count(*) FROM events").fetchall()[0][0])
    per_part = (events_per_gib or EVENTS_PER_GIB) * memory_limit_bytes(con) / 2**30
    return max(1, math.ceil(events / per_part))


def release_cached_memory(store: Store, floor: str = "256MB") -> None:
    """Make DuckDB evict cached buffers, then restore its memory limit.

    A store whose data lives in memory cannot go below its size; DuckDB refuses and nothing
    changes, which is fine.

    The limit is the database's, not a connection's: two threads doing this at once (two
    dashboard requests reading the events) left it at the floor for good, the second having
    read the first one's floor as the limit to restore. So one thread at a time lowers and
    restores it. And DuckDB shows the limit cut to one decimal (``18.8 GiB`` for 18.86):
    restored from that text it shrank a little each time, so it is restored to the middle of
    what the text stands for (18.85 GiB), which DuckDB shows as the same text again."""
    if store.path == ":memory:":
        return
    read = "SELECT current_setting('memory_limit')"
    with _RELEASING:
        limit = _middle(str(store.scalar(read)))
        try:
            store.execute(f"SET memory_limit = '{floor}'")
        except duckdb.Error:
            return
        finally:
            store.execute(f"SET memory_limit = '{limit}'")


#: one lowering of the memory limit at a time (see :func:`release_cached_memory`)
_RELEASING = threading.Lock()


def _middle(shown: str) -> str:
    """The middle of the limits DuckDB shows as ``shown`` (``2.7 GiB``: 2.75 GiB), or
    ``shown`` itself when it is no number with one decimal and a unit."""
    found = re.fullmatch(r"(\d+)\.(\d) ?([A-Za-z]+)", shown.strip())
    if not found:
        return shown
    whole, tenth, unit = found.groups()
    return f"{whole}.{tenth}5 {unit}"
