"""How people-facing text writes ids and amounts: one display name per customer type, money
with the shop's currency.

Ids such as ``need_based`` stay in the data (JSON, CSV, segments); every report page, persona
card and persona statement shows the name from :data:`TYPE_LABELS` instead, so one type is
not spelt three ways. Money goes through :func:`money`, so every amount carries the same
currency mark and never more decimals than the currency has (:func:`minor_units`: no yen
cents). A top-level module (like ``errors``) so that both the report and the personas
concern can use it without one depending on the other.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from shopperlens.types import UNTYPED
from shopperlens.types import movements as mv

#: the display name of each customer type (and of the states the types page adds)
TYPE_LABELS: dict[str, str] = {
    "need_based": "Need-based", "looker": "Looker", "new": "New", "loyal": "Loyal",
    "impulse": "Impulse", UNTYPED: "Not typed yet", mv.LAPSED: "Lapsed (loyal)",
    mv.UNSEEN: "Not seen yet",
}  # fmt: skip


def type_label(value: Any) -> str:
    """The display name of a type id; other values (``not a customer``) with ``_`` as spaces."""
    text = str(value)
    return TYPE_LABELS.get(text, text.replace("_", " "))


#: currencies whose minor unit is not the cent (ISO 4217, list one, its "minor unit"
#: column): none for the yen, won, króna, Chilean peso, dong …, a thousandth for the dinars
#: and rials; every other currency has two decimals
MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(
        ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
         "VND", "VUV", "XAF", "XOF", "XPF"),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}  # fmt: skip
#: the decimals of a currency not in :data:`MINOR_UNITS`
CENTS = 2


def minor_units(currency: str | None) -> int:
    """How many decimals ``currency`` (an ISO 4217 code) has: 0 for ``JPY``, 3 for ``KWD``,
    2 for ``EUR`` and any code not listed."""
    return MINOR_UNITS.get(str(currency or "").strip().upper(), CENTS)


def money(value: Any, currency: str | None, digits: int = 0, *, code: bool = True) -> str:
    """``EUR 1,234``: the amount with the shop's currency code, as the playbooks write it.

    ``digits`` is how many decimals the figure calls for (0 for totals, 2 for an amount per
    order), never more than the currency has (:func:`minor_units`): ``+JPY 664 per order``,
    not ``JPY 664.06``. ``code=False`` leaves the code out (the upper end of ``EUR 20–25``).
    A missing amount is a dash without a currency (there is no money to mark).
    """
    if value is None or value != value:  # None or NaN
        return "–"
    digits = min(digits, minor_units(currency))
    try:
        amount = fixed(float(value), digits)
    except (TypeError, ValueError):
        return str(value)
    return f"{currency} {amount}" if currency and code else amount


def fixed(value: float, digits: int = 0) -> str:
    """``1,234.57``: ``value`` to ``digits`` decimals, an exact half rounded away from zero.

    Python's own ``f"{v:,.0f}"`` rounds a half to the even neighbour (337.5 to 338 but 182.5
    to 182, side by side in one table); an amount of money is rounded the way people and
    spreadsheets round it (182.5 → 183, −2.5 → −3). The half is the one written: 1.005 (a
    binary float a hair below it) shows as 1.01, as it reads. A total that rounds to zero shows
    ``0``, never ``-0``.
    """
    if not math.isfinite(value):
        return f"{value:,.{digits}f}"
    rounded = _half_up(value, digits)
    return f"{rounded.copy_abs() if rounded.is_zero() else rounded:,.{digits}f}"


def half_up(value: float, digits: int = 0) -> float:
    """``value`` to ``digits`` decimals as :func:`fixed` writes it, as a number (an edge of a
    band of amounts, a figure a table formats later); not finite: unchanged."""
    if not math.isfinite(value):
        return value
    rounded = float(_half_up(value, digits))
    return 0.0 if rounded == 0 else rounded


def percent(share: float, digits: int = 0) -> str:
    """``share`` (a fraction: 0.025) as the percentage every page writes (``3``), its sign
    left to the caller (``3 %`` on a page, ``3%`` in a table), an exact half away from zero.

    ``f"{100 * share:.0f}"`` rounds a half to the even neighbour, and multiplies in binary
    first: 1 of 40 (2.5 %) showed "2 %", 13 of 200 (6.5 %) "6 %", 3 of 40 (7.5 %) "8 %". The
    share is taken as written (``repr``; a count over a count is the nearest float to the exact
    fraction, which writes it exactly when it has few digits) and moved two places in decimal,
    then rounded as :func:`fixed` rounds money. A share that rounds to zero shows ``0``,
    never ``-0``.
    """
    value = float(share)
    if not math.isfinite(value):
        return f"{100 * value:.{digits}f}"
    rounded = _half_up(value, digits, shift=2)
    return f"{rounded.copy_abs() if rounded.is_zero() else rounded:.{digits}f}"


def _half_up(value: float, digits: int, shift: int = 0) -> Decimal:
    """The half as written (``repr``), its point moved ``shift`` places right in decimal (2: a
    share as a percentage), rounded away from zero."""
    exact = Decimal(repr(value)).scaleb(shift)
    with localcontext() as ctx:
        ctx.prec = max(ctx.prec, exact.adjusted() + digits + 2)  # room for every digit kept
        return exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
