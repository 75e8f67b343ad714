"""What is in the store: row counts per table and the import ledger."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from shopperlens.store import CANONICAL_TABLES, Store


class TableSummary(BaseModel):
    name: str
    rows: int


class ImportRecord(BaseModel):
    import_id: int
    kind: str
    format: str
    file: str
    checksum: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    #: stored orders whose status the file changed (a later export's refund or cancellation)
    status_changed: int = 0
    imported_at: datetime


#: the customer-profile tables listed after the canonical ones: surveys and their answers,
#: interview notes and personas are what the store holds too
PROFILE_TABLES: tuple[str, ...] = (
    "surveys",
    "survey_responses",
    "survey_answers",
    "interview_notes",
    "persona_runs",
    "personas",
)


def table_summaries(*, store: Store) -> list[TableSummary]:
    """Row count of every canonical table, then of the profile tables (:data:`PROFILE_TABLES`):
    a store holding 600 survey answers listed none of them. A profile table a store does not
    have (yet) holds 0 rows."""
    present = set(store.tables())
    return [TableSummary(name=t, rows=store.count(t)) for t in CANONICAL_TABLES] + [
        TableSummary(name=t, rows=store.count(t) if t in present else 0) for t in PROFILE_TABLES
    ]


def import_history(*, store: Store, limit: int = 100) -> list[ImportRecord]:
    """The import ledger, newest first."""
    df = store.df("SELECT * FROM imports ORDER BY import_id DESC LIMIT ?", [limit])
    df["status_changed"] = df["status_changed"].fillna(0).astype(int)
    fields = ImportRecord.model_fields
    return [
        ImportRecord(**{k: v for k, v in row.items() if k in fields})
        for row in df.to_dict(orient="records")
    ]
