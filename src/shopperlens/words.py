"""Words no search term is read by: shared by the customer types' "search term naming a product"
(:mod:`shopperlens.features.behaviour`) and the keyword table's intent
(:mod:`shopperlens.playbooks.traffic`), so both read a term alike.

A product name's "for" or "with" is in few names, but names no product: "shoes for running"
is no search for the one product called "Socks for Kids".
"""

from __future__ import annotations

__all__ = ["STOP_WORDS"]

STOP_WORDS: frozenset[str] = frozenset(
    ["a", "an", "the", "for", "of", "and", "or", "with", "to", "in", "on", "by", "my", "your",
     "x", "1", "2", "3", "4"]
)  # fmt: skip
