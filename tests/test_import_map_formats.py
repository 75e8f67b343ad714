"""A column mapping beside a file read by a format that names its own columns (Shopify, GA4,
UCI) was silently ignored: it is refused, saying how to map the columns instead."""

from __future__ import annotations

from pathlib import Path

import pytest

import shopperlens
from _ingest_data import GA4, SHOPIFY, UCI
from shopperlens.errors import ShopperlensError

CASES = [
    ("orders", SHOPIFY, "a Shopify orders export"),
    ("events", GA4, "a GA4 BigQuery export"),
    ("sessions", UCI, "the UCI Online Shoppers sessions file"),
]


@pytest.mark.parametrize(("kind", "path", "label"), CASES)
def test_python_api_refuses_a_mapping_for_a_detected_format(
    shop: shopperlens.Shop, kind: str, path: Path, label: str
) -> None:
    with pytest.raises(ShopperlensError) as err:
        shop.import_files(kind, path, mapping={"Email": "email"})
    message = str(err.value)
    assert f"{path.name} was recognised as {label}" in message
    assert "applies to the generic format only" in message and "fmt='generic'" in message
    assert shop.store.count("imports") == 0


def test_python_api_refuses_a_mapping_with_an_explicit_source_format(
    shop: shopperlens.Shop,
) -> None:
    with pytest.raises(ShopperlensError, match="is read as a Shopify orders export"):
        shop.import_files("orders", SHOPIFY, fmt="shopify", mapping={"Email": "email"})


def test_cli_refuses_map_on_a_shopify_export_without_a_traceback(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("import", "orders", str(SHOPIFY), "--map", "Email=email")
    assert res.exit_code == 1
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    flat = " ".join(res.output.split())
    assert "was recognised as a Shopify orders export" in flat
    assert "--format generic" in flat
    assert cli("imports").exit_code == 0 and "orders_export_1.csv" not in cli("imports").output


def test_a_mapping_that_is_no_mapping_is_refused_in_one_line(shop, tmp_path):
    """A mapping file in another encoding gave "unexpected UnicodeDecodeError" and a list as
    the Python API's mapping a bare TypeError."""
    from shopperlens.errors import ShopperlensError

    data = tmp_path / "c.csv"
    data.write_text("Customer No\nK1\n", encoding="utf-8")
    bad = tmp_path / "map.yaml"
    bad.write_bytes("Customer No: customer_id\nLänd: country\n".encode("utf-16"))
    with pytest.raises(ShopperlensError, match="mapping file map.yaml is not UTF-8 text"):
        shop.import_customers(data, mapping=bad)
    with pytest.raises(ShopperlensError, match="not a list"):
        shop.import_customers(data, mapping=["Customer No=customer_id"])
    assert shop.import_customers(data, mapping={"Customer No": "customer_id"}).rows_accepted == 1
