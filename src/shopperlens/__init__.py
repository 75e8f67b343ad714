"""shopperlens: who your shop's customers are, and what to do about each kind.

The public Python API. ``shopperlens.open(path)`` returns a :class:`Shop`, the Python face of
the service layer that the CLI and the HTTP API also call.
"""

from shopperlens.api import Shop, open
from shopperlens.config import Settings
from shopperlens.errors import (
    InsufficientDataError,
    NotFittedError,
    NotFoundError,
    ShopperlensError,
)

__version__ = "0.1.0"

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
