"""Which order statuses are purchases, how events make visits and how orders meet the visits
they came from: one list and the windows for the imports, the features and the playbooks.

Kept apart from ``features`` (which imports Ibis) so the imports can read it without it.
"""

from __future__ import annotations

#: order statuses (compared in lower case) that are not purchases: such an order counts nowhere
#: — not in the features, CLV, basket rules, playbooks or overview (``service.clv.PURCHASES``).
#: ``voided`` and ``expired`` are Shopify's for a payment authorised, then released or lapsed:
#: no money was taken. An order without a status is a purchase, and so are ``pending`` and
#: ``authorized`` ones (the money is still to come: most are paid) and partly refunded ones.
EXCLUDED_STATUSES = ("cancelled", "canceled", "refunded", "failed", "voided", "expired")


def not_purchase_sql(column: str) -> str:
    """SQL that is TRUE when the status in ``column`` makes the order no purchase."""
    listed = ", ".join(f"'{s}'" for s in EXCLUDED_STATUSES)
    return f"coalesce(lower({column}) IN ({listed}), false)"


#: events without a session id are cut into visits per visitor at this many minutes without
#: an event (Google Analytics' default), on import (``ingest.sessionize``) and in an events frame
#: the playbooks read (``playbooks.visits``)
SESSION_GAP_MINUTES = 30
#: a purchase event and its order are at most this many hours apart (an orders file may give
#: the day only, and the order's clock may not be the tracker's); the customer types and the
#: playbooks both read it (``features.behaviour``, ``playbooks.traffic``)
PURCHASE_ORDER_GAP_HOURS = 24
#: an order no purchase event stands for came from the customer's visit it was placed in: from
#: its start to this many minutes after its last event (the usual session timeout; a checkout
#: hosted elsewhere is often not tracked)
ORDER_SESSION_GAP_MINUTES = 30
