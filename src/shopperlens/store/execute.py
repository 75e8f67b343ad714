"""Running an Ibis expression on the store's DuckDB into pandas, with little memory.

``expr.execute()`` is right for small results; for a features frame of a million customers it
holds DuckDB's result, an Arrow copy and a converted pandas copy at once. :func:`to_pandas`
compiles the expression once, fetches Arrow and converts it while freeing it (pyarrow's
``self_destruct``), which keeps the peak near DuckDB's own working memory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from shopperlens.store.connection import Store


def to_pandas(store: Store, expr: Any) -> pd.DataFrame:
    """Execute an Ibis table expression built on ``store.table(...)`` and return pandas."""
    import ibis

    sql = str(ibis.to_sql(expr, dialect="duckdb"))
    with store.cursor() as cur:
        table = cur.sql(sql).to_arrow_table()
    return table.to_pandas(self_destruct=True, split_blocks=True)
