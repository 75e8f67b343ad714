"""Matplotlib figures for the report pages, as SVG: inline markup or a ``data:`` URI.

Charts are drawn off-screen (the Agg backend: no display on a server) and each figure is
closed once saved, so a report of many pages does not hold every figure in memory.

Every chart carries a text alternative that says what it shows, with its key figures: a screen
reader reads a drawing's labels as loose words, or nothing at all.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from markupsafe import escape


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the off-screen backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _svg(fig: Any, **savefig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", **savefig)
    pyplot().close(fig)
    return buf.getvalue()


def svg_markup(fig: Any, label: str, **savefig: Any) -> str:
    """The figure as ``<svg …>`` markup to inline in a page (the XML prologue dropped), named
    by ``label``: one image (``role="img"``) whose accessible name and tooltip say what it
    shows, rather than a heap of unnamed shapes and tick labels."""
    text = _svg(fig, **savefig)
    return _named(text[text.index("<svg") :], label)


def _named(svg: str, label: str) -> str:
    """``<svg>`` markup made one image named ``label`` (its ``aria-label`` and ``<title>``)."""
    name = escape(label)
    start = svg.index("<svg") + len("<svg")
    end = svg.index(">", start) + 1
    return f'<svg role="img" aria-label="{name}"{svg[start:end]}<title>{name}</title>{svg[end:]}'


def svg_data_uri(fig: Any) -> str:
    """The figure as a ``data:image/svg+xml`` URI, for an ``<img src>``."""
    return "data:image/svg+xml;base64," + base64.b64encode(_svg(fig).encode()).decode()
