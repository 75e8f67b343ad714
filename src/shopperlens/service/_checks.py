"""Argument checks the service functions share, so every face refuses a bad value alike.

The CLI, the Python API, the HTTP routes and the background jobs all pass user input straight
to the service; a value checked only in one face (a Typer ``min=``, a FastAPI ``Query(le=)``)
reached the others unchecked: a negative count became a slice, an unbounded horizon ran for
hours. Each check raises a :class:`~shopperlens.errors.ShopperlensError` naming the value.
"""

from __future__ import annotations

import math
import numbers
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from shopperlens.errors import InsufficientDataError, ShopperlensError

if TYPE_CHECKING:
    from shopperlens.store import Store

#: the dated records of a shop, by table and time column: where "the shop's data starts"
#: (a customer without ``created_at`` has no date, and never counts as having happened)
DATED = {"orders": "ordered_at", "events": '"timestamp"', "customers": "created_at"}


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


def number(
    value: object, name: str, *, low: float, high: float, unit: str, hint: str = ""
) -> float:
    """``value`` as a ``float`` when it is a finite number from ``low`` to ``high``
    (inclusive), else an error naming ``name``, the range in ``unit`` (``hint`` after it) and
    the value (NaN and infinities included: unchecked, they failed later as a raw error)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    got = float(value) if ok else math.nan  # type: ignore[arg-type]
    if not (math.isfinite(got) and low <= got <= high):
        said = f"{got:g}" if ok else repr(value)  # nan, inf, -1: not np.float64(nan)
        raise ShopperlensError(
            f"{name} must be a number of {unit} from {low:,} to {high:,}{hint}; got {said}"
        )
    return got


#: how :func:`share` words its range, by ``(allow_zero, allow_one)``
_SHARE_SPANS = {
    (True, True): "from 0 to 1",
    (False, True): "above 0 and at most 1",
    (True, False): "of 0 or more and below 1",
    (False, False): "above 0 and below 1",
}


def share(value: object, name: str, *, allow_zero: bool = True, allow_one: bool = True) -> float:
    """``value`` as a ``float`` when it is a share of 0 to 1 (above 0 unless ``allow_zero``,
    below 1 unless ``allow_one``), else an error naming ``name`` (NaN and infinities
    included)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    number = float(value) if ok else math.nan  # type: ignore[arg-type]
    low_ok = number >= 0 if allow_zero else number > 0
    high_ok = number <= 1 if allow_one else number < 1
    if not (math.isfinite(number) and low_ok and high_ok):
        span = _SHARE_SPANS[allow_zero, allow_one]
        raise ShopperlensError(f"{name} must be a share {span} (0.05 = 5 %); got {value!r}")
    return number


def data_start(store: Store, tables: dict[str, str] = DATED) -> datetime | None:
    """The earliest dated record of ``tables`` (``{table: time column}``); None when none
    holds a dated row."""
    firsts = " UNION ALL ".join(
        f"SELECT min({col}) AS t FROM {table}" for table, col in tables.items()
    )
    return store.scalar(f"SELECT min(t) FROM ({firsts})")  # type: ignore[no-any-return]


def check_started(store: Store, as_of: datetime) -> None:
    """Refuse a cut-off the shop has no order, event or customer before: the analysis would
    see an empty shop, say "import them first" of data that is there, and store an empty run
    as if it were a finding. A store with no dated data at all is left to the caller's own
    "import first" message."""
    start = data_start(store)
    if start is not None and start >= as_of:
        raise InsufficientDataError(
            f"nothing happened before {as_of:%Y-%m-%d}: the shop's data starts on "
            f"{start:%Y-%m-%d}; choose a later date"
        )


def check_orders_by(store: Store, day: datetime) -> None:
    """Refuse a day the shop has no order on or before (its orders count, whatever their
    time), naming the first order's day: "import orders first" would be wrong when they are
    imported."""
    start = data_start(store, {"orders": "ordered_at"})
    if start is not None and start >= day + timedelta(days=1):
        raise InsufficientDataError(
            f"no orders on or before {day:%Y-%m-%d}: the shop's first order is on "
            f"{start:%Y-%m-%d}; choose a later date"
        )
