"""GA4's BigQuery export (``events_YYYYMMDD`` rows) -> the events kind.

Rows come as JSON Lines (``bq extract --destination_format NEWLINE_DELIMITED_JSON``) or
Parquet. Both are read with one fixed schema (:data:`GA4_TYPES`; struct casts are by name, so
fields a file lacks become NULL). Mapping:

- ``user_pseudo_id`` -> visitor_id, ``user_id`` -> customer_id (identity stitching),
- ``event_timestamp`` (µs since the epoch, UTC) -> timestamp,
- ``event_params``: ``page_location`` -> page (its path), ``ga_session_id`` -> session_id
  (``<user_pseudo_id>:<ga_session_id>``, unique per user as GA4 defines it), ``search_term``,
  ``source``/``medium``/``campaign``/``term`` -> utm_* (falling back on the event's
  ``collected_traffic_source``). ``traffic_source`` is left alone: it is the source that first
  brought the *user*, the same on every later visit, so it would credit a direct visit months
  later to the first ad,
  ``value`` -> value (``ecommerce.purchase_revenue`` first),
- ``items[1].item_id`` -> product_id, ``device.category`` -> device.

GA4 has no event id; a hash of the event's identity (visitor, µs timestamp, name, bundle,
page, item) makes one, so re-importing an overlapping export adds only the new events.

Cookieless pings: with Google consent mode, a visitor who declines analytics cookies still
sends events, exported with neither ``user_pseudo_id`` nor ``user_id`` (and mostly without
``ga_session_id``). Such an event belongs to no visitor, session or customer, and no fix of the
export can give it one: :func:`raw_select` leaves it out instead of rejecting it, and
:func:`left_out` counts what it left out so the import can say so (:func:`left_out_note`).
A row without a visitor that is no event either (no ``event_name`` or ``event_timestamp``,
such as the row of NULLs a malformed record is read as) is still read, and rejected.
"""

from __future__ import annotations

import duckdb

from shopperlens.errors import ShopperlensError
from shopperlens.ingest.generic import line_sql
from shopperlens.ingest.kinds import KINDS, no_value_sql
from shopperlens.ingest.reading import Source
from shopperlens.ingest.rejects import ident

_VALUE = "STRUCT(string_value VARCHAR, int_value BIGINT, float_value DOUBLE, double_value DOUBLE)"
GA4_TYPES: dict[str, str] = {
    "event_date": "VARCHAR",
    "event_timestamp": "BIGINT",
    "event_name": "VARCHAR",
    "event_params": f"STRUCT(key VARCHAR, value {_VALUE})[]",
    "event_bundle_sequence_id": "BIGINT",
    "user_pseudo_id": "VARCHAR",
    "user_id": "VARCHAR",
    "device": "STRUCT(category VARCHAR, operating_system VARCHAR)",
    "collected_traffic_source": (
        "STRUCT(manual_source VARCHAR, manual_medium VARCHAR, manual_campaign_name VARCHAR, "
        "manual_term VARCHAR)"
    ),
    "ecommerce": "STRUCT(purchase_revenue DOUBLE, transaction_id VARCHAR)",
    "items": "STRUCT(item_id VARCHAR, item_name VARCHAR, price DOUBLE, quantity BIGINT)[]",
}
SIGNATURE: tuple[str, ...] = ("event_name", "user_pseudo_id")
REQUIRED: tuple[str, ...] = ("event_timestamp", "event_name", "user_pseudo_id")


def json_columns() -> str:
    """The ``columns=`` argument of ``read_json`` fixing the GA4 schema."""
    inner = ", ".join(f"'{k}': '{v}'" for k, v in GA4_TYPES.items())
    return "{" + inner + "}"


#: events column -> the export's field a reject names (a parameter as ``event_params.KEY``)
FILE_COLUMNS: dict[str, str] = {
    "session_id": "event_params.ga_session_id",
    "visitor_id": "user_pseudo_id",
    "customer_id": "user_id",
    "timestamp": "event_timestamp",
    "page": "event_params.page_location",
    "product_id": "items.item_id",
    "utm_source": "event_params.source",
    "utm_medium": "event_params.medium",
    "utm_campaign": "event_params.campaign",
    "utm_term": "event_params.term",
    "device": "device.category",
    "search_term": "event_params.search_term",
    "value": "ecommerce.purchase_revenue",
}


def looks_like(columns: tuple[str, ...]) -> bool:
    return set(SIGNATURE) <= set(columns)


def _param(key: str) -> str:
    v = f"list_filter(event_params, lambda p: p.key = '{key}')[1].value"
    return (
        f"coalesce({v}.string_value, CAST({v}.int_value AS VARCHAR), "
        f"CAST({v}.double_value AS VARCHAR), CAST({v}.float_value AS VARCHAR))"
    )


def _id_sql(column: str) -> str:
    """SQL: TRUE when ``column`` holds an id (not NULL, blank or a word for "no value": what the
    events kind reads as a missing id, see ``kinds.NO_ID_WORDS``)."""
    return f"({column} IS NOT NULL AND NOT {no_value_sql(f'trim({column})')})"


#: SQL on a GA4 row: TRUE for a cookieless ping (see the module's docstring), an event without
#: a visitor id (neither ``user_pseudo_id`` nor ``user_id``) to tie it to anyone
COOKIELESS = (
    f"NOT {_id_sql('user_pseudo_id')} AND NOT {_id_sql('user_id')} "
    "AND event_name IS NOT NULL AND event_timestamp IS NOT NULL"
)


def _typed(source: Source) -> str:
    """The GA4 columns of ``source``'s rows, typed as :data:`GA4_TYPES` (NULL where it lacks
    one); refuses a file without the columns every GA4 export has."""
    missing = [c for c in REQUIRED if c not in source.columns]
    if missing:
        raise ShopperlensError(
            f"{source.name}: not a GA4 BigQuery export, missing {', '.join(missing)}"
        )
    return ", ".join(
        f"CAST({ident(k)} AS {t}) AS {ident(k)}"
        if k in source.columns
        else f"NULL::{t} AS {ident(k)}"
        for k, t in GA4_TYPES.items()
    )


def left_out(con: duckdb.DuckDBPyConnection, source: Source) -> int:
    """How many rows of ``source`` :func:`raw_select` leaves out: the cookieless pings.

    A read of the two id columns and the event's name and time (Parquet reads only those; JSON
    Lines is parsed again)."""
    return int(
        con.execute(  # type: ignore[index]
            f"SELECT count(*) FROM (SELECT {_typed(source)} FROM {source.relation}) "
            f"WHERE {COOKIELESS}"
        ).fetchone()[0]
    )


def left_out_note(n: int) -> str:
    """What an import says of the ``n`` cookieless pings it left out ("" for none)."""
    if not n:
        return ""
    events = "1 cookieless event" if n == 1 else f"{n:,} cookieless events"
    return (
        f"{events} left out (consent mode: no user_pseudo_id or user_id): the events of "
        "visitors who declined analytics cookies belong to no visitor, session or customer"
    )


def raw_select(source: Source) -> str:
    """``_line`` + ``_r_<events column>`` text columns from GA4 export rows, the cookieless
    pings left out (``_line`` still counts them: it is the row's place in the file)."""
    typed = _typed(source)
    location = _param("page_location")
    session = _param("ga_session_id")
    fields = {
        "event_id": (
            "'ga4-' || left(md5(concat_ws('|', user_pseudo_id, event_timestamp, event_name, "
            f"event_bundle_sequence_id, {session}, {location}, items[1].item_id)), 20)"
        ),
        "session_id": f"user_pseudo_id || ':' || {session}",
        "visitor_id": "user_pseudo_id",
        "customer_id": "user_id",
        "timestamp": "make_timestamp(event_timestamp)",
        "event_name": "event_name",
        "page": (
            f"coalesce(NULLIF(regexp_extract({location}, '^[a-z]+://[^/]+(/[^?#]*)', 1), ''), "
            f"CASE WHEN {location} LIKE '%://%' THEN '/' ELSE {location} END)"
        ),
        "product_id": "items[1].item_id",
        "utm_source": f"coalesce({_param('source')}, collected_traffic_source.manual_source)",
        "utm_medium": f"coalesce({_param('medium')}, collected_traffic_source.manual_medium)",
        "utm_campaign": (
            f"coalesce({_param('campaign')}, collected_traffic_source.manual_campaign_name)"
        ),
        "utm_term": f"coalesce({_param('term')}, collected_traffic_source.manual_term)",
        "device": "device.category",
        "search_term": _param("search_term"),
        "value": f"coalesce(ecommerce.purchase_revenue, TRY_CAST({_param('value')} AS DOUBLE))",
    }
    cols = ", ".join(
        f"CAST({fields.get(c.name, 'NULL')} AS VARCHAR) AS {ident('_r_' + c.name)}"
        for c in KINDS["events"].columns
    )
    return (
        f"SELECT _line, {cols} FROM (SELECT {line_sql(source)} AS _line, {typed} "
        f"FROM {source.relation}) WHERE NOT ({COOKIELESS})"
    )
