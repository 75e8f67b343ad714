"""Report page "Glossary": every technical term the report uses, defined once in plain words.

The other pages link their terms here (``glossary.term``), and the front page links the page
itself, so a reader who meets "P(alive)" or "lift" anywhere is one click from what it means.
"""

from __future__ import annotations

from typing import Any

from shopperlens.config import Settings
from shopperlens.reports.glossary import TERMS
from shopperlens.reports.site import Page, register
from shopperlens.store import Store


def _build(store: Store, settings: Settings | None = None) -> dict[str, Any]:
    """The entries in the glossary's order; the page exists whatever the data (the terms do
    not depend on it)."""
    return {
        "terms": [
            {"key": t.key, "anchor": t.anchor, "name": t.name, "short": t.short, "more": t.more}
            for t in TERMS.values()
        ]
    }


register(Page(slug="glossary", title="Glossary", template="glossary.html", build=_build, order=95))
