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


def worker(lib: str, dataset: str, n: int, warm: int = 5) -> dict[str, object]:
    """Fit both models with ``lib`` in this process; seconds per model, params, peak RSS.

    The first fit of each model is the cold time (what a one-off run sees: numpy, scipy and
    pandas set up their first calls); the best of ``warm`` further fits is the warm time
    (what a job fitting one model per segment, or per bootstrap draw, sees).
    """
    d = load(dataset, n)
    rep = d[d["frequency"] > 0]
    if lib == "shopperlens":
        from shopperlens.models import BetaGeo, GammaGamma

        def fit_bg() -> dict[str, float]:
            return BetaGeo().fit(d["frequency"], d["recency"], d["T"]).params_

        def fit_gg() -> dict[str, float]:
            return GammaGamma().fit(rep["frequency"], rep["monetary_value"]).params_
    else:
        warnings.filterwarnings("ignore")
        from lifetimes import BetaGeoFitter, GammaGammaFitter

        def fit_bg() -> dict[str, float]:
            return BetaGeoFitter().fit(d["frequency"], d["recency"], d["T"]).params_.to_dict()

        def fit_gg() -> dict[str, float]:
            return GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"]).params_.to_dict()

    out: dict[str, object] = {}
    params: dict[str, float] = {}
    for model, fit in (("bgnbd", fit_bg), ("gamma_gamma", fit_gg)):
        times = []
        for _ in range(1 + warm):
            t0 = time.perf_counter()  # imports done: time the fit only
            params.update(fit())
            times.append(time.perf_counter() - t0)
        out[model], out[f"{model}_warm"] = times[0], min(times[1:], default=times[0])
    out["params"] = {k: float(v) for k, v in params.items()}
    out["peak_mb"] = _peak_mb()
    return out


def _run(lib: str, dataset: str, n: int, warm: int) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_clv", "--worker", lib, dataset, str(n), str(warm)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _best(lib: str, dataset: str, n: int, repeat: int, warm: int) -> dict[str, object]:
    """Best of ``repeat`` fresh processes, per timing (cold and warm each keep their best)."""
    runs = [_run(lib, dataset, n, warm) for _ in range(repeat)]
    best = dict(runs[0])
    for key in ("bgnbd", "gamma_gamma", "bgnbd_warm", "gamma_gamma_warm"):
        best[key] = min(float(r[key]) for r in runs)  # type: ignore[arg-type]
    best["peak_mb"] = max(float(r["peak_mb"]) for r in runs)  # type: ignore[arg-type]
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="BG/NBD + Gamma-Gamma fit vs lifetimes")
    parser.add_argument("--quick", action="store_true", help="100,000 simulated customers")
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per library")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        lib, dataset, n, warm = args.worker
        print(json.dumps(worker(lib, dataset, int(n), int(warm))))
        return
    n_sim = 100_000 if args.quick else 1_000_000
    print(
        f"{'what':<34}{'model':<13}{'fit':<6}{'ours s':>9}{'lifetimes s':>13}{'ratio':>9}"
        f"{'same params':>13}{'our RSS':>10}{'peer RSS':>10}"
    )
    for dataset, n, label, warm in (
        ("cdnow", 2357, "CDNOW (2,357 customers)", 5),
        ("sim", n_sim, f"simulated ({n_sim:,} customers)", 0),  # one fit per process
    ):
        ours = _best("shopperlens", dataset, n, args.repeat, warm)
        try:
            peer: dict[str, object] | None = _best(
                "lifetimes", dataset, n, 1 if dataset == "sim" else args.repeat, warm
            )
        except subprocess.CalledProcessError as exc:  # lifetimes missing or broken
            print(f"lifetimes failed: {exc.stderr.strip().splitlines()[-1:]}")
            peer = None
        for model, keys in (("bgnbd", ("r", "alpha", "a", "b")), ("gamma_gamma", ("p", "q", "v"))):
            for when, key in (("cold", model), ("warm", f"{model}_warm"))[: 2 if warm else 1]:
                t_ours = float(ours[key])  # type: ignore[arg-type]
                if peer:
                    t_peer = float(peer[key])  # type: ignore[arg-type]
                    diff = max(
                        abs(ours["params"][k] - peer["params"][k]) / abs(peer["params"][k])  # type: ignore[index]
                        for k in keys
                    )
                    cells = f"{t_peer:>13.4f}{t_peer / t_ours:>8.0f}x{diff:>13.1e}"
                else:
                    cells = f"{'-':>13}{'-':>9}{'-':>13}"
                peer_rss = f"{peer['peak_mb']:>6,.0f} MiB" if peer else f"{'-':>10}"
                print(
                    f"{label:<34}{model:<13}{when:<6}{t_ours:>9.4f}{cells}"
                    f"{ours['peak_mb']:>6,.0f} MiB{peer_rss}"
                )
        total = float(ours["bgnbd"]) + float(ours["gamma_gamma"])  # type: ignore[arg-type]
        print(f"{label:<34}{'both':<13}{'cold':<6}{total:>9.4f}")
    print(
        "ratio = lifetimes time / our time; cold = first fit in a fresh process, warm = best "
        "of 5 more fits in it; same params = largest relative difference"
    )


if __name__ == "__main__":
    main()
