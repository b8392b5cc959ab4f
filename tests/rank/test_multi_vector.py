"""Chamfer similarity on hand-worked sets, and re-ranking candidates by it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from likewise.rank.multi_vector import chamfer_rerank, chamfer_scores, chamfer_similarity


def test_chamfer_similarity_sums_each_query_points_best_match() -> None:
    query = np.array([[1.0, 1.0], [2.0, 0.0]])
    document = np.array([[1.0, 2.0], [3.0, 4.0], [-1.0, 0.0]])
    # (1, 1): best of 3, 7, -1 is 7. (2, 0): best of 2, 6, -2 is 6.
    assert chamfer_similarity(query, document) == pytest.approx(13.0)
    # Not symmetric: from the document's side, 3 + 7 - 1 = 9.
    assert chamfer_similarity(document, query) == pytest.approx(3 + 7 + -1)


def test_empty_sets_score_zero_as_queries_and_nothing_as_documents() -> None:
    points = np.array([[1.0, 0.0]])
    assert chamfer_similarity(np.zeros((0, 2)), points) == 0.0
    assert chamfer_similarity(points, np.zeros((0, 2))) == -math.inf


def test_batched_scores_equal_one_by_one_scores() -> None:
    rng = np.random.default_rng(1)
    query = rng.standard_normal((3, 5))
    candidates = [rng.standard_normal((size, 5)) for size in (1, 4, 0, 7, 2)]
    batched = chamfer_scores(query, candidates)
    single = [chamfer_similarity(query, points) for points in candidates]
    assert batched[2] == -math.inf
    assert np.allclose(np.delete(batched, 2), np.delete(single, 2), atol=1e-5)


def test_rerank_orders_candidates_by_chamfer_similarity_best_first() -> None:
    query = np.array([[1.0, 0.0], [0.0, 1.0]])
    candidates = [
        np.array([[1.0, 0.0]]),  # 1 + 0 = 1
        np.array([[1.0, 0.0], [0.0, 1.0]]),  # 1 + 1 = 2
        np.array([[0.5, 0.5]]),  # 0.5 + 0.5 = 1, ties with key 10
        np.zeros((0, 2)),  # nothing
    ]
    keys, scores = chamfer_rerank(query, np.array([10, 20, 5, 7]), candidates)
    assert keys.tolist() == [20, 5, 10, 7]
    assert scores[:3].tolist() == [2.0, 1.0, 1.0]
    top, _ = chamfer_rerank(query, np.array([10, 20, 5, 7]), candidates, k=1)
    assert top.tolist() == [20]
    with pytest.raises(ValueError):
        chamfer_rerank(query, np.array([1, 2]), candidates)
