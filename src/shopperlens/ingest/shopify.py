"""Shopify's "Export orders" CSV -> the orders kind.

The admin export has one row per line item. ``Name`` (``#1001``) identifies the order;
order-level fields (Financial Status, Currency, Shipping, Discount Code, Billing Country …)
are filled on the first row of each order only, so the first row that fills one gives it to
all the order's rows (a window in file order; an edited export whose later rows disagree keeps
the first row's value). The export has no customer id: customers are keyed by their normalised
e-mail (``e-`` + a sha256 prefix, see :func:`~shopperlens.ingest.kinds.email_key_sql`), and
line items without a SKU get a product id hashed from the line-item name.
"""

from __future__ import annotations

from shopperlens.errors import ShopperlensError
from shopperlens.ingest.generic import line_sql
from shopperlens.ingest.kinds import KINDS, no_value_sql
from shopperlens.ingest.reading import Source
from shopperlens.ingest.rejects import ident

#: columns whose presence identifies the export
SIGNATURE: tuple[str, ...] = ("Name", "Lineitem name", "Lineitem quantity")
REQUIRED: tuple[str, ...] = (
    "Name",
    "Created at",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
)
#: order-level columns, present on the first row of each order only
ORDER_LEVEL: tuple[str, ...] = (
    "Email",
    "Financial Status",
    "Accepts Marketing",
    "Currency",
    "Shipping",
    "Discount Code",
    "Created at",
    "Billing Country",
    "Cancelled at",
)


#: orders column -> the export's column a reject names (customers are keyed by their e-mail)
FILE_COLUMNS: dict[str, str] = {
    "order_id": "Name",
    "customer_id": "Email",
    "ordered_at": "Created at",
    "product_id": "Lineitem sku",
    "product_name": "Lineitem name",
    "category": "Product Type",
    "quantity": "Lineitem quantity",
    "unit_price": "Lineitem price",
    "discount_code": "Discount Code",
    "currency": "Currency",
    "shipping": "Shipping",
    "status": "Financial Status",
    "email": "Email",
    "country": "Billing Country",
    "accepts_marketing": "Accepts Marketing",
}


def looks_like(columns: tuple[str, ...]) -> bool:
    return set(SIGNATURE) <= set(columns)


def raw_select(source: Source) -> str:
    """``_line`` + ``_r_<orders column>`` text columns from a Shopify orders export."""
    missing = [c for c in REQUIRED if c not in source.columns]
    if missing:
        raise ShopperlensError(
            f"{source.name}: not a complete Shopify orders export, missing {', '.join(missing)}"
        )

    def col(name: str) -> str:
        if name not in source.columns:
            return "NULL::VARCHAR"
        if name in ORDER_LEVEL:  # the first row of the order that fills it
            return f"first_value(NULLIF(trim({ident(name)}), '') IGNORE NULLS) OVER w"
        return ident(name)

    status = (
        f"CASE WHEN {col('Cancelled at')} IS NOT NULL THEN 'cancelled' "
        f"ELSE lower({col('Financial Status')}) END"
    )
    sku = f"trim({col('Lineitem sku')})"
    product = (  # a SKU of "N/A" is no SKU either: the line item's name keys the product
        f"CASE WHEN {sku} IS NULL OR {no_value_sql(sku)} "
        f"THEN 'shopify-' || left(md5(lower(trim({col('Lineitem name')}))), 12) ELSE {sku} END"
    )
    fields = {
        "order_id": col("Name"),
        "customer_id": "NULL::VARCHAR",
        "ordered_at": col("Created at"),
        "product_id": product,
        "product_name": col("Lineitem name"),
        "category": col("Product Type"),  # the orders export has none; Vendor is not one
        "quantity": col("Lineitem quantity"),
        "unit_price": col("Lineitem price"),
        "discount_code": col("Discount Code"),
        "currency": col("Currency"),
        "shipping": col("Shipping"),
        "status": status,
        "email": col("Email"),
        "country": col("Billing Country"),
        "accepts_marketing": col("Accepts Marketing"),
    }
    spec = KINDS["orders"]
    cols = ", ".join(
        f"CAST({fields.get(c.name, 'NULL')} AS VARCHAR) AS {ident('_r_' + c.name)}"
        for c in spec.columns
    )
    return (
        f"SELECT _line, {cols} FROM (SELECT {line_sql(source)} AS _line, * "
        f"FROM {source.relation}) WINDOW w AS (PARTITION BY {ident('Name')} ORDER BY _line "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)"
    )
