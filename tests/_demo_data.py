"""Demo shops generated once per test session and shared by every module that needs one.

Generating the default shop takes a few seconds; tests treat the frames as read-only.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def demo_shop(n_customers: int = 1500) -> Any:
    from shopperlens import demo

    return demo.generate(seed=7, n_customers=n_customers)
