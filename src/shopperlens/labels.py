"""How people-facing text writes ids and amounts: one display name per customer type, money
with the shop's currency.

Ids such as ``need_based`` stay in the data (JSON, CSV, segments); every report page, persona
card and persona statement shows the name from :data:`TYPE_LABELS` instead, so one type is
not spelt three ways. Money goes through :func:`money`, so every amount carries the same
currency mark. A top-level module (like ``errors``) so that both the report and the personas
concern can use it without one depending on the other.
"""

from __future__ import annotations

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


def money(value: Any, currency: str | None, digits: int = 0) -> str:
    """``EUR 1,234``: the amount with the shop's currency code, as the playbooks write it.

    A missing amount is a dash without a currency (there is no money to mark).
    """
    if value is None or value != value:  # None or NaN
        return "–"
    try:
        amount = f"{float(value):,.{digits}f}"
    except (TypeError, ValueError):
        return str(value)
    return f"{currency} {amount}" if currency else amount
