"""Vector index choices, measured against exact NumPy search in the same process.

For real MiniLM vectors (the shared SciFact + CSFCube float vectors, 9,388) and, with
--papers N, that many synthetic vectors following their distribution (a real vector plus
noise, renormalised), prints for usearch f16 and i8: build time, bytes per vector on disk,
p50 query latency as a ratio to exact search, and recall@10; then filtered search at
several selectivities (p50 ratio to exact filtered search, and how often the top-10 equals
the exact one).

    nice -n 19 /tmp/venv/bin/python bench/vector_index.py [--papers 75000] [--queries 200]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from likewise.index.exact import ExactIndex
from likewise.index.usearch_index import UsearchIndex

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
VECTORS = SHARED / "embeddings-all-minilm-l6-v2"

Matrix = npt.NDArray[np.float32]
Search = Callable[[Matrix], tuple[npt.NDArray[np.int64], Matrix]]


def real_vectors() -> Matrix:
    parts = [
        np.load(VECTORS / name).astype(np.float32)
        for name in ("scifact.f16.npy", "csfcube.f16.npy")
    ]
    matrix = np.vstack(parts)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def synthetic_like(real: Matrix, count: int, seed: int = 3) -> Matrix:
    """`count` vectors near randomly chosen real ones (noise keeps neighbours plausible)."""
    rng = np.random.default_rng(seed)
    base = real[rng.integers(0, len(real), size=count)]
    noisy = base + rng.standard_normal(base.shape).astype(np.float32) * 0.03
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


def queries_near(vectors: Matrix, count: int, seed: int = 5) -> Matrix:
    rng = np.random.default_rng(seed)
    picked = vectors[rng.choice(len(vectors), size=count, replace=False)]
    noisy = picked + rng.standard_normal(picked.shape).astype(np.float32) * 0.02
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


def p50_ms(search: Callable[[Matrix], object], queries: Matrix) -> float:
    times = []
    for query in queries:
        started = time.perf_counter()
        search(query)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def recall_at_10(found: list[set[int]], truth: list[set[int]]) -> float:
    return float(np.mean([len(a & b) / max(len(b), 1) for a, b in zip(found, truth, strict=True)]))


def measure(name: str, vectors: Matrix, queries: Matrix) -> None:
    keys = np.arange(len(vectors), dtype=np.int64)
    exact = ExactIndex(vectors.shape[1])
    exact.add(keys, vectors)
    truth = [set(exact.search(query, 10)[0].tolist()) for query in queries]
    exact_ms = p50_ms(lambda query: exact.search(query, 10), queries)
    print(
        f"\n{name}: {len(vectors)} vectors, {len(queries)} queries; "
        f"exact NumPy p50 {exact_ms:.2f} ms (the baseline)"
    )
    built: dict[str, UsearchIndex] = {}
    for dtype in ("f16", "i8"):
        started = time.perf_counter()
        index = UsearchIndex(vectors.shape[1], dtype=dtype)
        index.add(keys, vectors)
        seconds = time.perf_counter() - started
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "index.usearch"
            index.save(path)
            size = path.stat().st_size
        found = [set(index.search(query, 10)[0].tolist()) for query in queries]
        ann_ms = p50_ms(lambda query, index=index: index.search(query, 10), queries)
        print(
            f"  usearch {dtype}: build {seconds:.1f} s, {size / len(vectors):.0f} bytes/vector, "
            f"p50 {ann_ms:.2f} ms = {ann_ms / exact_ms:.2f}x exact, "
            f"recall@10 {recall_at_10(found, truth):.4f}"
        )
        built[dtype] = index
    index = built["f16"]
    rng = np.random.default_rng(9)
    for allowed_count in (5, 100, 1000, len(vectors) // 10, len(vectors) // 2):
        allowed = rng.choice(keys, size=allowed_count, replace=False)
        exact_filtered = p50_ms(
            lambda query, allowed=allowed: exact.search(query, 10, allowed), queries
        )
        filtered = p50_ms(lambda query, allowed=allowed: index.search(query, 10, allowed), queries)
        found = [set(index.search(query, 10, allowed)[0].tolist()) for query in queries]
        wanted = [set(exact.search(query, 10, allowed)[0].tolist()) for query in queries]
        print(
            f"  filter letting {allowed_count} through: usearch f16 p50 {filtered:.2f} ms = "
            f"{filtered / exact_filtered:.2f}x exact filtered ({exact_filtered:.2f} ms), "
            f"recall@10 against exact filtered {recall_at_10(found, wanted):.4f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=75_000, help="synthetic catalog size")
    parser.add_argument("--queries", type=int, default=200)
    arguments = parser.parse_args()
    real = real_vectors()
    measure("real MiniLM vectors (SciFact + CSFCube)", real, queries_near(real, arguments.queries))
    if arguments.papers:
        synthetic = synthetic_like(real, arguments.papers)
        measure(
            "synthetic like the real ones", synthetic, queries_near(synthetic, arguments.queries)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
