"""Whether a customer may be contacted: one rule for every mailing and audience.

A customer's word is their latest ``consents`` record for the purpose (a checkbox at checkout,
a preference centre, an orders file that says otherwise: see ``ingest.loading``); a customer
with no record at all has the shop's own ``customers.accepts_marketing`` flag. A withdrawal
recorded after a "yes" flag therefore wins, wherever the list of people is drawn up.
"""

from __future__ import annotations

from collections.abc import Iterable

from shopperlens.store import Store

#: purposes that mean "may be sent marketing e-mail"
MARKETING: tuple[str, ...] = ("marketing",)


def allowed(*, store: Store, purposes: Iterable[str] = MARKETING) -> set[str]:
    """Customer ids whose latest record for any of ``purposes`` grants it, or who have no such
    record and ``accepts_marketing``."""
    rows = store.df(
        "WITH latest AS (SELECT customer_id, arg_max(granted, recorded_at) AS granted "
        " FROM consents WHERE lower(purpose) IN (SELECT lower(unnest(?))) GROUP BY 1) "
        "SELECT c.customer_id FROM customers c LEFT JOIN latest l USING (customer_id) "
        "WHERE coalesce(l.granted, c.accepts_marketing, false)",
        [list(purposes)],
    )
    return set(rows["customer_id"])
