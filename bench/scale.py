"""Scale benchmark: vector search over catalogs of 100k, 1M and 3M papers, per backend.

Vectors are the real corpus embeddings plus synthetic ones drawn from a Gaussian mixture fit
to them (k-means clusters, each sampled with its own empirical covariance), so the synthetic
catalog has the real one's cluster structure. Queries are real vectors held out of the
catalog. For each backend (usearch in-process, pgvector in PostgreSQL) and size it prints
index build time, bytes per paper, top-10 latency p50/p95 unfiltered and under a selective
(0.5%) and a broad (20%) filter, each as a ratio against exact NumPy search timed in the same
run, and recall@10 against exact search.

Backend usearch-compressed is the graph of PCA-reduced vectors (--reduced-dimensions, int8)
re-ranked with the full vectors (--rerank-factor); it is also reported against plain usearch
built and searched in the same run (which it then always runs first).

    nice -n 19 /tmp/venv/bin/python bench/scale.py --sizes 100000,1000000 \
        --vectors-only-sizes 3000000
    nice -n 10 .venv/bin/python bench/scale.py --sizes 100000 --backends usearch-compressed \
        --reduced-dimensions 128 --rerank-factor 8 --efforts 400
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from scale_backends import (
    compressed_backend,
    pgvector_backend,
    start_postgres,
    usearch_backend,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED_EMBEDDINGS = ROOT.parent / "shared" / "data" / "embeddings-all-minilm-l6-v2"
ARXIV_CACHE = Path.home() / ".cache" / "likewise"
K = 10
FILTERS = {"selective": 0.005, "broad": 0.20}
SEARCH_EFFORTS = (40, 100, 200, 400, 600, 800, 1000)

Matrix = npt.NDArray[np.float32]
Keys = npt.NDArray[np.int64]
SearchFunction = Callable[[Matrix, int, Keys | None], tuple[Keys, Matrix]]


def load_real_vectors() -> tuple[Matrix, str]:
    """The arXiv corpus embeddings when bench/embed_corpus.py has made them, else the shared
    SciFact + CSFCube vectors of the same model."""
    full = ARXIV_CACHE / "arxiv-daily-cs.int8.npy"
    if full.is_file():
        matrix = np.load(full).astype(np.float32)
        return matrix, f"{len(matrix):,} real arXiv papers ({full})"
    parts = sorted((ARXIV_CACHE / "arxiv-daily-cs.int8.parts").glob("part-*.npy"))
    blocks: list[Matrix] = []
    for part in parts:
        if int(part.stem.split("-")[1]) != sum(len(block) for block in blocks):
            break
        blocks.append(np.load(part).astype(np.float32))
    if blocks and sum(len(block) for block in blocks) >= 20_000:
        matrix = np.concatenate(blocks)
        return matrix, f"{len(matrix):,} real arXiv papers embedded so far ({parts[0].parent})"
    shared = [np.load(SHARED_EMBEDDINGS / f"{name}.f16.npy") for name in ("scifact", "csfcube")]
    matrix = np.concatenate(shared).astype(np.float32)
    return matrix, f"{len(matrix):,} SciFact + CSFCube papers ({SHARED_EMBEDDINGS})"


def normalise(matrix: Matrix) -> Matrix:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    result: Matrix = (matrix / np.maximum(norms, 1e-12)).astype(np.float32)
    return result


@dataclass
class Mixture:
    centroids: Matrix
    members: list[Keys]  # rows of the real matrix in each cluster
    weights: npt.NDArray[np.float64]


def fit_mixture(real: Matrix, clusters: int, rng: np.random.Generator) -> Mixture:
    """Lloyd's k-means on the unit sphere (a few rounds are enough to place the clusters)."""
    centroids = real[rng.choice(len(real), clusters, replace=False)].copy()
    assignment = np.zeros(len(real), dtype=np.int64)
    for _ in range(8):
        assignment = np.argmax(real @ centroids.T, axis=1)
        for cluster in range(clusters):
            chosen = real[assignment == cluster]
            if len(chosen):
                centroids[cluster] = chosen.mean(axis=0)
    members = [np.flatnonzero(assignment == cluster) for cluster in range(clusters)]
    weights = np.array([len(found) for found in members], dtype=np.float64)
    keep = weights >= 2
    centroids = centroids[keep]
    members = [found for found, kept in zip(members, keep, strict=True) if kept]
    return Mixture(centroids, members, weights[keep] / weights[keep].sum())


def sample_mixture(
    mixture: Mixture, real: Matrix, count: int, rng: np.random.Generator, mixing: int = 8
) -> Matrix:
    """Draws from N(centroid, cluster covariance): the centroid plus a random combination of
    `mixing` member residuals with N(0, 1/mixing) weights has exactly that covariance."""
    clusters = rng.choice(len(mixture.weights), size=count, p=mixture.weights)
    out = np.empty((count, real.shape[1]), dtype=np.float32)
    for cluster in np.unique(clusters):
        rows = np.flatnonzero(clusters == cluster)
        members = mixture.members[cluster]
        picked = members[rng.integers(0, len(members), size=(len(rows), mixing))]
        residuals = real[picked] - mixture.centroids[cluster]
        weights = rng.standard_normal((len(rows), mixing, 1)).astype(np.float32)
        weights /= np.sqrt(mixing)
        out[rows] = mixture.centroids[cluster] + (weights * residuals).sum(axis=1)
    return normalise(out)


def build_catalog(real: Matrix, mixture: Mixture, size: int, rng: np.random.Generator) -> Matrix:
    """`size` vectors: every real one first, then synthetic ones."""
    catalog = np.empty((size, real.shape[1]), dtype=np.float32)
    taken = min(size, len(real))
    catalog[:taken] = real[:taken]
    block = 100_000
    for start in range(taken, size, block):
        stop = min(size, start + block)
        catalog[start:stop] = sample_mixture(mixture, real, stop - start, rng)
    return catalog


def exact_top_k(catalog: Matrix, queries: Matrix, allowed: Keys | None) -> Keys:
    """True top-k keys (rows) per query, among `allowed` rows when given."""
    rows = np.arange(len(catalog)) if allowed is None else allowed
    scores = np.zeros((len(queries), len(rows)), dtype=np.float32)
    block = 200_000
    for start in range(0, len(rows), block):
        chunk = rows[start : start + block]
        scores[:, start : start + len(chunk)] = queries @ catalog[chunk].T
    if scores.shape[1] > K:
        top = np.argpartition(-scores, K, axis=1)[:, :K]
    else:
        top = np.tile(np.arange(scores.shape[1]), (len(queries), 1))
    order = np.take_along_axis(scores, top, axis=1).argsort(axis=1)[:, ::-1]
    result: Keys = rows[np.take_along_axis(top, order, axis=1)].astype(np.int64)
    return result


def exact_search_function(catalog: Matrix) -> SearchFunction:
    def search(query: Matrix, k: int, allowed: Keys | None) -> tuple[Keys, Matrix]:
        rows = np.arange(len(catalog)) if allowed is None else allowed
        scores = catalog[rows] @ query if allowed is not None else catalog @ query
        top = np.argpartition(-scores, k)[:k] if len(scores) > k else np.arange(len(scores))
        return rows[top].astype(np.int64), scores[top]

    return search


def time_queries(
    search: SearchFunction, queries: Matrix, allowed: Keys | None
) -> tuple[list[Keys], npt.NDArray[np.float64]]:
    results: list[Keys] = []
    seconds = []
    for query in queries:
        started = time.perf_counter()
        keys, _ = search(query, K, allowed)
        seconds.append(time.perf_counter() - started)
        results.append(np.asarray(keys, dtype=np.int64))
    return results, np.array(seconds)


def recall(found: list[Keys], truth: Keys) -> float:
    hits = sum(
        len(set(keys.tolist()) & set(row.tolist())) for keys, row in zip(found, truth, strict=True)
    )
    return hits / (len(truth) * K)


@dataclass
class Measured:
    p50_ms: float
    p95_ms: float
    recall: float


def measure(search: SearchFunction, queries: Matrix, allowed: Keys | None, truth: Keys) -> Measured:
    search(queries[0], K, allowed)  # warm caches and lazy set-up
    found, seconds = time_queries(search, queries, allowed)
    return Measured(
        float(np.percentile(seconds, 50) * 1000),
        float(np.percentile(seconds, 95) * 1000),
        recall(found, truth),
    )


@dataclass
class BackendRun:
    build: float
    size_bytes: int
    measured: dict[int, dict[str, Measured]]  # search effort -> filter -> figures


def compare(name: str, size: int, run: BackendRun, baseline: BackendRun) -> None:
    """`name` against plain usearch of the same run, figure by figure."""
    per_paper, baseline_per_paper = run.size_bytes / size, baseline.size_bytes / size
    print(
        f"  {name} vs usearch: {per_paper:.0f} vs {baseline_per_paper:.0f} bytes/paper "
        f"({per_paper / baseline_per_paper:.2f}x), build {run.build:.1f} vs "
        f"{baseline.build:.1f} s ({run.build / baseline.build:.2f}x)"
    )
    for effort, filters in run.measured.items():
        print(f"   expansion_search = {effort}")
        for label, measured in filters.items():
            other = baseline.measured[effort][label]
            print(
                f"    {label:10} recall@10 {measured.recall:.3f} vs {other.recall:.3f}, "
                f"p50 {measured.p50_ms:.2f} vs {other.p50_ms:.2f} ms "
                f"({measured.p50_ms / other.p50_ms:.2f}x), p95 {measured.p95_ms:.2f} vs "
                f"{other.p95_ms:.2f} ms ({measured.p95_ms / other.p95_ms:.2f}x)"
            )


def report(label: str, measured: Measured, baseline: Measured) -> str:
    return (
        f"{label} p50 {measured.p50_ms:7.2f} ms ({measured.p50_ms / baseline.p50_ms:5.2f}x exact) "
        f"p95 {measured.p95_ms:7.2f} ms ({measured.p95_ms / baseline.p95_ms:5.2f}x exact) "
        f"recall@10 {measured.recall:.3f}"
    )


def run_size(
    size: int,
    backends: list[str],
    real: Matrix,
    queries: Matrix,
    mixture: Mixture,
    database_url: str | None,
    rng: np.random.Generator,
    arguments: argparse.Namespace,
) -> None:
    started = time.perf_counter()
    catalog = build_catalog(real, mixture, size, rng)
    print(f"\n== {size:,} papers (catalog made in {time.perf_counter() - started:.0f} s)")
    filters: dict[str, Keys | None] = {"unfiltered": None}
    for name, share in FILTERS.items():
        filters[name] = np.sort(rng.choice(size, int(size * share), replace=False)).astype(np.int64)
    truths = {name: exact_top_k(catalog, queries, allowed) for name, allowed in filters.items()}
    exact = exact_search_function(catalog)
    baselines = {
        name: measure(exact, queries, allowed, truths[name]) for name, allowed in filters.items()
    }
    print(f"  exact NumPy float32, {catalog.nbytes / size:.0f} bytes/paper")
    for name, measured in baselines.items():
        print(f"    {name:10} p50 {measured.p50_ms:7.2f} ms p95 {measured.p95_ms:7.2f} ms")
    if "usearch-compressed" in backends and "usearch" not in backends:
        backends = ["usearch", *backends]  # the compressed index is reported against it
    runs: dict[str, BackendRun] = {}
    for backend in backends:
        if backend == "usearch":
            search, build, size_bytes, holder = usearch_backend(catalog)
        elif backend == "usearch-compressed":
            search, build, size_bytes, holder = compressed_backend(catalog, arguments)
        elif database_url is not None:
            search, build, size_bytes, holder = pgvector_backend(
                catalog, database_url, arguments.pgvector_m, arguments.pgvector_ef_construction
            )
        else:
            continue
        print(f"  {backend}: build {build:.0f} s, {size_bytes / size:.0f} bytes/paper")
        run = BackendRun(build, size_bytes, {})
        for effort in iterate_sizes(arguments.efforts):
            set_search_effort(backend, holder, effort)
            knob = "hnsw.ef_search" if backend == "pgvector" else "expansion_search"
            print(f"   {knob} = {effort}")
            run.measured[effort] = {}
            for name, allowed in filters.items():
                measured = measure(search, queries, allowed, truths[name])
                run.measured[effort][name] = measured
                print("    " + report(f"{name:10}", measured, baselines[name]))
            sys.stdout.flush()
        runs[backend] = run
        if backend == "usearch-compressed":
            compare(backend, size, run, runs["usearch"])
        del search, holder
        gc.collect()


def set_search_effort(backend: str, holder: Any, effort: int) -> None:
    """The graph's search breadth: the recall / latency dial of both HNSW implementations."""
    if backend.startswith("usearch"):
        holder._index.expansion_search = effort
    else:
        holder.ef_search = effort


def iterate_sizes(text: str) -> Iterator[int]:
    for item in text.split(","):
        if item.strip():
            yield int(item.strip().replace("_", ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="catalog sizes, comma-separated")
    parser.add_argument(
        "--vectors-only-sizes", default="", help="sizes run with the in-process index only"
    )
    parser.add_argument("--backends", default="usearch,pgvector")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--clusters", type=int, default=256)
    parser.add_argument(
        "--database-url", default="", help="PostgreSQL with pgvector; empty starts a pgserver"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--efforts",
        default=",".join(map(str, SEARCH_EFFORTS)),
        help="search breadths to sweep (hnsw.ef_search / expansion_search), comma-separated",
    )
    parser.add_argument("--pgvector-m", type=int, default=16, help="HNSW graph degree m")
    parser.add_argument(
        "--pgvector-ef-construction", type=int, default=64, help="HNSW build breadth"
    )
    parser.add_argument("--reduced-dimensions", type=int, default=128)
    parser.add_argument("--rerank-factor", type=int, default=8)
    parser.add_argument("--compressed-dtype", default="i8", choices=("i8", "f16"))
    parser.add_argument("--reduction", default="pca", choices=("pca", "pca-centred"))
    arguments = parser.parse_args(argv)
    rng = np.random.default_rng(arguments.seed)
    real, origin = load_real_vectors()
    real = normalise(real)
    held_out = rng.choice(len(real), arguments.queries, replace=False)
    queries = real[held_out]
    real = np.delete(real, held_out, axis=0)
    print(f"distribution source: {origin}; {len(queries)} of them held out as queries")
    started = time.perf_counter()
    mixture = fit_mixture(real, min(arguments.clusters, len(real) // 20), rng)
    print(f"mixture: {len(mixture.weights)} clusters fit in {time.perf_counter() - started:.0f} s")
    backends = [name.strip() for name in arguments.backends.split(",") if name.strip()]
    server = None
    folder: Path | None = None
    database_url: str | None = arguments.database_url or None
    if "pgvector" in backends and database_url is None:
        folder = Path(tempfile.mkdtemp(prefix="likewise-scale-pg-"))
        server, database_url = start_postgres(folder)
    try:
        for size in iterate_sizes(arguments.sizes):
            run_size(size, backends, real, queries, mixture, database_url, rng, arguments)
        for size in iterate_sizes(arguments.vectors_only_sizes):
            in_process = [name for name in backends if name != "pgvector"]
            run_size(size, in_process, real, queries, mixture, None, rng, arguments)
    finally:
        if server is not None:
            server.cleanup()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
