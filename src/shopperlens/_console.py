"""The ``shopperlens`` command's entry point: Ctrl-C is handled from its first moment.

The CLI's modules take a few seconds to import (DuckDB, pandas, Ibis, scikit-learn); Ctrl-C
then showed a ``KeyboardInterrupt`` traceback through the imports, before the CLI's own
handling existed. This module imports nothing heavy.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Import the CLI and run it; an interrupt at any point ends with one line and exit 130."""
    try:
        from shopperlens.cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        sys.exit(130)
    cli_main()
