"""Matplotlib figures for the report pages, as SVG: inline markup or a ``data:`` URI.

Charts are drawn off-screen (the Agg backend: no display on a server) and each figure is
closed once saved, so a report of many pages does not hold every figure in memory.
"""

from __future__ import annotations

import base64
import io
from typing import Any


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


def svg_markup(fig: Any, **savefig: Any) -> str:
    """The figure as ``<svg …>`` markup to inline in a page (the XML prologue dropped)."""
    text = _svg(fig, **savefig)
    return text[text.index("<svg") :]


def svg_data_uri(fig: Any) -> str:
    """The figure as a ``data:image/svg+xml`` URI, for an ``<img src>``."""
    return "data:image/svg+xml;base64," + base64.b64encode(_svg(fig).encode()).decode()
