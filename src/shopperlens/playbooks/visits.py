"""The visits the playbooks read: one row per session, and the few events read one by one.

The funnel, the exit pages, the sources and keywords, the abandoned carts and the onboarding
figures all start from a shop's events. Read whole into pandas, those of a shop of 15 million
events took most of a report's 9 GB of memory, and a shop of 50 million would not fit a 24 GB
machine. Yet what the tables read of most events is a per-session summary: when a visit began
and ended, its first source, medium, campaign and keyword, the furthest funnel step it reached,
its last page. Only purchases, cart adds and removals and sign-ups are read event by event.

So :class:`Visits` holds those two frames (and the customers its events name), and
:func:`sessions_sql` computes the summary where
the events are: the service runs it in the store (DuckDB groups the events, pandas receives a
row per session), and :meth:`Visits.of` runs the same statement over an events frame on an
in-memory DuckDB, so a frame and a store give the same visits by one code path.

"First" and "last" follow the events' time, ties by event id as an import orders them
(``ingest.sessionize``; a frame without ``event_id`` by its row order), never by the order the
rows happen to be stored in: a session's source is the first source any of its events names, its
keyword the first non-empty ``utm_term``, its exit page the page of its last event with one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow.compute as pc
from pandas.api.types import is_numeric_dtype

from shopperlens.statuses import SESSION_GAP_MINUTES

__all__ = [
    "CART_REMOVALS",
    "FUNNEL_STEPS",
    "KEY_EVENTS",
    "SIGN_UPS",
    "SESSION_COLUMNS",
    "Visits",
    "among",
    "customers_sql",
    "cut_sql",
    "key_events_sql",
    "names_sql",
    "sessions_sql",
    "until_first_order",
    "visits_of",
]

#: event names (lower case) meaning each funnel step; sources use different vocabularies
FUNNEL_STEPS: dict[str, tuple[str, ...]] = {
    "view": ("view_item", "product_view", "product_viewed", "view_product"),
    "cart": ("add_to_cart", "cart_add", "added_to_cart"),
    "checkout": ("begin_checkout", "checkout", "checkout_started", "add_payment_info",
                 "add_shipping_info"),
    "purchase": ("purchase", "order", "order_completed", "checkout_completed"),
}  # fmt: skip
#: event names (lower case) taking a product out of the cart
CART_REMOVALS: tuple[str, ...] = ("remove_from_cart", "cart_remove", "removed_from_cart")
#: event names (lower case) meaning a sign-up: GA4's ``sign_up`` and its spellings elsewhere
SIGN_UPS: tuple[str, ...] = ("sign_up", "signup", "signed_up")
#: the events read one by one (:attr:`Visits.events`): purchases, cart adds and removals,
#: sign-ups
KEY_EVENTS: tuple[str, ...] = (
    *FUNNEL_STEPS["purchase"], *FUNNEL_STEPS["cart"], *CART_REMOVALS, *SIGN_UPS
)  # fmt: skip

#: the columns of :attr:`Visits.sessions`
SESSION_COLUMNS = (
    "session_id", "visitor_id", "customer_id", "started_at", "ended_at", "source", "medium",
    "campaign", "keyword", "search_term", "level", "level_unbought", "checkout_event",
    "exit_page",
)  # fmt: skip
#: the columns of :attr:`Visits.events`
EVENT_COLUMNS = ("session_id", "visitor_id", "customer_id", "timestamp", "event_name",
                 "product_id", "value")  # fmt: skip
#: the columns an events frame is read by (:meth:`Visits.of`); missing ones are empty
_FRAME_COLUMNS = ("session_id", "visitor_id", "customer_id", "timestamp", "event_name", "page",
                  "product_id", "utm_source", "utm_medium", "utm_campaign", "utm_term",
                  "search_term", "value")  # fmt: skip


def names_sql(names: tuple[str, ...]) -> str:
    """``names`` as an SQL list of text literals (without its parentheses)."""
    return ", ".join("'" + n.replace("'", "''") + "'" for n in names)


def _level(*, purchase: int) -> str:
    """The funnel step an event is (0: none, 1 view … 4 purchase); a purchase counts as
    ``purchase``."""
    cases = [
        f"WHEN name IN ({names_sql(FUNNEL_STEPS['purchase'])}) THEN {purchase}",
        f"WHEN name IN ({names_sql(FUNNEL_STEPS['checkout'])}) THEN 3",
        f"WHEN name IN ({names_sql(FUNNEL_STEPS['cart'])}) THEN 2",
        f"WHEN name IN ({names_sql(FUNNEL_STEPS['view'])}) THEN 1",
    ]
    return "CASE " + " ".join(cases) + " ELSE 0 END"


#: the events' order as one number, time then ``pos`` (a key of two columns made the grouping
#: 2.3 times slower)
_ORDER = 'epoch_us("timestamp")::HUGEINT * 1099511627776 + pos'


def sessions_sql(events: str) -> str:
    """One row per session of the relation ``events`` (:data:`SESSION_COLUMNS`).

    ``events`` has the columns of an events frame (:data:`_FRAME_COLUMNS`), the customer
    already resolved, and ``pos``, the events' order for ties in time; the sessions come in
    the order they started (a report is the same each time it is written). ``level`` is the
    furthest funnel step its events reach, ``level_unbought`` the same with purchase events
    left out (for a caller who knows from the orders which sessions bought)."""

    def first(column: str, where: str | None = None, alias: str | None = None) -> str:
        cond = where or f"{column} IS NOT NULL"
        return f"arg_min({column}, k) FILTER (WHERE {cond}) AS {alias or column}"

    return f"""
        SELECT session_id,
               {first("visitor_id")},
               {first("customer_id")},
               min("timestamp") AS started_at,
               max("timestamp") AS ended_at,
               {first("utm_source", alias="source")},
               {first("utm_medium", alias="medium")},
               {first("utm_campaign", alias="campaign")},
               {first("utm_term", "utm_term IS NOT NULL AND utm_term <> ''", "keyword")},
               {first("search_term")},
               max({_level(purchase=4)}) AS level,
               max({_level(purchase=0)}) AS level_unbought,
               coalesce(bool_or(name IN ({names_sql(FUNNEL_STEPS["checkout"])})), false)
                   AS checkout_event,
               arg_max(page, k) FILTER (WHERE page IS NOT NULL) AS exit_page
        FROM (SELECT *, lower(event_name) AS name, {_ORDER} AS k FROM {events}) e
        WHERE session_id IS NOT NULL
        GROUP BY session_id
        ORDER BY started_at, session_id"""


def cut_sql(events: str, gap_minutes: int = SESSION_GAP_MINUTES) -> str:
    """The relation ``events`` (with ``pos``) with each event that came without a session id
    given one, as an import gives it (``ingest.sessionize.cut_sessions``): a visitor's such
    events are cut into visits at ``gap_minutes`` without an event, and each visit is named
    ``auto:<visitor>:<its start in epoch ms>``. Events with an id keep it."""
    who = "coalesce(CAST(visitor_id AS VARCHAR), CAST(customer_id AS VARCHAR))"
    over = f'PARTITION BY {who}, session_id IS NULL ORDER BY "timestamp", pos'
    gap = f"INTERVAL {int(gap_minutes)} MINUTE"
    named = f"'auto:' || {who} || ':' || CAST(epoch_ms(start) AS VARCHAR)"
    return f"""
        (SELECT * EXCLUDE (prev, start)
                  REPLACE (coalesce(CAST(session_id AS VARCHAR), {named}) AS session_id)
         FROM (SELECT *, max(CASE WHEN prev IS NULL OR "timestamp" - prev > {gap}
                                  THEN "timestamp" END)
                         OVER ({over} ROWS UNBOUNDED PRECEDING) AS start
               FROM (SELECT *, lag("timestamp") OVER ({over}) AS prev FROM {events})))"""


def customers_sql(events: str) -> str:
    """The customers the events of the relation ``events`` name (resolved: a visit shared by
    two customers on one device names both)."""
    return f"SELECT DISTINCT customer_id FROM {events} WHERE customer_id IS NOT NULL"


def key_events_sql(events: str) -> str:
    """The events of the relation ``events`` read one by one (:data:`KEY_EVENTS`), in time
    order (ties by ``pos``). ``events`` may hold those events alone: ``pos`` orders them
    alike whether it numbers them or every event."""
    return f"""
        SELECT {", ".join(EVENT_COLUMNS)}
        FROM {events}
        WHERE lower(event_name) IN ({names_sql(KEY_EVENTS)})
        ORDER BY "timestamp", pos"""


@dataclass(frozen=True)
class Visits:
    """A shop's visits as the playbooks read them.

    ``sessions``: one row per session (:data:`SESSION_COLUMNS`, :func:`sessions_sql`);
    ``events``: its purchase, cart and sign-up events (:data:`EVENT_COLUMNS`), in time order;
    ``customers``: every customer an event names (:func:`customers_sql`), where a session's
    ``customer_id`` is the first one only.
    """

    sessions: pd.DataFrame
    events: pd.DataFrame
    customers: frozenset[Any] = frozenset()

    @classmethod
    def of(cls, events: pd.DataFrame) -> Visits:
        """The visits of an events frame (columns as the store's ``events``; missing ones are
        read as empty), computed by the statements the store runs. Events without a
        ``session_id`` (or a frame without the column) are cut into visits as an import cuts
        them (:func:`cut_sql`)."""
        frame = pd.DataFrame(
            {c: events.get(c) for c in _FRAME_COLUMNS}, index=events.index
        ).reset_index(drop=True)
        frame["timestamp"] = pd.to_datetime(frame["timestamp"])
        frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
        for column in _FRAME_COLUMNS:  # a column of None has no type: text, as in the store
            if column not in ("timestamp", "value") and not is_numeric_dtype(frame[column]):
                frame[column] = frame[column].astype("string")  # (numeric ids stay numbers)
        frame["pos"] = _tie_order(frame["timestamp"], events.get("event_id"))
        # events without a session id are cut into visits as an import cuts them
        rows = cut_sql("playbook_events") if frame["session_id"].isna().any() else "playbook_events"
        con = duckdb.connect()
        try:
            con.register("playbook_events", frame)
            # through Arrow, as the store's rows come (``store.execute.frame``): the same
            # dtypes either way
            sessions = con.sql(sessions_sql(rows)).to_arrow_table().to_pandas()
            key = con.sql(key_events_sql(rows)).to_arrow_table().to_pandas()
            customers = con.sql(customers_sql(rows)).fetchall()
        finally:
            con.close()
        zone = frame["timestamp"].dt.tz
        if zone is not None:  # DuckDB gives zoned times in the machine's zone: the frame's
            sessions, key = _in_zone(sessions, zone), _in_zone(key, zone)
        return cls.from_frames(sessions, key, (c for (c,) in customers))

    @classmethod
    def from_frames(
        cls, sessions: pd.DataFrame, events: pd.DataFrame, customers: Iterable[Any] = ()
    ) -> Visits:
        """The visits of the results of :func:`sessions_sql`, :func:`key_events_sql` and
        :func:`customers_sql`, typed alike whatever the engine gave (an empty result has no
        types to infer)."""
        typed = sessions.astype(
            {"level": "int64", "level_unbought": "int64", "checkout_event": bool}
        )
        return cls(sessions=typed, events=events, customers=frozenset(customers))

    def only(self, session_ids: Any) -> Visits:
        """These visits, of the sessions ``session_ids`` alone."""
        keep = session_ids if isinstance(session_ids, pd.Series | pd.Index) else set(session_ids)
        sessions = self.sessions[among(self.sessions.session_id, keep)]
        return Visits(
            sessions=sessions,
            events=self.events[among(self.events.session_id, keep)],
            customers=frozenset(sessions.customer_id.dropna()),
        )

    def __len__(self) -> int:
        return len(self.sessions)

    @property
    def empty(self) -> bool:
        return self.sessions.empty


def _tie_order(timestamps: pd.Series, event_ids: pd.Series | None) -> np.ndarray:
    """``pos`` of each row of a frame: its rank by time, then event id as the store ranks
    events at the same time (:mod:`shopperlens.service.playbooks` reads them so), then row
    order. A frame and a store holding the same events thus give the same visits."""
    if event_ids is None:
        return np.arange(len(timestamps))
    keys = pd.DataFrame(
        {
            "t": timestamps.to_numpy(),
            "e": pd.Series(event_ids.to_numpy()).astype("string"),
            "r": np.arange(len(timestamps)),
        }
    )
    order = keys.sort_values(["t", "e", "r"], kind="stable").index.to_numpy()
    pos = np.empty(len(order), dtype=np.int64)
    pos[order] = np.arange(len(order))
    return pos


def _in_zone(frame: pd.DataFrame, zone: Any) -> pd.DataFrame:
    """``frame`` with its zoned time columns in ``zone`` (the same instants)."""
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = out[column].dt.tz_convert(zone)
    return out


def among(column: pd.Series, wanted: Iterable[Any]) -> pd.Series:
    """``column.isin(wanted)``. Text ids held by Arrow against ids of the same type are looked
    up by Arrow itself: pandas' ``isin`` makes a Python object of every wanted id first, a
    second for a shop's 600,000 session ids, and the playbooks look sessions up a dozen times."""
    if (
        isinstance(wanted, pd.Series | pd.Index)
        and wanted.dtype == column.dtype
        and getattr(column.dtype, "storage", None) == "pyarrow"
    ):
        found = pc.is_in(
            column.array.__arrow_array__(),
            value_set=wanted.array.__arrow_array__().combine_chunks(),
        )
        return pd.Series(found.to_numpy(zero_copy_only=False), index=column.index, dtype=bool)
    return column.isin(wanted if isinstance(wanted, pd.Series | pd.Index) else set(wanted))


def visits_of(events: pd.DataFrame | Visits) -> Visits:
    """``events`` as :class:`Visits` (an events frame is summarised, :meth:`Visits.of`)."""
    return events if isinstance(events, Visits) else Visits.of(events)


def until_first_order(sessions: pd.DataFrame, first_at: pd.Series) -> pd.DataFrame:
    """The buyers' sessions (``customer_id, started_at`` …) that started by the end of the day
    of their first order (``first_at``, per customer id): what could have brought them.

    A customer whose first order came before any visit on record (an order from before the
    shop's tracking began, a phone order) was not brought by the visits that came after it:
    crediting them to their first recorded visit gave a newsletter the revenue of customers of
    years' standing. The day, not the instant: an order given by its day only reads midnight.
    Sessions of customers not in ``first_at`` are left out too (they bought nothing).
    """
    s = sessions.dropna(subset=["customer_id", "started_at"])
    started = pd.to_datetime(s.started_at).to_numpy()
    # (reindexed, not ``map``: a text column mapped onto times fails in pandas)
    first = pd.to_datetime(first_at.reindex(s.customer_id.astype(object).to_numpy()))
    cutoff = (first.dt.normalize() + pd.Timedelta(days=1)).to_numpy()
    return s[started < cutoff]
