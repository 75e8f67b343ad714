"""The Spark engine: an Ibis PySpark backend over a copy of a store's canonical tables.

The features in :mod:`shopperlens.features` are Ibis expressions, so they run unchanged on
Spark once the tables exist there. :func:`spark_source` copies each table out of the DuckDB
store as Parquet (DuckDB writes it; Spark reads it) into a temporary directory and registers it
as a temporary view. Point it at a cluster's ``SparkSession`` for data that no longer fits one
machine; the store stays the system of record.

PySpark is an optional extra: ``pip install "shopperlens[spark]"`` (it needs Java 17).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from shopperlens.errors import ShopperlensError
from shopperlens.store.connection import CANONICAL_TABLES, Store


def _require_pyspark() -> Any:
    try:
        import pyspark.sql
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ShopperlensError(
            'the Spark engine needs PySpark: pip install "shopperlens[spark]" (and Java 17)'
        ) from exc
    return pyspark.sql


def local_session(app_name: str = "shopperlens") -> Any:
    """A local Spark session on every core, UTC, with a small shuffle (the CLI's default)."""
    sql = _require_pyspark()
    return (
        sql.SparkSession.builder.master("local[*]")
        .appName(app_name)
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


class SparkSource:
    """Canonical tables registered in a Spark session, handed out as Ibis tables.

    Use it as a context manager (or call :meth:`close`) to drop the Parquet copies.
    """

    def __init__(self, session: Any, directory: Path, names: Iterable[str]) -> None:
        import ibis

        self.session = session
        self.directory = directory
        self.names = tuple(names)
        self.backend = ibis.pyspark.connect(session)

    def table(self, name: str) -> Any:
        if name not in self.names:
            raise ShopperlensError(f"table {name!r} was not copied to Spark")
        return self.backend.table(name)

    def close(self) -> None:
        for name in self.names:
            self.session.catalog.dropTempView(name)
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> SparkSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def spark_source(
    store: Store, session: Any | None = None, *, tables: Iterable[str] = CANONICAL_TABLES
) -> SparkSource:
    """Copy ``tables`` from ``store`` into ``session`` (a local one when None)."""
    _require_pyspark()
    session = session or local_session()
    directory = Path(tempfile.mkdtemp(prefix="shopperlens-spark-"))
    names = list(tables)
    for name in names:
        path = directory / f"{name}.parquet"
        with store.cursor() as cur:
            cur.execute(f"COPY (SELECT * FROM \"{name}\") TO '{path}' (FORMAT parquet)")
        session.read.parquet(str(path)).createOrReplaceTempView(name)
    return SparkSource(session, directory, names)
