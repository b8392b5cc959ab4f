"""Discriminative Rocchio: the background's centroid pulls generic candidates down."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from likewise.rank.personal_rocchio import background_cosines, discriminative


def test_background_cosines_are_the_cosine_to_the_unit_background_mean() -> None:
    candidates = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    background = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    expected = np.array([2.0, 1.0]) / np.sqrt(5.0)
    assert background_cosines(candidates, background) == pytest.approx(expected, abs=1e-6)
    rows = sparse.csr_matrix(candidates)
    assert background_cosines(rows, sparse.csr_matrix(background)) == pytest.approx(
        expected, abs=1e-6
    )


def test_an_empty_background_changes_nothing() -> None:
    candidates = np.eye(2, dtype=np.float32)
    assert background_cosines(candidates, np.zeros((0, 2), np.float32)).tolist() == [0.0, 0.0]


def test_the_candidate_nearer_the_background_loses_its_tie() -> None:
    centroid = np.array([[0.5, 0.5]], dtype=np.float32)
    penalty = np.array([0.9, 0.1], dtype=np.float32)
    scores = discriminative(centroid, penalty, 0.5)
    assert scores[0, 0] < scores[0, 1]
    assert scores[0, 1] == pytest.approx(0.45)
