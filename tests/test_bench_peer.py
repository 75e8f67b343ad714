"""The types benchmark compares shopperlens with "the same features computed with pandas": the
pandas peer must compute the same features, or the ratio compares different work. A change to
a feature (here once "bought the product searched for") left the peer behind and its type
counts drifted without a word; this holds the two equal on a small generated shop."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's benchmarks/

from benchmarks import bench_types  # noqa: E402

from shopperlens.features import FEATURE_COLUMNS  # noqa: E402
from shopperlens.service import types as svc  # noqa: E402
from shopperlens.store import connect  # noqa: E402
from shopperlens.types import load_config  # noqa: E402


def test_the_pandas_peer_computes_the_same_features(tmp_path: Path) -> None:
    db = tmp_path / "shop.duckdb"
    bench_types.generate(db, 0.002)
    pq = tmp_path / "pq"
    pq.mkdir()
    bench_types.export_parquet(db, pq)
    cfg = load_config()
    as_of = bench_types.AS_OF
    with connect(db) as store:
        ours = svc.features(store=store, as_of=as_of, config=cfg)
    d = {t: pd.read_parquet(pq / f"{t}.parquet") for t in bench_types.TABLES}
    peer = bench_types.pandas_features(d, as_of, cfg.feature_spec())
    assert isinstance(as_of, datetime) and len(ours) == len(peer) > 1000
    ours = ours.sort_values("subject_id", ignore_index=True)
    cols = ["subject_id", *FEATURE_COLUMNS]
    pd.testing.assert_frame_equal(
        ours[cols].astype(object).where(ours[cols].notna(), None).astype(float, errors="ignore"),
        peer[cols].astype(object).where(peer[cols].notna(), None).astype(float, errors="ignore"),
        check_dtype=False,
        rtol=1e-6,
    )
    assert ours["search_matched_purchases"].sum() > 0  # (the shop has matched searches to compare)


def test_our_side_of_the_benchmark_runs_and_stores_its_run(tmp_path: Path) -> None:
    """The benchmark times the service step by step, through its own calls (features, rules,
    storing the run); a change to one of them broke it while every test passed, and the
    benchmark printed the error and still exited 0."""
    db = tmp_path / "shop.duckdb"
    bench_types.generate(db, 0.002)
    got = bench_types.run_ours(db, "2GB")
    assert "error" not in got and got["subjects"] > 1000
    with connect(db) as store:
        assert store.count("type_runs") == 1 and store.count("customer_types") == got["subjects"]
