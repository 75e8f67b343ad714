"""BG/NBD + Gamma-Gamma fitting speed: shopperlens vs ``lifetimes`` in the same run.

Two data sets: the CDNOW sample (2,357 customers, weeks; ``tests/data/cdnow``) and customers
simulated from the BG/NBD (1,000,000; ``--quick``: 100,000) with integer-day recency and age
over two years, as a shop's order history gives them, and Gamma-Gamma order values. Each
library fits in a fresh process (peak RSS is its own); the time covers the fit only (data
already in memory), best of ``--repeat`` runs. "same params" is the largest relative
difference between the two libraries' estimates.

``python -m benchmarks.bench_clv [--quick]``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).parent.parent
CDNOW = ROOT / "tests" / "data" / "cdnow" / "cdnow_customers_summary_with_transactions.csv"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load(dataset: str, n: int) -> pd.DataFrame:
    """``frequency, recency, T, monetary_value`` for the data set."""
    if dataset == "cdnow":
        d = pd.read_csv(CDNOW)
        return pd.DataFrame(
            {"frequency": d["x"], "recency": d["t_x"], "T": d["T"], "monetary_value": d["zbar"]}
        )
    from shopperlens.models import simulate_bgnbd, simulate_spend

    rng = np.random.default_rng(42)
    T = rng.integers(1, 730, n).astype(float)  # customers acquired over two years, in days
    d = simulate_bgnbd(n, r=0.25, alpha=30.0, a=0.8, b=2.5, T=T, seed=43)
    d["recency"] = np.minimum(np.floor(d["recency"]), d["T"])
    d["monetary_value"] = simulate_spend(d["frequency"], p=6.0, q=3.7, v=15.0, seed=44)
    return d[["frequency", "recency", "T", "monetary_value"]]


def worker(lib: str, dataset: str, n: int) -> dict[str, object]:
    """Fit both models with ``lib`` in this process; seconds per model, params, peak RSS."""
    d = load(dataset, n)
    rep = d[d["frequency"] > 0]
    if lib == "shopperlens":
        from shopperlens.models import BetaGeo, GammaGamma
    else:
        warnings.filterwarnings("ignore")
        from lifetimes import BetaGeoFitter, GammaGammaFitter
    t0 = time.perf_counter()  # imports done: time the fits only
    if lib == "shopperlens":
        bg = BetaGeo().fit(d["frequency"], d["recency"], d["T"])
        t1 = time.perf_counter()
        gg = GammaGamma().fit(rep["frequency"], rep["monetary_value"])
        params = {**bg.params_, **gg.params_}
    else:
        bgl = BetaGeoFitter().fit(d["frequency"], d["recency"], d["T"])
        t1 = time.perf_counter()
        ggl = GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
        params = {**bgl.params_.to_dict(), **ggl.params_.to_dict()}
    t2 = time.perf_counter()
    return {
        "bgnbd": t1 - t0,
        "gamma_gamma": t2 - t1,
        "params": {k: float(v) for k, v in params.items()},
        "peak_mb": _peak_mb(),
    }


def _run(lib: str, dataset: str, n: int) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_clv", "--worker", lib, dataset, str(n)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _best(lib: str, dataset: str, n: int, repeat: int) -> dict[str, object]:
    runs = [_run(lib, dataset, n) for _ in range(repeat)]
    return min(runs, key=lambda r: r["bgnbd"] + r["gamma_gamma"])  # type: ignore[operator]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="BG/NBD + Gamma-Gamma fit vs lifetimes")
    parser.add_argument("--quick", action="store_true", help="100,000 simulated customers")
    parser.add_argument("--repeat", type=int, default=3, help="runs per library, best kept")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        lib, dataset, n = args.worker
        print(json.dumps(worker(lib, dataset, int(n))))
        return
    n_sim = 100_000 if args.quick else 1_000_000
    print(
        f"{'what':<34}{'model':<13}{'ours s':>9}{'lifetimes s':>13}{'ratio':>9}"
        f"{'same params':>13}{'our RSS':>10}{'peer RSS':>10}"
    )
    for dataset, n, label in (
        ("cdnow", 2357, "CDNOW (2,357 customers)"),
        ("sim", n_sim, f"simulated ({n_sim:,} customers)"),
    ):
        ours = _best("shopperlens", dataset, n, args.repeat)
        try:
            peer: dict[str, object] | None = _best(
                "lifetimes", dataset, n, 1 if dataset == "sim" else args.repeat
            )
        except subprocess.CalledProcessError as exc:  # lifetimes missing or broken
            print(f"lifetimes failed: {exc.stderr.strip().splitlines()[-1:]}")
            peer = None
        for model, keys in (("bgnbd", ("r", "alpha", "a", "b")), ("gamma_gamma", ("p", "q", "v"))):
            t_ours = float(ours[model])  # type: ignore[arg-type]
            if peer:
                t_peer = float(peer[model])  # type: ignore[arg-type]
                diff = max(
                    abs(ours["params"][k] - peer["params"][k]) / abs(peer["params"][k])  # type: ignore[index]
                    for k in keys
                )
                cells = f"{t_peer:>13.4f}{t_peer / t_ours:>8.0f}x{diff:>13.1e}"
            else:
                cells = f"{'-':>13}{'-':>9}{'-':>13}"
            peer_rss = f"{peer['peak_mb']:>6,.0f} MiB" if peer else f"{'-':>10}"
            print(
                f"{label:<34}{model:<13}{t_ours:>9.4f}{cells}{ours['peak_mb']:>6,.0f} MiB{peer_rss}"
            )
        total = float(ours["bgnbd"]) + float(ours["gamma_gamma"])  # type: ignore[arg-type]
        print(f"{label:<34}{'both':<13}{total:>9.4f}")
    print("ratio = lifetimes time / our time; same params = largest relative difference")


if __name__ == "__main__":
    main()
