"""Arrow's allocator for shopperlens' own pandas and Arrow work.

pandas 3 keeps text in Arrow, so the rules' evidence sentences (millions of short strings)
are allocated by pyarrow's default pool, mimalloc. In a fresh process every page mimalloc
takes from the kernel is a page fault, and with transparent huge pages in ``madvise`` mode
(common on Linux servers) those faults cost: typing 447,593 subjects spent 0.44–0.55 s of
system time in its first call and 0.1 s in its second. On the glibc allocator (Arrow's
``system`` pool) the first call takes 1.05 s instead of 1.3–1.4 s, and later calls are as
fast as on mimalloc.

:func:`system_pool` makes the glibc pool Arrow's default for the length of a block and puts
the caller's pool back afterwards, so shopperlens does not choose the allocator of the
process it runs in. Buffers remember the pool that allocated them and return memory to it,
whenever they are freed. Overlapping blocks (threads of the API server) share one switch:
the caller's pool comes back when the last of them ends. A pool chosen with the
``ARROW_DEFAULT_MEMORY_POOL`` environment variable is left alone.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

import pyarrow as pa

_lock = threading.Lock()
_users = 0
_saved: pa.MemoryPool | None = None

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def system_pool() -> Iterator[None]:
    """Arrow allocates from the glibc pool inside the block (see the module's docstring)."""
    global _users, _saved
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        yield
        return
    with _lock:
        if _users == 0:
            _saved = pa.default_memory_pool()
            pa.set_memory_pool(pa.system_memory_pool())
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0 and _saved is not None:
                pa.set_memory_pool(_saved)
                _saved = None


def on_system_pool(func: F) -> F:
    """Run ``func`` inside :func:`system_pool`."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with system_pool():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
