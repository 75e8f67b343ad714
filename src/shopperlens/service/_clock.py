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


def naive_utc(moment: datetime) -> datetime:
    """``moment`` in UTC without a zone, as the store keeps every time: an offset is converted
    (``10:00+02:00`` is 08:00) and a time without one is UTC already, as in every import.

    DuckDB reads an aware time in the machine's zone, and one in a list made the whole list
    zoned: a survey export's times were stored two hours late in Berlin, its plain ones too;
    compared with the naive stored times, an aware one raised a TypeError."""
    if moment.utcoffset() is None:
        return moment.replace(tzinfo=None)
    return moment.astimezone(UTC).replace(tzinfo=None)
