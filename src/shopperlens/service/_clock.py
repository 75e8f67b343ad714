"""The store's clock: naive UTC for every time the store compares with another.

The imports ledger records ``imported_at`` in UTC, and a stored run counts as current only
when it was computed after the last import. A run stamped with the machine's local time looked
newer than an import for hours east of UTC (the report kept customer value from before the
import) and older for hours west of it (CLV was fitted again on every page).
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now, in UTC, without a zone (DuckDB ``TIMESTAMP``), as the ledger and runs store it."""
    return datetime.now(UTC).replace(tzinfo=None)
