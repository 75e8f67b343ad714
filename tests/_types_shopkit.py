"""A tiny hand-built shop for the customer-types tests: visits and orders in a few lines.

``ShopKit`` collects rows for the canonical tables and writes them into a store in one go, so a
test reads like the story it checks ("came from a product search, looked at one product,
bought it").
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from shopperlens.store import Store

PRODUCTS = [
    ("p1", "Trail Running Shoe", "shoes", 120.0),
    ("p2", "Merino Wool Socks", "socks", 15.0),
    ("p3", "Rain Jacket Pro", "jackets", 180.0),
    ("p4", "Headlamp 400", "lamps", 45.0),
    ("p5", "Water Bottle Steel", "bottles", 25.0),
]
_PRICE = {p[0]: p[3] for p in PRODUCTS}
_NAME = {p[0]: p[1] for p in PRODUCTS}
_CAT = {p[0]: p[2] for p in PRODUCTS}

COLUMNS = {
    "events": ["event_id", "session_id", "visitor_id", "customer_id", "timestamp", "event_name",
               "page", "product_id", "utm_source", "utm_medium", "utm_campaign", "utm_term",
               "device", "search_term", "value"],
    "orders": ["order_id", "customer_id", "ordered_at", "currency", "shipping", "status",
               "discount_code"],
    "order_lines": ["order_id", "line_no", "product_id", "product_name", "category", "quantity",
                    "unit_price", "discount_code"],
    "customers": ["customer_id", "email", "name", "created_at", "country", "city", "birth_year",
                  "gender", "accepts_marketing"],
    "identities": ["visitor_id", "customer_id"],
    "tickets": ["ticket_id", "customer_id", "created_at", "subject", "body", "channel"],
    "returns": ["return_id", "order_id", "customer_id", "product_id", "returned_at", "quantity",
                "reason"],
}  # fmt: skip

T0 = datetime(2025, 1, 1, 10, 0)


@dataclass
class ShopKit:
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {k: [] for k in COLUMNS})
    _ids: Any = field(default_factory=itertools.count)

    def _id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids)}"

    def customer(self, cid: str, visitor: str | None = None) -> ShopKit:
        self.rows["customers"].append({"customer_id": cid, "created_at": T0 - timedelta(days=400)})
        if visitor:
            self.rows["identities"].append({"visitor_id": visitor, "customer_id": cid})
        return self

    def visit(
        self,
        who: str,
        day: float,
        *,
        medium: str | None = None,
        campaign: str | None = None,
        term: str | None = None,
        pages: int = 1,
        views: tuple[str, ...] = (),
        cart: tuple[str, ...] = (),
        buy: tuple[str, ...] = (),
        minutes: float = 5.0,
        customer: str | None = None,
    ) -> ShopKit:
        """One visit by visitor ``who`` starting ``day`` days after T0."""
        sid = self._id("s")
        start = T0 + timedelta(days=day)
        names: list[tuple[str, str | None]] = [("page_view", None)] * pages
        names += [("view_item", p) for p in views]
        names += [("add_to_cart", p) for p in cart]
        names += [("purchase", p) for p in buy]
        step = timedelta(minutes=minutes / max(len(names) - 1, 1))
        for i, (name, pid) in enumerate(names):
            self.rows["events"].append({
                "event_id": self._id("e"), "session_id": sid, "visitor_id": who,
                "customer_id": customer, "timestamp": start + i * step, "event_name": name,
                "product_id": pid, "utm_medium": medium if i == 0 else None,
                "utm_campaign": campaign if i == 0 else None, "utm_term": term if i == 0 else None,
            })  # fmt: skip
        return self

    def order(
        self, cid: str, day: float, products: tuple[str, ...], *, discount: str | None = None
    ) -> str:
        oid = self._id("o")
        self.rows["orders"].append({
            "order_id": oid, "customer_id": cid, "ordered_at": T0 + timedelta(days=day, hours=1),
            "currency": "EUR", "discount_code": discount,
        })  # fmt: skip
        for n, p in enumerate(products, start=1):
            self.rows["order_lines"].append({
                "order_id": oid, "line_no": n, "product_id": p, "product_name": _NAME[p],
                "category": _CAT[p], "quantity": 1, "unit_price": _PRICE[p],
            })  # fmt: skip
        return oid

    def ticket(self, cid: str, day: float) -> ShopKit:
        self.rows["tickets"].append({"ticket_id": self._id("t"), "customer_id": cid,
                                     "created_at": T0 + timedelta(days=day)})  # fmt: skip
        return self

    def give_back(self, cid: str, oid: str, day: float) -> ShopKit:
        when = T0 + timedelta(days=day)
        self.rows["returns"].append(
            {"return_id": self._id("r"), "order_id": oid, "customer_id": cid, "returned_at": when}
        )
        return self

    def write(self, store: Store) -> Store:
        insert_frames(store, {k: pd.DataFrame(v, columns=COLUMNS[k]) for k, v in self.rows.items()})
        prods = pd.DataFrame(PRODUCTS, columns=["product_id", "product_name", "category", "price"])
        insert_frames(store, {"products": prods})
        return store


def insert_frames(store: Store, frames: dict[str, pd.DataFrame]) -> None:
    """Insert DataFrames into canonical tables by column name (missing columns stay NULL)."""
    for table, df in frames.items():
        if df is None or len(df) == 0:
            continue
        cols = [c for c in df.columns if c in _table_columns(store, table)]
        store.con.register("_kit_frame", df[cols])
        collist = ", ".join(f'"{c}"' for c in cols)
        store.execute(f'INSERT INTO "{table}" ({collist}) SELECT {collist} FROM _kit_frame')
        store.con.unregister("_kit_frame")


def _table_columns(store: Store, table: str) -> set[str]:
    return {r[0] for r in store.execute(f'DESCRIBE "{table}"').fetchall()}
