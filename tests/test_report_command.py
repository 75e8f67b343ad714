"""`shopperlens report` / ``Shop.report``: the report site for a shop's own data, with its
own types thresholds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import shopperlens
from _types_shopkit import ShopKit
from shopperlens.store import connect
from test_types_faces import story


@pytest.fixture
def filled(db_path: Path) -> Path:
    with connect(db_path) as s:
        story(ShopKit()).write(s)
    return db_path


def _strict(text: str) -> dict:  # type: ignore[type-arg]
    """JSON as browsers parse it: a bare NaN or Infinity is an error."""

    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def _types(out: Path) -> dict[str, int]:
    page = _strict((out / "types.json").read_text())
    return {row["type"]: row["subjects"] for row in page["distribution"] if row["subjects"]}


def test_cli_writes_every_page_the_data_supports(cli, filled: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "site"
    r = cli("report", "--out", str(out), "--title", "Trailhead")
    assert r.exit_code == 0, r.output
    assert (out / "index.html").exists()
    assert "Trailhead" in (out / "types.html").read_text()
    assert _types(out) == {"loyal": 1, "looker": 1}  # the story: c1 loyal, v5 looker


def test_the_shops_types_config_reaches_the_page(cli, filled: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    strict = tmp_path / "types.yaml"  # loyal only from 10 orders: c1 (6 orders) is not
    strict.write_text("types:\n  loyal:\n    requires: {min_orders: 10}\n")
    # a run with the default thresholds is stored first: it must not stand in for the config
    assert cli("report", "--out", str(tmp_path / "default")).exit_code == 0
    assert _types(tmp_path / "default")["loyal"] == 1
    r = cli("report", "--out", str(tmp_path / "site"), "--config", str(strict))
    assert r.exit_code == 0, r.output
    got = _types(tmp_path / "site")
    assert "loyal" not in got and got.get("looker") == 1 and sum(got.values()) == 2


def test_python_api_returns_the_pages(filled: Path, tmp_path: Path) -> None:
    with shopperlens.open(filled) as shop:
        res = shop.report(tmp_path / "site")
    assert Path(res.index).name == "index.html"
    assert {"index", "types"} <= set(res.pages)


def test_empty_store_is_one_clear_message(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("report", "--out", str(tmp_path / "site"))
    assert r.exit_code == 1
    said = " ".join(r.output.split())  # the console wraps long lines
    assert "holds no orders, events" in said and "Traceback" not in said
    assert not (tmp_path / "site").exists()


def test_report_json_has_no_nan() -> None:
    """A type without CLV (lookers) gave ``"mean_clv": NaN`` in types.json, which JSON.parse
    rejects: every missing number is null."""
    import numpy as np
    import pandas as pd

    from shopperlens.reports.site import to_json

    ctx = {
        "value": pd.DataFrame({"type": ["looker", "loyal"], "mean_clv": [np.nan, 812.5]}),
        "share": float("nan"),
        "scores": [np.float64("nan"), np.float64(0.5), float("inf")],
        "_chart": "presentation only",
    }
    page = _strict(to_json(ctx))
    assert page == {
        "value": [{"type": "looker", "mean_clv": None}, {"type": "loyal", "mean_clv": 812.5}],
        "share": None,
        "scores": [None, 0.5, None],
    }
