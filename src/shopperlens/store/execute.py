"""Running an Ibis expression on the store's DuckDB into pandas, with little memory.

``expr.execute()`` is right for small results; for a features frame of a million customers it
holds DuckDB's result, an Arrow copy and a converted pandas copy at once. :func:`to_pandas`
compiles the expression once, fetches Arrow and converts it while freeing it (pyarrow's
``self_destruct``). After a large result it also lets DuckDB hand back the buffers it keeps
cached (by lowering ``memory_limit`` for a moment), so the pandas work that follows does not
stack on top of the query's peak.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    import pandas as pd

    from shopperlens.store.connection import Store

#: results with at least this many rows trigger :func:`release_cached_memory`
LARGE_RESULT = 200_000


def to_pandas(
    store: Store, expr: Any, con: duckdb.DuckDBPyConnection | None = None
) -> pd.DataFrame:
    """Execute an Ibis table expression built on ``store.table(...)`` and return pandas.

    ``con``: the connection to run it on (one whose temporary tables the expression reads);
    default a fresh cursor of the store.
    """
    import ibis

    sql = str(ibis.to_sql(expr, dialect="duckdb"))
    with nullcontext(con) if con is not None else store.cursor() as cur:
        table = cur.sql(sql).to_arrow_table()
    if table.num_rows >= LARGE_RESULT:
        release_cached_memory(store)
    return table.to_pandas(self_destruct=True, split_blocks=True)


def release_cached_memory(store: Store, floor: str = "256MB") -> None:
    """Make DuckDB evict cached buffers, then restore its memory limit.

    A store whose data lives in memory cannot go below its size; DuckDB refuses and nothing
    changes, which is fine.
    """
    if store.path == ":memory:":
        return
    limit = store.scalar("SELECT current_setting('memory_limit')")
    try:
        store.execute(f"SET memory_limit = '{floor}'")
    except duckdb.Error:
        return
    finally:
        store.execute(f"SET memory_limit = '{limit}'")
