"""Reading shop exports into the canonical tables, with DuckDB doing the heavy lifting.

One module per source format, and the shared machinery:

- ``reading``      — open a file as a DuckDB relation (layout, gzip, UTF-8, checksum)
- ``kinds``        — the seven import kinds: canonical columns, types, keys, checks
- ``generic``      — the generic format (CSV/TSV/Parquet/JSON Lines) and column mapping
- ``shopify``      — Shopify's "Export orders" CSV
- ``ga4``          — GA4's BigQuery export rows (JSON Lines or Parquet)
- ``uci_sessions`` — the UCI Online Shoppers Purchasing Intention sessions file
- ``rejects``      — rejected rows (file, line, column, value, reason), reused by surveys
- ``loading``      — staging, conflicts, idempotent inserts
- ``sessionize``   — sessions from events (30-minute cut) and identity stitching

The entry point is :func:`shopperlens.service.imports.import_files`.
"""

from shopperlens.ingest.kinds import CORE_EVENTS, KINDS, KNOWN_EVENTS
from shopperlens.ingest.rejects import Check, Reject, write_rejects

__all__ = ["CORE_EVENTS", "KINDS", "KNOWN_EVENTS", "Check", "Reject", "write_rejects"]
