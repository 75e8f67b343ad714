"""The ``shopperlens`` command's entry point: Ctrl-C is handled from its first moment.

The CLI's modules take a few seconds to import (DuckDB, pandas, Ibis, scikit-learn); Ctrl-C
then showed a ``KeyboardInterrupt`` traceback through the imports, before the CLI's own
handling existed. This module imports nothing heavy.
"""

from __future__ import annotations

import signal
import sys


def main() -> None:
    """Import the CLI and run it; an interrupt at any point ends with one line and exit 130."""
    _stop_on_sigterm()
    try:
        from shopperlens.cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        sys.exit(130)
    cli_main()


def _stop_on_sigterm() -> None:
    """SIGTERM (``kill``, ``timeout`` around a cron job, a supervisor stopping it) stops the
    command as Ctrl-C does: its DuckDB statement is interrupted, an import stores nothing, an
    erase's rewrite leaves no temporary file, a store it made is removed, and it says so in one
    line. It ended the process on the spot before: no word on stderr, and none of that tidying.
    A SIGTERM the parent set to be ignored stays ignored; ``serve`` sets its own handler."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
