"""Lowering DuckDB's memory limit for a moment (to evict its cached buffers after a large
result) restores the limit the store had, however often and from however many threads: the
limit is the database's, and two threads at once left it at 256 MB for good."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from shopperlens.store import connect
from shopperlens.store.execute import release_cached_memory

LIMIT = "SELECT current_setting('memory_limit')"


def test_the_limit_is_the_same_after_many_releases(db_path) -> None:  # type: ignore[no-untyped-def]
    """DuckDB shows the limit rounded (``1.7 GiB``); restored from that text it shrank a
    little at each release."""
    with connect(db_path) as store:
        store.execute("SET memory_limit = '1234567891B'")
        shown = store.scalar(LIMIT)
        for _ in range(8):
            release_cached_memory(store)
        assert store.scalar(LIMIT) == shown


def test_threads_releasing_at_once_restore_the_limit(db_path) -> None:  # type: ignore[no-untyped-def]
    with connect(db_path) as store:
        store.execute("SET memory_limit = '3GB'")
        shown = store.scalar(LIMIT)
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda _: release_cached_memory(store), range(400)))
        assert store.scalar(LIMIT) == shown
