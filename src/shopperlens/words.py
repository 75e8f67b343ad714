"""Words no search term is read by: shared by the customer types' "search term naming a product"
(:mod:`shopperlens.features.behaviour`) and the keyword table's intent
(:mod:`shopperlens.playbooks.traffic`), so both read a term alike.

A product name's "for" or "with" is in few names, but names no product: "shoes for running"
is no search for the one product called "Socks for Kids".
"""

from __future__ import annotations

__all__ = ["LOWER_FOLDS", "STOP_WORDS", "lower"]

STOP_WORDS: frozenset[str] = frozenset(
    ["a", "an", "the", "for", "of", "and", "or", "with", "to", "in", "on", "by", "my", "your",
     "x", "1", "2", "3", "4"]
)  # fmt: skip

#: what lower-casing leaves different between the engines and Python, made one: Unicode's two
#: special lower-case mappings outside a locale. Spark (Java) and Python write a Greek word's
#: last Σ as the final ς ("ΣΑΚΟΣ" → "σακος") where DuckDB writes σ ("σακοσ"), and write the
#: Turkish İ as i plus a combining dot (which the word split then cut into "i" + "stanbul")
#: where DuckDB writes i: a search term then named a product on one engine and not on the
#: other, and a term typed with ς never met its product on DuckDB.
LOWER_FOLDS: tuple[tuple[str, str], ...] = (("ς", "σ"), ("i\u0307", "i"))


def lower(text: str) -> str:
    """``text`` lower-cased as the customer types' features lower-case it on every engine."""
    out = text.lower()
    for old, new in LOWER_FOLDS:
        out = out.replace(old, new)
    return out
