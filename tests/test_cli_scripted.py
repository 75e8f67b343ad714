"""The CLI read by scripts: stdout redirected to a file or a pipe, stderr to a log, no terminal.

What a cron job's ``> out.txt 2> err.txt`` keeps must be whole: a table's cells are not cut
to 80 columns, a clean run leaves stderr empty, and ``--json`` writes every date in ISO 8601.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from test_partial_data import orders_csv

#: a customer id longer than an 80-column table leaves room for
LONG_ID = "customer-imported-from-the-old-shop-system-with-a-long-identifier-0001"


def _orders(tmp_path: Path) -> Path:
    """Three orders of one customer with a long id, and one of another customer."""
    path = tmp_path / "orders.csv"
    path.write_text(
        orders_csv(
            [
                ("o1", LONG_ID, "2024-03-01", "P1", 20.0),
                ("o2", LONG_ID, "2024-03-20", "P2", 10.0),
                ("o3", LONG_ID, "2024-04-01", "P3", 20.0),
                ("o4", "c2", "2024-04-02", "P1", 50.0),
            ]
        )
    )
    return path


def test_a_table_into_a_file_keeps_every_cell_whole(cli, tmp_path: Path) -> None:
    """``types > out.txt`` printed the ids and the evidence cut with "…" and wrapped over many
    lines; without a terminal a row is one line, as long as its cells, and a title one line."""
    assert cli("import", "orders", str(_orders(tmp_path))).exit_code == 0
    rows = tmp_path / "types.json"
    result = cli("types", "--out", str(rows))
    assert result.exit_code == 0, result.output
    evidence = pd.read_json(rows).set_index("customer_id").loc[LONG_ID, "evidence"]
    line = next(x for x in result.stdout.splitlines() if LONG_ID in x)
    assert evidence in line
    assert "…" not in result.stdout
    # a title wider than its table stays on one line too (it was wrapped to the table's width)
    assert re.search(r"customer types as of \d{4}-\d\d-\d\d", result.stdout), result.stdout


def test_a_progress_bar_leaves_nothing_on_a_log(cli, tmp_path: Path, monkeypatch) -> None:
    """Without a terminal no bar is drawn; Rich still wrote an empty line to stderr when it
    ended, so a script checking for an empty stderr saw one after a clean import."""
    from shopperlens.cli import imports

    monkeypatch.setattr(imports, "PROGRESS_BYTES", 0)  # every import shows its bar
    result = cli("import", "orders", str(_orders(tmp_path)))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_json_dates_are_iso_8601(cli, tmp_path: Path) -> None:
    """``types history --json`` wrote its dates as ``2024-04-03 00:00:00``, other commands'
    ``--json`` as ``2024-04-03T00:00:00``."""
    assert cli("import", "orders", str(_orders(tmp_path))).exit_code == 0
    assert cli("types", "--limit", "0").exit_code == 0
    result = cli("types", "history", LONG_ID, "--json")
    assert result.exit_code == 0, result.output
    (run,) = json.loads(result.stdout)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", run["as_of"]), run["as_of"]
