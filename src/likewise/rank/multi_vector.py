"""Multi-vector similarity: Chamfer (late-interaction) scores between sets of sentence vectors,
and the exact re-ranking of candidates (say, from a fixed-dimensional-encoding search) by it.

Chamfer similarity as in Dhulipala et al., "MUVERA: Multi-Vector Retrieval via Fixed
Dimensional Encodings", NeurIPS 2024; it is ColBERT's late-interaction MaxSim sum (Khattab &
Zaharia, "ColBERT: Efficient and Effective Passage Search via Contextualized Late Interaction
over BERT", SIGIR 2020).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from likewise.index.exact import top_k_of_scores


def chamfer_similarity(
    query_points: npt.NDArray[np.floating[Any]], document_points: npt.NDArray[np.floating[Any]]
) -> float:
    """Sum over query points of the best inner product with any document point. An empty
    query scores 0; an empty document scores -inf (nothing in it matches)."""
    query = np.asarray(query_points, dtype=np.float32)
    document = np.asarray(document_points, dtype=np.float32)
    if len(query) == 0:
        return 0.0
    if len(document) == 0:
        return float("-inf")
    return float((query @ document.T).max(axis=1).sum())


def chamfer_scores(
    query_points: npt.NDArray[np.floating[Any]],
    candidate_points: Sequence[npt.NDArray[np.floating[Any]]],
) -> npt.NDArray[np.float32]:
    """`chamfer_similarity` of the query with each candidate, in one matrix product."""
    sizes = np.array([len(points) for points in candidate_points], dtype=np.int64)
    scores = np.full(len(sizes), -np.inf, dtype=np.float32)
    query = np.asarray(query_points, dtype=np.float32)
    if len(query) == 0:
        return np.zeros(len(sizes), dtype=np.float32)
    present = np.flatnonzero(sizes > 0)
    if len(present) == 0:
        return scores
    stacked = np.vstack([np.asarray(candidate_points[int(row)], np.float32) for row in present])
    similarities = query @ stacked.T  # query points x every candidate point
    starts = np.concatenate([[0], np.cumsum(sizes[present])[:-1]])
    best = np.maximum.reduceat(similarities, starts, axis=1)  # per query point, per candidate
    scores[present] = best.sum(axis=0)
    return scores


def chamfer_rerank(
    query_points: npt.NDArray[np.floating[Any]],
    candidate_keys: npt.NDArray[np.int64],
    candidate_points: Sequence[npt.NDArray[np.floating[Any]]],
    k: int | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """(keys, Chamfer scores) of the best k candidates (all when k is None), best first;
    ties go to the smaller key."""
    keys = np.asarray(candidate_keys, dtype=np.int64).reshape(-1)
    if len(keys) != len(candidate_points):
        raise ValueError(f"{len(keys)} keys for {len(candidate_points)} candidates")
    scores = chamfer_scores(query_points, candidate_points)
    return top_k_of_scores(keys, scores, len(keys) if k is None else k)
