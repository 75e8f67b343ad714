"""The public surface is curated: ``__all__`` is exactly the documented names."""

from __future__ import annotations

import shopperlens


def test_all_is_sorted_and_complete():
    for name in shopperlens.__all__:  # (the API is loaded on first use)
        getattr(shopperlens, name)
    public = sorted(n for n in vars(shopperlens) if not n.startswith("_") and n != "annotations")
    modules = {n for n in public if type(getattr(shopperlens, n)).__name__ == "module"}
    assert sorted(shopperlens.__all__) == sorted(
        [n for n in public if n not in modules] + ["__version__"]
    )


def test_open_returns_a_shop_with_the_canonical_tables():
    with shopperlens.open() as shop:
        assert {t.name for t in shop.tables()} >= {"customers", "orders", "events", "sessions"}
