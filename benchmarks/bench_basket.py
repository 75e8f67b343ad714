"""Association rules on synthetic baskets: shopperlens vs mlxtend (fpgrowth + association_rules).

Both miners get the same list of baskets (1,000 items with Zipf popularity, 1–12 items per
basket, planted bundles, and 0.1 % wholesale baskets of 50–80 items) and return the same
rules. Each run happens in a fresh process so its peak RSS is its own; "peak RSS" is the
process high-water mark, "extra" the growth over the process after imports. mlxtend gets its
sparse one-hot input (TransactionEncoder, sparse=True), which is its lower-memory path.

``python -m benchmarks.bench_basket [--quick]``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

MIN_SUPPORT = 0.002
MIN_CONFIDENCE = 0.2


def make_baskets(n: int, seed: int = 7, n_items: int = 1000) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    names = np.array([f"p{i:04d}" for i in range(n_items)], dtype=object)
    popularity = 1.0 / np.arange(1, n_items + 1) ** 1.1
    popularity /= popularity.sum()
    sizes = np.minimum(1 + rng.poisson(2.5, n), 12)
    wholesale = rng.random(n) < 0.001
    sizes[wholesale] = rng.integers(50, 81, wholesale.sum())
    flat = names[rng.choice(n_items, size=int(sizes.sum()), p=popularity)]
    bundles = [names[rng.choice(n_items, size=int(rng.integers(2, 5)), replace=False)]
               for _ in range(20)]  # fmt: skip
    with_bundle = rng.random(n) < 0.2
    which = rng.integers(0, len(bundles), n)
    out: list[list[str]] = []
    pos = 0
    for i, k in enumerate(sizes.tolist()):
        basket = flat[pos : pos + k].tolist()
        pos += k
        if with_bundle[i]:
            basket.extend(bundles[which[i]].tolist())
        out.append(basket)
    return out


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def worker(engine: str, n: int, n_items: int = 1000) -> dict[str, float]:
    import pandas as pd  # noqa: F401  (imported before the baseline, as the miners need it)

    if engine == "mlxtend":
        from mlxtend.frequent_patterns import association_rules, fpgrowth
        from mlxtend.preprocessing import TransactionEncoder
    else:
        from shopperlens.models import association_rules, frequent_itemsets
    baskets = make_baskets(n, n_items=n_items)
    base = _current_rss_mb()
    t0 = time.perf_counter()
    if engine == "mlxtend":
        import pandas as pd

        te = TransactionEncoder()
        onehot = te.fit(baskets).transform(baskets, sparse=True)
        df = pd.DataFrame.sparse.from_spmatrix(onehot, columns=te.columns_)
        items = fpgrowth(df, min_support=MIN_SUPPORT, use_colnames=True)
        rules = association_rules(items, num_itemsets=n, min_threshold=MIN_CONFIDENCE)
    else:
        items = frequent_itemsets(baskets, min_support=MIN_SUPPORT)
        rules = association_rules(items, num_itemsets=n, min_threshold=MIN_CONFIDENCE)
    elapsed = time.perf_counter() - t0
    peak = _rss_mb()
    return {"time": elapsed, "peak": peak, "extra": max(0.0, peak - base),
            "itemsets": len(items), "rules": len(rules)}  # fmt: skip


def _run(engine: str, n: int, timeout: float, n_items: int = 1000) -> dict[str, float] | None:
    cmd = [sys.executable, "-m", "benchmarks.bench_basket", "--worker", engine, "--n", str(n),
           "--items", str(n_items)]  # fmt: skip
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return None
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10k–100k baskets only")
    parser.add_argument("--worker", choices=["ours", "mlxtend"], help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--items", type=int, default=1000, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.n, args.items)))
        return
    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 300_000, 1_000_000]
    peer_limit = 100_000 if args.quick else 1_000_000
    header = (
        f"{'baskets':>10} {'ours s':>8} {'mlxtend s':>10} {'speed-up':>9} "
        f"{'ours MB':>8} {'mlx MB':>8} {'mem ratio':>9} {'itemsets':>9} {'rules':>7}"
    )
    print(f"association rules, min_support={MIN_SUPPORT}, min_confidence={MIN_CONFIDENCE}")
    print("MB = peak RSS growth over the process after imports (whole peak RSS in brackets)")
    print(header)
    for n in sizes:
        ours = _run("ours", n, timeout=900)
        peer = _run("mlxtend", n, timeout=900) if n <= peer_limit else None
        assert ours is not None
        if peer is not None:
            assert (peer["itemsets"], peer["rules"]) == (ours["itemsets"], ours["rules"]), (
                "the two miners disagree"
            )
        speed = f"{peer['time'] / ours['time']:.1f}x" if peer else "–"
        mem = f"{peer['extra'] / max(ours['extra'], 1):.1f}x" if peer else "–"
        peer_t = f"{peer['time']:.2f}" if peer else "(skipped)"
        peer_m = f"{peer['extra']:.0f}" if peer else "–"
        print(f"{n:>10,} {ours['time']:>8.2f} {peer_t:>10} {speed:>9} "
              f"{ours['extra']:>8.0f} {peer_m:>8} {mem:>9} {ours['itemsets']:>9,} "
              f"{ours['rules']:>7,}   [peak {ours['peak']:.0f} / "
              f"{peer['peak'] if peer else float('nan'):.0f} MB]", flush=True)  # fmt: skip
    # growth with the catalogue: same baskets count, more distinct items
    n = 30_000 if args.quick else 100_000
    print(f"\ncatalogue size, {n:,} baskets")
    cols = ("ours s", 8), ("mlxtend s", 10), ("speed-up", 9), ("ours MB", 8), ("mlx MB", 8)
    print(f"{'items':>10} " + " ".join(f"{c:>{w}}" for c, w in cols))
    for n_items in (1_000, 5_000, 20_000):
        ours = _run("ours", n, timeout=900, n_items=n_items)
        peer = _run("mlxtend", n, timeout=900, n_items=n_items)
        assert ours is not None and peer is not None
        print(f"{n_items:>10,} {ours['time']:>8.2f} {peer['time']:>10.2f} "
              f"{peer['time'] / ours['time']:>8.1f}x {ours['extra']:>8.0f} {peer['extra']:>8.0f}",
              flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
