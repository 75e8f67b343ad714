"""Frames read from the store once for a whole report instead of once per table on it.

A report's playbook page shows the playbook, the sources, the funnel, the exit pages, the
abandoned carts, support and retention; each service function reads the events, the orders
and builds the visits on its own, as it must when called alone (one CLI command, one HTTP
request). On a shop of 300,000 customers and 15 million events each read of the events took
about 25 s, and the page made a dozen of them. Within :func:`shared_reads` the first read is
kept and every later one gets it again.

Each caller gets a shallow copy (``DataFrame.copy(deep=False)``): with pandas' copy-on-write
a column it adds or a value it sets stays its own, so no caller sees another's changes. The
block is meant for one reader of an unchanging store (a report being written): a write while
it is open is not seen by the frames already read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import pandas as pd

from shopperlens.store import Store

_Read = TypeVar("_Read", pd.DataFrame, tuple[pd.DataFrame, ...])
_FRAMES: ContextVar[dict[tuple[int, str], Any] | None] = ContextVar(
    "shopperlens_shared_frames", default=None
)


@contextmanager
def shared_reads() -> Iterator[None]:
    """Within the block, :func:`read_once` reads each frame once per store. Nested blocks share
    the outer block's frames."""
    if _FRAMES.get() is not None:
        yield
        return
    token = _FRAMES.set({})
    try:
        yield
    finally:
        _FRAMES.reset(token)


def read_once(store: Store, key: str, read: Callable[[], _Read]) -> _Read:
    """``read()`` (a frame, or a tuple of frames), or within :func:`shared_reads` shallow
    copies of its first result for this ``store`` and ``key``."""
    frames = _FRAMES.get()
    if frames is None:
        return read()
    slot = (id(store), key)
    if slot not in frames:
        frames[slot] = read()
    kept = frames[slot]
    if isinstance(kept, tuple):
        return tuple(f.copy(deep=False) for f in kept)  # type: ignore[return-value]
    return kept.copy(deep=False)  # type: ignore[return-value]
