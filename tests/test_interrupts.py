"""Ctrl-C gives one line and exit 130 wherever it lands, and an interrupted rewrite of the
store's file leaves nothing behind.

Ctrl-C while DuckDB ran a statement printed "unexpected RuntimeError: Query interrupted"
(exit 2); in the seconds the CLI takes to import, a ``KeyboardInterrupt`` traceback; during
the rewrite of an erase it left a hidden ``.NAME.compact.tmp`` beside the store.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

#: a child started in the background by a non-interactive shell (``make test &``) inherits an
#: ignored SIGINT, and Python then never raises KeyboardInterrupt: each child script sets
#: Python's own handler first, as a terminal's process has it
CTRL_C_AS_IN_A_TERMINAL = (
    "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n"
)

#: a CLI with one more command: a DuckDB statement that runs until it is stopped
SPIN = (
    CTRL_C_AS_IN_A_TERMINAL
    + """
import sys
import duckdb
import shopperlens.cli as cli
from shopperlens.cli._app import app

@app.command("spin")
def spin() -> None:
    print("ready", flush=True)
    duckdb.connect().execute("SELECT count(*) FROM range(100000000000) a").fetchall()

cli.main(sys.argv[1:])
"""
)


def _interrupted(args: list[str], pause: float) -> tuple[int, str]:
    """Exit code and stderr of ``python -c ARGS`` sent Ctrl-C ``pause`` seconds after it
    prints ``ready``."""
    proc = subprocess.Popen(
        [sys.executable, "-c", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(pause)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    return proc.returncode, err


def test_ctrl_c_during_a_duckdb_statement() -> None:
    code, err = _interrupted([SPIN, "spin"], pause=0.5)
    assert (code, err) == (130, "error: interrupted\n")


def test_ctrl_c_while_the_command_starts() -> None:
    """Ctrl-C right as the command starts: its modules take seconds to import.

    ``ready`` is printed from inside the entry point, as it starts importing the CLI: printed
    before ``main()`` was called, a loaded machine could deliver the signal in between, where
    only Python's own traceback can answer (as it does for Ctrl-C while Python starts)."""
    start = CTRL_C_AS_IN_A_TERMINAL + (
        "import sys\n"
        "from shopperlens._console import main\n"
        "def _ready(event, args):\n"
        "    if event == 'import' and args[0] == 'shopperlens.cli' and not _said:\n"
        "        _said.append(1); print('ready', flush=True)\n"
        "_said = []\n"
        "sys.addaudithook(_ready)\n"
        "main()\n"
    )
    code, err = _interrupted([start, "tables"], pause=0.0)
    assert (code, err) == (130, "error: interrupted\n")


#: a store rewritten while Ctrl-C arrives the moment its copy starts; prints what came of it
REWRITE = (
    CTRL_C_AS_IN_A_TERMINAL
    + """
import json, os, signal, sys, threading, time
from pathlib import Path
from shopperlens.errors import ShopperlensError
from shopperlens.store import connect

path = Path(sys.argv[1])
store = connect(path)
store.execute("SET enable_progress_bar = false")  # (its bar would share stdout)
store.execute(
    "CREATE TABLE filler AS SELECT range AS i, md5(range::VARCHAR) AS h FROM range(3000000)"
)
tmp = path.with_name(f".{path.name}.compact.tmp")

def ctrl_c_once_the_copy_runs():
    deadline = time.monotonic() + 60
    while not tmp.exists() and time.monotonic() < deadline:
        time.sleep(0.002)
    os.kill(os.getpid(), signal.SIGINT)

threading.Thread(target=ctrl_c_once_the_copy_runs).start()
try:
    store.compact()
    said = "rewritten"
except ShopperlensError as exc:
    said = str(exc)
print(json.dumps({"said": said, "tmp_left": tmp.exists(),
                  "rows": store.scalar("SELECT count(*) FROM filler")}))
"""
)


def test_an_interrupted_rewrite_leaves_no_file_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "shop.duckdb"
    out = subprocess.run(
        [sys.executable, "-c", REWRITE, str(path)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got == {
        "said": f"cannot rewrite the store {path}: interrupted",
        "tmp_left": False,
        "rows": 3_000_000,
    }


def test_the_package_loaded_lazily_still_shows_its_api() -> None:
    """The command imports ``shopperlens`` before it can handle Ctrl-C, so the package loads
    its API on first use; ``dir()`` and ``help()`` still list ``Shop``, ``open`` and
    ``Settings``."""
    import pydoc

    import shopperlens

    assert {"Shop", "open", "Settings", "ShopperlensError"} <= set(dir(shopperlens))
    text = pydoc.plain(pydoc.render_doc(shopperlens))
    assert "class Shop" in text and "open(path" in text


def test_sigterm_stops_a_command_as_ctrl_c_does() -> None:
    """``timeout`` around a cron job, or ``kill``, sends SIGTERM: the command ended on the
    spot, stderr empty and its DuckDB statement, import or rewrite cut off without tidying."""
    spin = (
        "import duckdb\n"
        "from shopperlens.cli._app import app\n"
        "@app.command('spin')\n"
        "def spin() -> None:\n"
        "    print('ready', flush=True)\n"
        "    duckdb.connect().execute('SELECT count(*) FROM range(100000000000) a').fetchall()\n"
        "from shopperlens._console import main\n"
        "main()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", spin, "spin"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert (proc.returncode, err) == (130, "error: interrupted\n")
