"""Random test vectors for the index tests: uniform on the sphere, or clustered like embeddings."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def unit_rows(matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    return (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)


def random_unit_vectors(count: int, dimension: int, seed: int) -> npt.NDArray[np.float32]:
    return unit_rows(np.random.default_rng(seed).standard_normal((count, dimension)))


def clustered_unit_vectors(
    count: int, dimension: int, clusters: int, seed: int, spread: float = 0.35
) -> npt.NDArray[np.float32]:
    """Points scattered around a few random centres, as topic clusters of abstracts are."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dimension))
    members = rng.integers(0, clusters, size=count)
    noise = rng.standard_normal((count, dimension)) * spread
    return unit_rows(centres[members] + noise)


def brute_force_top_k(
    keys: npt.NDArray[np.int64],
    vectors: npt.NDArray[np.float32],
    query: npt.NDArray[np.float32],
    k: int,
) -> list[int]:
    """Reference answer, computed independently of the code under test."""
    scores = vectors.astype(np.float64) @ query.astype(np.float64)
    ranked = np.argsort(-scores, kind="stable")[:k]
    return [int(keys[row]) for row in ranked]
