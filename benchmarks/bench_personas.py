"""Personas from 10,000 to 100,000 survey respondents: shopperlens vs k-prototypes (kmodes).

The respondents answer the demo shop's ``demo-profile`` survey (four planted personas, 17
questions: numbers, single choices, multi-selects, free text). shopperlens runs its whole path:
``service.personas.build`` (FAMD encoding, k-means for every k in 2–6, silhouette and 20
bootstrap refits per k, synthesis of every card, storing the run in DuckDB). The peer is the
usual mixed-data choice, Huang's k-prototypes (``kmodes.kprototypes.KPrototypes``), given the
easier job: the number of personas fixed at 4, one initialisation, no stability check, no
cards; multi-select options enter it as 0/1 categorical columns. It runs only up to 30,000
respondents (it grows too slowly for more). Each run is a fresh process so its peak RSS is its
own. Target: 100,000 respondents in under 60 s.

``python -m benchmarks.bench_personas [--quick]``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd

PERSONAS = ("frugal", "eco", "busy", "trendy")
PEER_MAX = 30_000


def make_answers(n: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n`` survey rows from the demo's planted personas, and the truth."""
    from shopperlens.demo import survey

    rng = np.random.default_rng(seed)
    who = rng.choice(len(PERSONAS), size=n, p=[0.3, 0.25, 0.25, 0.2])
    people = [{"persona": PERSONAS[w], "income": survey.true_income(rng, PERSONAS[w])} for w in who]
    return survey.survey_answers(rng, people, 2025)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(engine: str, n: int) -> dict[str, float]:
    from sklearn.metrics import adjusted_rand_score

    answers, truth = make_answers(n)
    t0 = time.perf_counter()
    if engine == "shopperlens":
        from shopperlens.service import personas
        from shopperlens.store import connect

        with connect(":memory:") as store:
            run = personas.build(store=store, frame=answers)
            labels = personas.members(store=store).set_index("respondent")["persona_id"]
        labels = labels.loc[answers["respondent"]].to_numpy()
        k = run.n_personas
    else:
        from kmodes.kprototypes import KPrototypes

        from shopperlens.models.clustering import split_multi

        num = answers[["income", "novelty", "price_sensitivity"]].astype(float)
        num = (num - num.mean()) / num.std()
        single = ["age_bracket", "gender", "marital_status", "children", "education",
                  "occupation", "spending_habit", "barrier", "motivation"]  # fmt: skip
        cats = answers[single].astype(str)
        for col in ("values", "hobbies", "channels"):
            ticked = answers[col].map(split_multi)
            for opt in sorted({o for t in ticked for o in t}):
                cats[f"{col}={opt}"] = ticked.map(lambda t, o=opt: str(int(o in t)))
        x = np.hstack([num.to_numpy(), cats.to_numpy(dtype=object)])
        model = KPrototypes(n_clusters=4, init="Cao", n_init=1, random_state=0, n_jobs=1)
        labels = model.fit_predict(x, categorical=list(range(3, x.shape[1])))
        k = 4
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "rss_mb": _rss_mb(),
        "k": k,
        "ari": float(adjusted_rand_score(truth["persona"], labels)),
    }


def _run(engine: str, n: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_personas", "--worker", engine, str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> list[dict[str, object]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 and 10,000 respondents only")
    parser.add_argument("--worker", nargs=2, metavar=("ENGINE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker[0], int(args.worker[1]))))
        return []
    sizes = [2_000, 10_000] if args.quick else [10_000, 30_000, 100_000]
    rows: list[dict[str, object]] = []
    first: float | None = None
    print(f"{'what':<34}{'ours s':>9}{'peer s':>9}{'ratio':>8}{'RSS MB':>9}{'k':>3}{'ARI':>6}"
          f"{'peer ARI':>9}{'growth':>8}")  # fmt: skip
    for n in sizes:
        ours = _run("shopperlens", n)
        peer = _run("kprototypes", n) if n <= PEER_MAX else None
        first = first or ours["seconds"]
        row = {
            "what": f"personas, {n:,} respondents",
            "ours_s": round(ours["seconds"], 2),
            "peer_s": None if peer is None else round(peer["seconds"], 2),
            "ratio": None if peer is None else round(peer["seconds"] / ours["seconds"], 2),
            "peak_rss_mb": round(ours["rss_mb"]),
            "k": int(ours["k"]),
            "ari": round(ours["ari"], 3),
            "peer_ari": None if peer is None else round(peer["ari"], 3),
            "growth": round(ours["seconds"] / first, 2),
        }
        rows.append(row)
        peer_s = "–" if peer is None else f"{peer['seconds']:.2f}"
        ratio = "–" if row["ratio"] is None else f"{row['ratio']:.2f}"
        peer_ari = "–" if peer is None else f"{peer['ari']:.3f}"
        print(f"{row['what']:<34}{ours['seconds']:>9.2f}{peer_s:>9}{ratio:>8}"
              f"{ours['rss_mb']:>9.0f}{row['k']:>3}{ours['ari']:>6.3f}{peer_ari:>9}"
              f"{row['growth']:>8.2f}")  # fmt: skip
    print("ratio = peer time / our time (peer: k-prototypes at fixed k=4, no k search, no "
          "stability, no cards); growth = time / time at the smallest size")  # fmt: skip
    return rows


if __name__ == "__main__":
    main()
