"""shopperlens: who your shop's customers are, and what to do about each kind.

The public Python API. ``shopperlens.open(path)`` returns a :class:`Shop`, the Python face of
the service layer that the CLI and the HTTP API also call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from shopperlens.errors import (
    InsufficientDataError,
    NotFittedError,
    NotFoundError,
    ShopperlensError,
)

if _TYPE_CHECKING:
    from shopperlens.api import Shop, open
    from shopperlens.config import Settings

__version__ = "0.1.0"

#: loaded on first use (PEP 562): the ``shopperlens`` command imports this package before it
#: can handle Ctrl-C, and the API's imports (DuckDB, pandas, Ibis) take seconds
_LAZY = {"Shop": "shopperlens.api", "open": "shopperlens.api", "Settings": "shopperlens.config"}


def __dir__() -> list[str]:
    """What ``dir()``, ``help()`` and tab completion show: the lazy names too."""
    return sorted(set(__all__) | {k for k in globals() if k.startswith("__")})


def __getattr__(name: str) -> _Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'shopperlens' has no attribute {name!r}")


__all__ = [
    "InsufficientDataError",
    "NotFittedError",
    "NotFoundError",
    "Settings",
    "Shop",
    "ShopperlensError",
    "__version__",
    "open",
]
