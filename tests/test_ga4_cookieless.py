"""GA4 BigQuery exports with cookieless pings (Google consent mode): events exported without
``user_pseudo_id`` and ``user_id`` (and mostly without ``ga_session_id``) belong to no visitor,
session or customer. They are left out of the store and counted in the file's note; the
export's other events are imported exactly as from an export without them, and no other format
changes (a generic events file without a visitor id is still rejected).

The planted exports are the GA4 test export (12 events of 2 users in 3 sessions) with
cookieless copies of some of its events among them, each at a time of its own."""

from __future__ import annotations

import json

import duckdb
import pytest

import shopperlens
from _ingest_data import GA4, counts, write
from shopperlens.service.imports import ImportRejected

RECORDS = [json.loads(line) for line in GA4.read_text("utf-8").splitlines()]


def _cookieless(record: dict, shift_us: int, *, keys: bool = True) -> dict:
    """``record`` as consent mode exports it for a visitor who declined cookies: no
    ``user_pseudo_id``, no ``user_id`` (null, or the keys absent when not ``keys``), no
    ``ga_session_id``, ``shift_us`` microseconds later than the original."""
    out = dict(record, user_pseudo_id=None, user_id=None)
    if not keys:
        del out["user_pseudo_id"], out["user_id"]
    out["event_timestamp"] = str(int(record["event_timestamp"]) + shift_us)
    out["event_params"] = [p for p in record["event_params"] if p["key"] != "ga_session_id"]
    return out


#: cookieless copies of a page view, the purchase (with its revenue and item) and the second
#: user's page view, planted after line 2, after line 7 and at the end of the export
PLANTED = {
    2: _cookieless(RECORDS[1], 500_000),
    7: _cookieless(RECORDS[6], 700_000),
    12: _cookieless(RECORDS[8], 900_000, keys=False),
}
COOKIELESS_TIMES = {int(r["event_timestamp"]) for r in PLANTED.values()}


def _lines(records: list[dict], planted: dict[int, dict]) -> list[str]:
    """``records`` as JSON Lines, ``planted[n]`` after the ``n``-th of them."""
    out = []
    for n, record in enumerate(records, start=1):
        out.append(json.dumps(record))
        if n in planted:
            out.append(json.dumps(planted[n]))
    return out


def _export(tmp_path, lines: list[str], layout: str = "jsonl"):  # type: ignore[no-untyped-def]
    """The lines as a GA4 export file of ``layout`` (JSON Lines, gzipped, or Parquet)."""
    text = "\n".join(lines) + "\n"
    if layout == "parquet":
        jsonl = write(tmp_path, "export.jsonl", text)
        path = tmp_path / "events_20240105.parquet"
        duckdb.sql(f"COPY (SELECT * FROM read_json('{jsonl}')) TO '{path}'")
        return path
    return write(tmp_path, f"events_20240105.{layout}", text)


def _stored(shop: shopperlens.Shop) -> tuple[list, list]:
    """The events and sessions a shop holds, in a fixed order."""
    events = shop.store.execute("SELECT * FROM events ORDER BY event_id").fetchall()
    sessions = shop.store.execute(
        "SELECT session_id, visitor_id, customer_id, started_at, ended_at, n_events, "
        "page_views, purchases FROM sessions ORDER BY session_id"
    ).fetchall()
    return events, sessions


@pytest.mark.parametrize("layout", ["jsonl", "jsonl.gz", "parquet"])
def test_cookieless_events_are_left_out_and_counted(shop, tmp_path, layout):
    """The 12 events of the two users land as from the export without the 3 cookieless ones
    (same events, same 3 sessions, the purchase still linked to its customer); the cookieless
    ones are not stored, no row is rejected, and the default ``abort`` imports the file, saying
    that 3 cookieless events were left out."""
    path = _export(tmp_path, _lines(RECORDS, PLANTED), layout)
    res = shop.import_events(path)  # on_error="abort"
    (file,) = res.files
    assert (file.format, file.rows_accepted, file.rows_rejected) == ("ga4", 12, 0)
    assert res.rows_rejected == 0 and res.rejects == []
    assert "3 cookieless events" in file.note and "left out" in file.note
    assert "user_pseudo_id" in file.note
    assert res.added == {"events": 12, "identities": 1, "sessions": 3}
    assert counts(shop, "events", "sessions", "identities") == {
        "events": 12,
        "sessions": 3,
        "identities": 1,
    }
    times = shop.store.execute("SELECT epoch_us(timestamp) FROM events").fetchall()
    assert not COOKIELESS_TIMES & {t for (t,) in times}
    unowned = "SELECT count(*) FROM events WHERE visitor_id IS NULL OR session_id IS NULL"
    assert shop.store.execute(unowned).fetchall() == [(0,)]
    with shopperlens.open(":memory:") as clean:
        clean.import_events(GA4)
        assert _stored(shop) == _stored(clean)


def test_importing_the_export_again_changes_nothing(shop, tmp_path):
    """The planted export imported twice: the second import is skipped and the store holds
    the same 12 events and 3 sessions."""
    path = _export(tmp_path, _lines(RECORDS, PLANTED))
    shop.import_events(path)
    before = _stored(shop)
    again = shop.import_events(path)
    assert again.files[0].skipped and again.added == {}
    assert _stored(shop) == before and len(before[0]) == 12


def test_an_export_of_cookieless_events_only_imports_nothing_and_says_so(shop, tmp_path):
    """A day on which every visitor declined cookies: 4 cookieless events and nothing else.
    The file is imported (not refused as a file without rows), adds nothing, and its note
    counts the 4 events left out."""
    only = [json.dumps(_cookieless(r, 1_000)) for r in RECORDS[:4]]
    res = shop.import_events(_export(tmp_path, only))
    (file,) = res.files
    assert (file.rows_accepted, file.rows_rejected) == (0, 0)
    assert "4 cookieless events" in file.note
    assert shop.store.count("events") == 0 and shop.store.count("sessions") == 0


def test_a_reject_among_cookieless_events_names_its_own_line(shop, tmp_path):
    """The second user's scroll event, on line 12 of the planted export (two cookieless events
    above it), has an event name GA4 does not have: it is the one reject, named by its physical
    line; ``skip`` stores the other 11 events and leaves out the 3 cookieless ones."""
    records = [dict(r) for r in RECORDS]
    records[9]["event_name"] = "my_event"  # the 10th event, after 2 planted lines
    path = _export(tmp_path, _lines(records, PLANTED))
    with pytest.raises(ImportRejected) as raised:
        shop.import_events(path)
    assert raised.value.total == 1
    assert [(r.line, r.column) for r in raised.value.rejects] == [(12, "event_name")]
    assert shop.store.count("events") == 0
    res = shop.import_events(path, on_error="skip")
    assert (res.rows_accepted, res.rows_rejected) == (11, 1)
    assert [(r.line, r.column) for r in res.rejects] == [(12, "event_name")]
    assert "3 cookieless events" in res.files[0].note


def test_a_malformed_record_among_cookieless_events_is_still_a_reject(shop, tmp_path):
    """A record cut short (not JSON) on line 5 of the planted export: it is rejected with its
    line, the 3 cookieless events are left out, and ``skip`` stores the 12 good events."""
    lines = _lines(RECORDS, PLANTED)
    lines.insert(4, lines[4][:80])
    path = _export(tmp_path, lines)
    res = shop.import_events(path, on_error="skip")
    assert (res.rows_accepted, res.rows_rejected) == (12, 1)
    assert [r.line for r in res.rejects] == [5]
    assert "malformed JSON" in res.rejects[0].reason
    assert "3 cookieless events" in res.files[0].note
    assert shop.store.count("events") == 12


def test_the_cli_imports_an_export_with_cookieless_events(cli, tmp_path):
    """``shopperlens import events`` on the planted export exits 0 and prints how many
    cookieless events it left out and why."""
    res = cli("import", "events", str(_export(tmp_path, _lines(RECORDS, PLANTED))))
    assert res.exit_code == 0, res.output
    said = " ".join(res.output.split())
    assert "3 cookieless events left out (consent mode: no user_pseudo_id or user_id)" in said
    assert "events +12" in said


@pytest.mark.parametrize(
    ("name", "line", "text"),
    [
        (
            "events.csv",
            3,
            "event_id,visitor_id,customer_id,timestamp,event_name\n"
            "e1,v1,,2024-01-05 09:00:00,page_view\n"
            "e2,,,2024-01-05 09:05:00,page_view\n",
        ),
        (
            "events.jsonl",
            2,
            '{"event_id": "e1", "visitor_id": "v1", "timestamp": "2024-01-05 09:00:00", '
            '"event_name": "page_view"}\n'
            '{"event_id": "e2", "visitor_id": null, "customer_id": null, '
            '"timestamp": "2024-01-05 09:05:00", "event_name": "page_view"}\n',
        ),
    ],
)
def test_a_generic_events_file_without_a_visitor_is_still_rejected(
    shop, tmp_path, name, line, text
):
    """A generic events file (CSV, JSON Lines) whose second event has neither visitor_id nor
    customer_id: that row is a reject (``visitor_id: missing value``) named by its line, the
    default ``abort`` stores nothing, ``skip`` stores the other event."""
    path = write(tmp_path, name, text)
    with pytest.raises(ImportRejected, match=rf"{name}:{line} visitor_id: missing value"):
        shop.import_events(path)
    assert shop.store.count("events") == 0
    res = shop.import_events(path, on_error="skip")
    assert res.files[0].format == "generic"
    assert (res.rows_accepted, res.rows_rejected, res.files[0].note) == (1, 1, "")
