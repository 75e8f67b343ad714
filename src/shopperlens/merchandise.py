"""Which order lines are products: one rule for every computation about what was bought.

A shop's orders carry lines that are no merchandise (postage, bank and marketplace fees,
manual entries, gift cards, tips); its products file names them once, ``merchandise`` false.
Best sellers, categories, basket rules, "frequently bought together", recommendations, basket
sizes and first purchases in a category read :data:`PRODUCT_LINES` (SQL) or
:func:`product_lines` (Ibis, the same expression on DuckDB and Spark), so postage never heads
the best sellers nor becomes "bought with everything". Money (revenue, order value, CLV) reads
every line: it is what the order charged.

Kept apart from ``features`` (which imports Ibis) so SQL readers need no Ibis.
"""

from __future__ import annotations

from typing import Any

#: SQL condition on a ``products`` row: it is merchandise (``merchandise`` true or not given)
MERCHANDISE = "merchandise IS NOT false"
#: SQL: the product ids the products file marks as no merchandise (``merchandise`` false; a
#: product without the column's value is merchandise)
NOT_MERCHANDISE = "(SELECT product_id FROM products WHERE merchandise = false)"

#: SQL: the order lines of merchandise (a line naming no product is kept, as it was)
PRODUCT_LINES = (
    f"(SELECT * FROM order_lines WHERE product_id IS NULL OR product_id NOT IN {NOT_MERCHANDISE})"
)


def not_merchandise(source: Any) -> Any:
    """The products ``source`` (anything with ``.table(name)``: the store or a Spark source)
    marks as no merchandise, as an Ibis table of one column ``nm_id``: :data:`NOT_MERCHANDISE`
    for the Ibis readers."""
    products = source.table("products")
    return products.filter(products.merchandise == False).select(nm_id="product_id")  # noqa: E712


def product_lines(source: Any) -> Any:
    """``order_lines`` of ``source`` (which must hold ``products``) without the lines of
    products that are no merchandise, as an Ibis table: :data:`PRODUCT_LINES` for the Ibis
    readers."""
    lines = source.table("order_lines")
    other = not_merchandise(source)
    return lines.anti_join(other, lines.product_id == other.nm_id)
