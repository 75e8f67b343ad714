"""The demo shop generated once per test session for every personas test module."""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def demo_shop() -> Any:
    from shopperlens import demo

    return demo.generate(seed=7)
