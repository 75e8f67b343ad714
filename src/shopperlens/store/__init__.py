"""Storage: the DuckDB connection, schema migrations and the choice of Ibis backend."""

from shopperlens.store.connection import CANONICAL_TABLES, Store, connect

__all__ = ["CANONICAL_TABLES", "Store", "connect"]
