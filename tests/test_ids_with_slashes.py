"""An id holding a ``/`` (``A/1``, as some shop systems number their customers) reaches its
routes: ``/api/types/A%2F1/explain`` answered FastAPI's bare ``404 Not Found``, so such a
customer could not be explained over HTTP, nor erased — an erasure request left undone."""

from __future__ import annotations

from pathlib import Path

from _ingest_data import write

ORDERS = """order_id,customer_id,ordered_at,product_id,quantity,unit_price
o1,A/1,2025-03-01 10:00,P1,1,20
o2,A/1,2025-04-01 10:00,P2,1,30
o3,B2,2025-04-02 10:00,P1,1,20
"""


def test_an_id_with_a_slash_is_explained_and_erased_over_http(shop, client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shop.import_orders(write(tmp_path, "o.csv", ORDERS))
    explained = client.get("/api/types/A%2F1/explain", params={"as_of": "2025-05-01"})
    assert explained.status_code == 200, explained.text
    assert explained.json()["customer_id"] == "A/1"
    history = client.get("/api/types/A%2F1/history")
    assert history.status_code == 200, history.text
    assert client.get("/api/types/nobody%2Fhere/explain").status_code == 404
    erased = client.delete("/api/customers/A%2F1")
    assert erased.status_code == 200, erased.text
    assert shop.sql("SELECT DISTINCT customer_id FROM orders")["customer_id"].tolist() == ["B2"]
