"""Reciprocal rank fusion: rank/fusion_rrf.py against ranx.fuse(method="rrf") on the same runs.

Two rankings of 100 candidates per query (BM25 and dense, as rank/search.py fuses them), 60%
overlap, 200 queries; both fuse all queries, the figure is ranx's time over ours (median of 5
rounds) and whether the fused top 10 agree.

    nice -n 10 .venv/bin/python bench/fusion.py
"""

from __future__ import annotations

import random
import statistics
import time
import warnings

from likewise.rank.fusion_rrf import reciprocal_rank_fusion

QUERIES = 200
DEPTH = 100
ROUNDS = 5


def rankings(seed: int) -> dict[str, dict[str, list[str]]]:
    rng = random.Random(seed)
    runs: dict[str, dict[str, list[str]]] = {}
    for query in range(QUERIES):
        pool = [f"d{query}-{n}" for n in range(int(DEPTH * 1.4))]
        lexical = rng.sample(pool, DEPTH)
        dense = rng.sample(pool, DEPTH)
        runs[f"q{query}"] = {"bm25": lexical, "dense": dense}
    return runs


def ours(runs: dict[str, dict[str, list[str]]]) -> dict[str, list[str]]:
    return {q: [d for d, _ in reciprocal_rank_fusion(r)[:10]] for q, r in runs.items()}


def theirs(runs: dict[str, dict[str, list[str]]]) -> dict[str, list[str]]:
    from ranx import Run, fuse

    per_method = []
    for method in ("bm25", "dense"):
        scores = {
            q: {d: float(DEPTH - i) for i, d in enumerate(r[method])} for q, r in runs.items()
        }
        per_method.append(Run(scores, name=method))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fused = fuse(runs=per_method, method="rrf", params={"k": 60})
    return {q: sorted(s, key=lambda d: -s[d])[:10] for q, s in fused.to_dict().items()}


def main() -> int:
    runs = rankings(7)
    theirs(runs)  # ranx compiles its kernels on first use: not part of the figure
    times: dict[str, list[float]] = {"ours": [], "ranx": []}
    tops: dict[str, dict[str, list[str]]] = {}
    for _ in range(ROUNDS):
        for name, fuse_all in (("ours", ours), ("ranx", theirs)):
            started = time.perf_counter()
            tops[name] = fuse_all(runs)
            times[name].append(time.perf_counter() - started)
    agree = sum(set(tops["ours"][q]) == set(tops["ranx"][q]) for q in runs)
    base = statistics.median(times["ours"])
    ratio = statistics.median(times["ranx"]) / base
    print(f"{QUERIES} queries, 2 x {DEPTH} candidates each")
    print(f"rank/fusion_rrf.py: {base * 1e3 / QUERIES:.3f} ms a query (baseline, 1.00x)")
    print(f"ranx.fuse rrf: {ratio:.1f}x the time; same top-10 set for {agree}/{QUERIES} queries")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
