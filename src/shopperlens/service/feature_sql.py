"""The features' SQL on DuckDB, compiled once per process for each vocabulary and table layout.

Ibis builds the features expression and compiles it to SQL in Python: 0.5–1 s of one core per
types run, whatever the shop's size. On a shop of a few thousand people that was most of a
``shopperlens types`` run, of every dashboard request that computes one, and of each date of
``types moves``. The SQL depends on the as-of date only through one timestamp literal, and on
the visit tables only through their names; everything else in it follows from the features'
vocabulary (:class:`~shopperlens.features.FeatureSpec`) and the columns of the store's tables.
So it is compiled with a stand-in date (:data:`STAND_IN_AS_OF`) and stand-in table names, kept,
and each run writes its own date and names into a copy (``tests/test_feature_sql.py`` holds
that copy equal, character for character, to the SQL compiled afresh for the run's date).

A process's first run still compiles, while DuckDB builds the visit table
(:func:`shopperlens.store.execute.frame_over`), so a large shop's one run loses nothing.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from shopperlens.features import (
    FeatureSpec,
    behaviour_features,
    by_subject,
    order_visits,
    session_table,
    visit_rows,
)
from shopperlens.store.execute import frame_over

if TYPE_CHECKING:
    import pandas as pd

    from shopperlens.store import Store

#: the as-of date the SQL is compiled with, replaced by each run's own; no shop's data is
#: from 1901, and its microseconds make its SQL text unlike any other timestamp's
STAND_IN_AS_OF = datetime(1901, 2, 3, 4, 5, 6, 789012)
#: the names the SQL gives the visit rows and the visits orders were placed in
VISITS, PLACED = "_sl_visit_rows_stand_in", "_sl_placed_stand_in"
#: plans kept (one per vocabulary and table layout; a process seldom needs more than two)
KEPT = 8


@dataclass(frozen=True)
class FeaturePlan:
    """The three SQL statements of a features run, with the stand-in date and table names:
    the visit rows (``visits``), the visits orders were placed in (``placed``, reading
    :data:`VISITS`) and the features (``features``, reading both)."""

    visits: str
    placed: str
    features: str


_PLANS: OrderedDict[tuple[str, tuple[Any, ...]], FeaturePlan] = OrderedDict()
_LOCK = threading.Lock()


def features_frame(
    store: Store,
    as_of: datetime,
    spec: FeatureSpec,
    on_built: Callable[[], Any] | None = None,
    subjects: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The features as of ``as_of`` as pandas, on the store's DuckDB in one part.

    ``on_built`` is called once the visit table exists (a progress step); ``subjects``: only
    the rows of these subject ids (one person's explanation)."""
    key = (repr(spec), _layout(store))
    with _LOCK:
        plan = _PLANS.get(key)
        if plan is not None:
            _PLANS.move_to_end(key)
    date = timestamp_sql(as_of)
    params = None if subjects is None else [list(subjects)]

    def only(sql: str) -> str:
        if subjects is None:
            return sql
        return f"SELECT * FROM ({sql}) AS f WHERE list_contains(?, f.subject_id)"

    if plan is None:  # compiled while DuckDB builds the visit table, then kept
        visits, placed, compile_features = _compile(store, spec, STAND_IN_AS_OF)
    else:
        visits, placed, compile_features = plan.visits, plan.placed, lambda: plan.features
    compiled: list[str] = []

    def features() -> str:
        compiled.append(compile_features())
        return only(bind(compiled[0], date))

    out = frame_over(
        store,
        [(VISITS, bind(visits, date)), (PLACED, bind(placed, date))],
        features,
        on_built,
        params,
    )
    if plan is None:
        with _LOCK:
            _PLANS[key] = FeaturePlan(visits, placed, compiled[0])
            while len(_PLANS) > KEPT:
                _PLANS.popitem(last=False)
    return out


def compile_plan(store: Store, spec: FeatureSpec, as_of: datetime) -> FeaturePlan:
    """The three statements compiled afresh for ``as_of`` (no plan kept)."""
    visits, placed, compile_features = _compile(store, spec, as_of)
    return FeaturePlan(visits, placed, compile_features())


def kept_plan(store: Store, spec: FeatureSpec) -> FeaturePlan | None:
    """The plan kept for this vocabulary and the store's table layout, if any."""
    with _LOCK:
        return _PLANS.get((repr(spec), _layout(store)))


def _compile(
    store: Store, spec: FeatureSpec, as_of: datetime
) -> tuple[str, str, Callable[[], str]]:
    """The visit rows' and placed visits' SQL, and a function compiling the features' SQL
    (run while DuckDB builds the first two)."""
    import ibis

    def sql(expr: Any) -> str:
        return str(ibis.to_sql(expr, dialect="duckdb"))

    first = by_subject(visit_rows(store, as_of=as_of, spec=spec))
    rows = ibis.table(first.schema(), name=VISITS)
    second = order_visits(store, as_of=as_of, spec=spec, rows=rows)
    placed = ibis.table(second.schema(), name=PLACED)

    def features() -> str:
        sessions = session_table(store, as_of=as_of, spec=spec, rows=rows, placed=placed)
        return sql(
            behaviour_features(store, as_of=as_of, spec=spec, sessions=sessions, placed=placed)
        )

    return sql(first), sql(second), features


def timestamp_sql(value: datetime) -> str:
    """How Ibis writes ``value`` as a DuckDB timestamp literal (``MAKE_TIMESTAMP(…)``)."""
    import ibis

    text = str(ibis.to_sql(ibis.literal(value, type="timestamp").name("x"), dialect="duckdb"))
    found = re.fullmatch(r'\s*SELECT\s+(.*?)\s+AS\s+"x"\s*', text, flags=re.DOTALL)
    if found is None:  # a newer Ibis writes literals otherwise: the test of this module says so
        raise RuntimeError(f"unexpected SQL for a timestamp literal: {text!r}")
    return found.group(1)


@cache
def _stand_in_sql() -> str:
    """The stand-in date as the SQL holds it."""
    return timestamp_sql(STAND_IN_AS_OF)


def bind(template: str, date: str) -> str:
    """``template`` with the run's date (``timestamp_sql``) in place of the stand-in's."""
    return template.replace(_stand_in_sql(), date)


def _layout(store: Store) -> tuple[Any, ...]:
    """The columns and types of the store's tables: the features' SQL follows from them."""
    with store.cursor() as cur:
        return tuple(
            cur.execute(
                "SELECT table_name, column_name, data_type FROM duckdb_columns() "
                "WHERE database_name = current_database() AND schema_name = 'main' "
                "ORDER BY table_name, column_index"
            ).fetchall()
        )
