"""The customer-types frame has one schema on every shop, in every face.

The value columns (``clv, p_alive, at_risk, loyal_at_risk, intent``) were appended only once a
value run was stored: 9 columns on one shop, 14 on another, so an analyst's ``df["clv"]`` and a
script reading the ``types --out`` file broke on the first. The ids of a stored run whose
customer ids were all missing (a shop of anonymous visitors) came back as ``object`` beside
``str`` elsewhere. And on a shop whose buyers never stop buying (the CLV model found no
dropout) the frame held ``loyal_at_risk = False`` and ``p_alive = 1.0`` for everyone, which the
CLI, ``types explain`` and the per-type counts show as unknown ("–").
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import shopperlens
from _types_shopkit import ShopKit
from conftest import _api_client
from shopperlens.service.types_value import VALUE_COLUMNS, value_by_type
from shopperlens.store import connect
from shopperlens.types import RESULT_COLUMNS
from test_no_dropout_faces import FOUND_NONE, NOBODY_LEAVES, _cli, _shop_file
from test_report_pages_truth import _planted_rfm
from test_report_review import _nobody_leaves

# the planted shops are built once, on one worker
pytestmark = pytest.mark.xdist_group("test_types_frame_schema.py")

#: every types frame's columns, in this order
COLUMNS = [*RESULT_COLUMNS, *VALUE_COLUMNS]
#: the value columns' dtypes: missing stays missing (NaN, NA), never False or 0
VALUE_DTYPES = {
    "clv": "float64",
    "p_alive": "float64",
    "at_risk": "boolean",
    "loyal_at_risk": "boolean",
    "intent": "float64",
}
#: the dtype pandas gives text (``str`` from pandas 3 on, ``object`` before)
TEXT = pd.Series([""]).dtype
#: the columns the model leaves unmeasured when it found no dropout
UNMEASURED = ["p_alive", "at_risk", "loyal_at_risk"]


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Buyers who never stop buying, with no value run stored."""
    return _shop_file(tmp_path_factory.mktemp("plain"), _nobody_leaves(NOBODY_LEAVES))


@pytest.fixture(scope="module")
def still(plain: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same shop with its CLV run stored: the model finds no dropout."""
    path = tmp_path_factory.mktemp("still") / "shop.duckdb"
    shutil.copy(plain, path)
    _cli(path, "clv")
    return path


@pytest.fixture(scope="module")
def leaving(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Buyers who do drop out, with the CLV run stored: the flags are measured."""
    path = _shop_file(tmp_path_factory.mktemp("leaving"), _planted_rfm())
    _cli(path, "clv")
    return path


def _check_schema(frame: pd.DataFrame) -> None:
    """``frame`` has every column, in order, the value columns in their dtypes and the ids
    as text."""
    assert list(frame.columns) == COLUMNS
    assert {c: str(frame[c].dtype) for c in VALUE_COLUMNS} == VALUE_DTYPES
    assert frame["customer_id"].dtype == TEXT and frame["visitor_id"].dtype == TEXT


def _frames(path: Path) -> dict[str, pd.DataFrame]:
    """The Python faces' frames on ``path``: a run computed and not stored, the current run."""
    with shopperlens.open(path) as shop:
        return {"types(save=False)": shop.types(save=False), "latest_types()": shop.latest_types()}


def _files(path: Path, folder: Path) -> dict[str, pd.DataFrame]:
    """What ``types --out`` writes on ``path``, read back, per format."""
    out: dict[str, pd.DataFrame] = {}
    for suffix in ("csv", "parquet", "json"):
        file = folder / f"types.{suffix}"
        _cli(path, "types", "--out", str(file), "--limit", "0")
        read = {"csv": pd.read_csv, "parquet": pd.read_parquet, "json": pd.read_json}[suffix]
        out[suffix] = read(file)
    return out


def _http_rows(path: Path, **params: Any) -> list[dict[str, Any]]:
    """The rows of ``GET /api/types`` on ``path``."""
    with shopperlens.open(path) as shop, _api_client(shop) as c:
        res = c.get("/api/types", params={"limit": 10_000, **params})
        assert res.status_code == 200, res.text
        return res.json()["rows"]


def test_every_face_has_the_value_columns_before_any_value_run(plain: Path, tmp_path: Path) -> None:
    for face, frame in _frames(plain).items():
        _check_schema(frame)
        assert frame[VALUE_COLUMNS].isna().all().all(), face
        # no value run stored: the faces show the counts only, as before
        assert value_by_type(frame).empty, face
    for suffix, written in _files(plain, tmp_path).items():
        assert list(written.columns) == COLUMNS, suffix
        assert written[VALUE_COLUMNS].isna().all().all(), suffix
    with shopperlens.open(plain) as shop:
        as_of = f"{pd.Timestamp(shop.latest_types().attrs['as_of']):%Y-%m-%d}"
    for rows in (_http_rows(plain), _http_rows(plain, as_of=as_of)):
        assert all(list(r) == COLUMNS for r in rows)
        assert all(r[c] is None for r in rows for c in VALUE_COLUMNS)


def test_the_schema_is_the_same_with_a_value_run(plain: Path, still: Path, tmp_path: Path) -> None:
    before = _frames(plain)["latest_types()"]
    after = _frames(still)["latest_types()"]
    _check_schema(after)
    assert before.dtypes.to_dict() == after.dtypes.to_dict()
    assert after["clv"].notna().sum() == NOBODY_LEAVES  # the run is joined
    assert list(_files(still, tmp_path)["csv"].columns) == COLUMNS


def test_no_dropout_leaves_p_alive_and_the_flags_missing_in_every_face(
    still: Path, tmp_path: Path
) -> None:
    """Not ``loyal_at_risk = False`` and ``p_alive = 1.0``: the model measured nobody."""
    for face, frame in _frames(still).items():
        _check_schema(frame)
        assert FOUND_NONE in frame.attrs["no_dropout_note"], face
        assert (frame["type"] == "loyal").sum() > 0, face
        assert frame[UNMEASURED].isna().all().all(), (face, frame[UNMEASURED].describe())
        assert frame["clv"].notna().sum() == NOBODY_LEAVES, face  # the CLV itself is shown
        assert not frame["evidence"].str.startswith("loyal at risk").any(), face
    for suffix, written in _files(still, tmp_path).items():
        assert written[UNMEASURED].isna().all().all(), suffix
        assert written["clv"].notna().sum() == NOBODY_LEAVES, suffix
    rows = _http_rows(still)
    assert all(r[c] is None for r in rows for c in UNMEASURED)
    assert sum(r["clv"] is not None for r in rows) == NOBODY_LEAVES
    # the same as one customer's explanation says
    with shopperlens.open(still) as shop:
        loyal = shop.latest_types().query("type == 'loyal'")["customer_id"].iloc[0]
    ex = json.loads(_cli(still, "types", "explain", loyal, "--json"))
    assert ex["loyal_at_risk"] is None and ex["p_alive"] is None and ex["clv"] > 0
    # the CLI's rows say "–" for P(alive), as its table per type does
    out = _cli(still, "types", "--limit", "5")
    rows_shown = [line for line in out.splitlines() if "│ loyal " in line]
    assert rows_shown and all("│ – " in line for line in rows_shown), out


def test_a_measured_run_fills_the_flags(leaving: Path) -> None:
    """With dropout measured, loyal customers are flagged or not, the other types are not
    loyal at risk, and the flags stay nullable: one schema whatever the run found."""
    frame = _frames(leaving)["latest_types()"]
    _check_schema(frame)
    assert frame.attrs["no_dropout"] is None
    loyal = frame["type"] == "loyal"
    assert frame.loc[loyal, "loyal_at_risk"].sum() > 0
    assert not frame.loc[~loyal, "loyal_at_risk"].any()
    assert frame.loc[~loyal, "loyal_at_risk"].notna().all()
    # a loyal customer is flagged exactly when the model flags it at risk
    flags = frame.loc[loyal, ["at_risk", "loyal_at_risk"]]
    assert flags["at_risk"].astype(object).equals(flags["loyal_at_risk"].astype(object))


def _visitors_only(kit: ShopKit) -> ShopKit:
    for visitor in ("v1", "v2"):
        for day in (1, 3, 9):
            kit.visit(visitor, day, pages=3, views=("p2", "p3"), minutes=10)
    return kit


def _orders_only(kit: ShopKit) -> ShopKit:
    for customer in ("c1", "c2"):
        for day in (1, 50, 100):
            kit.order(customer, day, ("p1",))
    return kit


@pytest.mark.parametrize(("build", "missing"), [(_visitors_only, "customer_id"),
                                                 (_orders_only, "visitor_id")])  # fmt: skip
def test_ids_are_text_in_every_frame(build: Any, missing: str, db_path: Path) -> None:
    """A stored run whose customer ids (or visitor ids) are all missing gave ``object`` ids,
    a computed one ``str``: one dtype now, missing as NaN (an anonymous visitor has no
    customer id, so a merge on customer_id drops them first: see the README)."""
    with connect(db_path) as store:
        build(ShopKit()).write(store)
    with shopperlens.open(db_path) as shop:
        frames = [shop.types(save=False), shop.types(), shop.latest_types()]
    for frame in frames:
        _check_schema(frame)
        assert frame[missing].isna().all()
