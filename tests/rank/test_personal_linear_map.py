"""The linear map of the dense vectors: exact gradient, and pairs drawn together."""

from __future__ import annotations

import numpy as np
import pytest

from likewise.rank.personal_linear_map import MapSettings, batch_loss, mapped, train_map


def _unit(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def test_the_gradient_matches_finite_differences() -> None:
    generator = np.random.default_rng(0)
    weights = np.eye(4) + 0.1 * generator.normal(size=(4, 4))
    left, right = _unit(generator.normal(size=(6, 4))), _unit(generator.normal(size=(6, 4)))
    _, gradient = batch_loss(weights, left, right, 0.5)
    step = 1e-6
    for i, j in [(0, 0), (1, 3), (3, 2)]:
        shifted = weights.copy()
        shifted[i, j] += step
        up = batch_loss(shifted, left, right, 0.5)[0]
        shifted[i, j] -= 2 * step
        down = batch_loss(shifted, left, right, 0.5)[0]
        assert gradient[i, j] == pytest.approx((up - down) / (2 * step), rel=1e-4, abs=1e-8)


def test_training_brings_paired_vectors_closer_than_the_identity_did() -> None:
    generator = np.random.default_rng(1)
    # Pairs agree on the first two dimensions; the other six are noise.
    shared = generator.normal(size=(64, 2))
    left = np.hstack([shared, generator.normal(size=(64, 6))])
    right = np.hstack([shared, generator.normal(size=(64, 6))])
    vectors = _unit(np.vstack([left, right])).astype(np.float32)
    pairs = np.array([(i, 64 + i) for i in range(64)], dtype=np.int64)
    settings = MapSettings(temperature=0.2, epochs=60, batch=32, learning_rate=0.01)
    weights, losses = train_map(vectors, pairs, settings)
    assert losses[-1] < losses[0]
    before = float((vectors[:64] * vectors[64:]).sum(axis=1).mean())
    moved = mapped(vectors, weights)
    after = float((moved[:64] * moved[64:]).sum(axis=1).mean())
    assert after > before
    assert np.linalg.norm(moved, axis=1) == pytest.approx(np.ones(128), abs=1e-5)
