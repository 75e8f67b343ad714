"""A list column (intent's ``top_drivers``) is text a spreadsheet reads in a CSV file, its
items joined by "; ", and stays a list in Parquet and JSON: the CSV held Python's
``"['days_since_first +0.29', 'duration_s +0.08']"``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from shopperlens.service._files import write_table


def _intent_like() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "visitor_id": ["v1", "v2", "v3"],
            "intent": [0.9, 0.5, 0.1],
            "top_drivers": [
                ["days_since_first +0.29", "duration_s +0.08"],
                np.array(["-page_views -0.10"], dtype=object),  # as Parquet reads a list back
                [],
            ],
        }
    )


def test_csv_joins_the_items(tmp_path: Path) -> None:
    out = write_table(_intent_like(), tmp_path / "intent.csv")
    text = out.read_text(encoding="utf-8")
    assert "[" not in text and "'days" not in text
    back = pd.read_csv(out, keep_default_na=False)
    assert list(back["top_drivers"]) == [
        "days_since_first +0.29; duration_s +0.08",
        "'-page_views -0.10",  # still spreadsheet-safe: a leading "-" is no formula
        "",
    ]
    assert list(back["intent"]) == [0.9, 0.5, 0.1]


def test_parquet_and_json_keep_lists(tmp_path: Path) -> None:
    frame = _intent_like()
    back = pd.read_parquet(write_table(frame, tmp_path / "intent.parquet"))
    assert list(back["top_drivers"][0]) == ["days_since_first +0.29", "duration_s +0.08"]
    rows = json.loads(write_table(frame, tmp_path / "intent.json").read_text(encoding="utf-8"))
    assert rows[0]["top_drivers"] == ["days_since_first +0.29", "duration_s +0.08"]
    assert isinstance(frame.loc[0, "top_drivers"], list)  # the caller's frame is left as it was
