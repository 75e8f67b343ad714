"""The command-line face. Commands parse options, call the service, render; nothing more.

Every module in this package registers its commands on ``app`` when imported; they are all
imported here, so a new concern adds a module and nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

from shopperlens.cli import _render
from shopperlens.cli._app import OUTPUT_CLOSED, ClosedStdout, OutputClosed, app, reflow_help

__all__ = ["app", "main"]

for _mod in pkgutil.iter_modules(__path__):
    if not _mod.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_mod.name}")
reflow_help(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``shopperlens`` command (errors are handled by the app's group)."""
    if sys.stdout is None:  # started with its standard output closed (``>&-``)
        sys.stdout = ClosedStdout()
    try:
        app(args=argv, prog_name="shopperlens")
    except KeyboardInterrupt:
        _render.error("interrupted")
        sys.exit(130)
    except OutputClosed:
        _render.error(OUTPUT_CLOSED)
        sys.exit(1)
