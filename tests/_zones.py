"""Running a test in another time zone (``TZ`` and ``time.tzset``): stored times must not
depend on the machine's zone, so the time tests run west (New York) and east (Berlin) of UTC."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import shopperlens

ZONES = ("America/New_York", "Europe/Berlin")


@contextmanager
def in_zone(name: str) -> Iterator[str]:
    """The process runs in ``name``, restored after."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield name
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


@contextmanager
def zoned_shop(zone: str) -> Iterator[shopperlens.Shop]:
    """An in-memory shop opened in ``zone`` (its DuckDB session is in that zone, checked)."""
    s = shopperlens.open(":memory:")
    assert s.store.scalar("SELECT current_setting('TimeZone')") == zone
    try:
        yield s
    finally:
        s.close()
