"""Argument checks the service functions share, so every face refuses a bad value alike.

The CLI, the Python API, the HTTP routes and the background jobs all pass user input straight
to the service; a value checked only in one face (a Typer ``min=``, a FastAPI ``Query(le=)``)
reached the others unchecked: a negative count became a slice, an unbounded horizon ran for
hours. Each check raises a :class:`~shopperlens.errors.ShopperlensError` naming the value.
"""

from __future__ import annotations

import math
import numbers

from shopperlens.errors import ShopperlensError


def whole(
    value: object,
    name: str,
    *,
    low: int,
    high: int | None = None,
    unit: str = "",
    hint: str = "",
    advice: str = "",
) -> int:
    """``value`` as an ``int`` when it is a whole number from ``low`` to ``high`` (inclusive;
    no upper bound when None), else an error naming ``name`` and the range. ``unit`` (e.g.
    ``"days"``), ``hint`` (after the range) and ``advice`` (at the end) only word it."""
    span = f"from {low:,} to {high:,}" if high is not None else f"of {low:,} or more"
    kind = f"whole number of {unit}" if unit else "whole number"
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not ok or value < low or (high is not None and value > high):  # type: ignore[operator]
        got = f"{value:,}" if ok else repr(value)
        raise ShopperlensError(f"{name} must be a {kind} {span}{hint}; got {got}{advice}")
    return int(value)  # type: ignore[arg-type]


def share(value: object, name: str, *, allow_zero: bool = True) -> float:
    """``value`` as a ``float`` when it is a share of 0 to 1 (above 0 unless ``allow_zero``),
    else an error naming ``name`` (NaN and infinities included)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    number = float(value) if ok else math.nan  # type: ignore[arg-type]
    low_ok = number >= 0 if allow_zero else number > 0
    if not (math.isfinite(number) and low_ok and number <= 1):
        span = "from 0 to 1" if allow_zero else "above 0 and at most 1"
        raise ShopperlensError(f"{name} must be a share {span} (0.05 = 5 %); got {value!r}")
    return number
