"""The shop's current customer-value run: the one CLV run every report page shows.

The report's Value page, the "Value per type" of the Customer types page and the loyal
playbook all read the stored CLV run (table ``customer_value``). A run stored before the last
import described another shop: after two new orders the Value page counted 43 loyal customers
at risk from a fresh fit but listed 45 from the stored run, one of them a customer who had
ordered the day before; and a types page built before the Value page stored its run showed no
value at all, while a second report did. So every page asks :func:`ensure_current` first: the
stored run stands only when it is the current one, and otherwise a fresh one is computed and
stored, whichever page comes first.

The current run is the one ``shopperlens clv`` stores with its default horizon: fitted on all
purchases up to the newest one's day, over :data:`REPORT_HORIZON_DAYS`, computed after the last
import (of orders, or of customers that took over ids orders had given by e-mail alone) and
covering every customer who bought (the rule the types use for their current run),
by this version's model (``service.clv.MODEL_VERSION``): a run an older release stored is
computed again, as one stored before the last import is.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from shopperlens.errors import InsufficientDataError
from shopperlens.service import clv as clv_svc
from shopperlens.service._flight import one_at_a_time
from shopperlens.store import Store

#: the horizon of the run the report shows (its pages say "12-month CLV")
REPORT_HORIZON_DAYS = 365

#: the last import of orders, the only rows CLV reads (a survey or consent import changes none)
_LAST_IMPORT = (
    "(SELECT coalesce(max(imported_at), TIMESTAMP '1970-01-01') FROM imports WHERE kind = 'orders')"
)
#: whether the run names an ``e-`` id that a customers file has since taken over
#: (``ingest.merging``): the same buyers, under the shop's ids now
_MERGED_AWAY = (
    "SELECT EXISTS (SELECT 1 FROM customer_value v WHERE v.customer_id LIKE 'e-%' "
    "AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.customer_id = v.customer_id))"
)
_BUYERS = (
    f"SELECT count(DISTINCT customer_id) AS buyers, max(ordered_at) AS last FROM "
    f"{clv_svc.PURCHASES} WHERE customer_id IS NOT NULL"
)


def _stored_run(store: Store) -> tuple[Any, ...]:
    """The stored run's dates, horizon and size, and whether it was computed after the last
    import: ``(first as_of, last as_of, horizons, customers, after last import)``."""
    return _one_row(
        store,
        "SELECT min(as_of), max(as_of), count(DISTINCT horizon_days), "
        f"max(horizon_days), count(*), min(computed_at) >= {_LAST_IMPORT} FROM customer_value",
    )


def _one_row(store: Store, sql: str) -> tuple[Any, ...]:
    """The one row of an aggregate, fetched to the end (a result left open on the store's
    connection makes its next Ibis query fail)."""
    with store.cursor() as cur:
        return tuple(cur.execute(sql).fetchall()[0])


#: why a store opened read-only shows no CLV figures when its stored run is not current
READ_ONLY_VALUE = (
    "the store is open read-only and holds no current customer-value run (one is computed "
    "and stored after each import): open it for writing to compute one"
)


def is_current(*, store: Store) -> bool:
    """Whether the stored CLV run describes the shop's data as it is now, and was made by
    this model (see the module)."""
    first, last, horizons, horizon, customers, after_import = _stored_run(store)
    if not customers or first != last or horizons != 1 or horizon != REPORT_HORIZON_DAYS:
        return False
    if clv_svc.other_model_run(store=store):  # an older release's model: not these figures
        return False
    buyers, last_order = _one_row(store, _BUYERS)
    if last_order is None or not after_import or _one_row(store, _MERGED_AWAY)[0]:
        return False
    return bool(pd.Timestamp(last) == pd.Timestamp(last_order).floor("D") and customers == buyers)


def ensure_current(*, store: Store) -> str | None:
    """Make the stored CLV run the current one (computing and storing it when it is not);
    None when it is, else why there can be none (the model's minimum-data gate).

    When the data no longer pass the gate (orders erased), the old run is deleted rather
    than kept: it would go on showing figures of customers and orders that are gone."""
    if is_current(store=store):
        return None
    if store.read_only:  # the CLV tables are read by SQL: no run in memory can stand in
        return READ_ONLY_VALUE
    with one_at_a_time(store, "clv"):  # two requests at once fit and store one run
        return _replace_run(store)


def _replace_run(store: Store) -> str | None:
    """:func:`ensure_current` once its lock is held: another thread may have stored the
    current run while this one waited."""
    if is_current(store=store):
        return None
    try:
        clv_svc.customer_value(store=store, horizon_days=REPORT_HORIZON_DAYS, save=True)
    except InsufficientDataError as exc:
        with store.transaction() as con:
            con.execute("DELETE FROM customer_value")
        return str(exc)
    return None


def current_customer_value(*, store: Store) -> pd.DataFrame:
    """The current CLV run, highest CLV first (computed and stored when the stored one is not
    current). Raises :class:`~shopperlens.errors.InsufficientDataError` below the gate."""
    gate = ensure_current(store=store)
    if gate is not None:
        raise InsufficientDataError(gate)
    return store.df("SELECT * FROM customer_value ORDER BY clv DESC")
