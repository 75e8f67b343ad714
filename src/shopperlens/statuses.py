"""Which order statuses are purchases: one list for the imports, the features and the services.

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
