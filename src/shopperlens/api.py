"""The Python face: ``shopperlens.open(path)`` returns a :class:`Shop`.

``Shop`` methods are thin: each calls one service function with this shop's store. Analyses
that need no store (the models) are importable directly from ``shopperlens.models``.
"""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

from shopperlens.config import Settings
from shopperlens.service import privacy as _privacy
from shopperlens.service import tables as _tables
from shopperlens.store import Store, connect


class Shop:
    """One shop's data and every analysis over it."""

    def __init__(self, store: Store, settings: Settings | None = None) -> None:
        self.store = store
        self.settings = settings or Settings(db=Path(store.path))

    def __repr__(self) -> str:
        return f"Shop({self.store.path!r})"

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Shop:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- tables ----------------------------------------------------------------------------
    def tables(self) -> builtins.list[_tables.TableSummary]:
        """Row count of every canonical table."""
        return _tables.table_summaries(store=self.store)

    def imports(self) -> builtins.list[_tables.ImportRecord]:
        """The import ledger, newest first."""
        return _tables.import_history(store=self.store)

    def sql(self, query: str, params: Any = None) -> Any:
        """Run SQL against the store and return a pandas DataFrame."""
        return self.store.df(query, params)

    # -- privacy ---------------------------------------------------------------------------
    def erase_customer(
        self, customer_id: str | None = None, *, email: str | None = None
    ) -> _privacy.ErasureReport:
        """Delete every row about one customer from every table."""
        return _privacy.erase_customer(store=self.store, customer_id=customer_id, email=email)


def open(path: str | Path = ":memory:", *, settings: Settings | None = None) -> Shop:  # noqa: A001
    """Open the shop stored at ``path`` (created when missing; ``":memory:"`` for a scratch one)."""
    return Shop(connect(path), settings)
