"""The orthogonal Procrustes map: it recovers a known rotation, keeps cosines, handles spaces
of different widths, survives the store's round trip and refuses unusable input."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from likewise.index.orthogonal_map import (
    MapError,
    OrthogonalMap,
    fit_orthogonal_map,
    mean_alignment,
)


def _unit_rows(rng: np.random.Generator, count: int, dimension: int) -> npt.NDArray[np.float32]:
    rows = rng.standard_normal((count, dimension))
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _rotation(rng: np.random.Generator, dimension: int) -> npt.NDArray[np.float64]:
    return np.linalg.qr(rng.standard_normal((dimension, dimension)))[0]


def test_the_map_recovers_a_known_rotation() -> None:
    rng = np.random.default_rng(3)
    source = _unit_rows(rng, 500, 24)
    rotation = _rotation(rng, 24)
    noise = 0.01 * rng.standard_normal((500, 24))
    target = (source @ rotation + noise).astype(np.float32)

    mapping = fit_orthogonal_map(source, target)

    assert np.allclose(mapping.matrix, rotation, atol=0.01)
    assert np.allclose(mapping.matrix.T @ mapping.matrix, np.eye(24), atol=1e-5)
    fresh = _unit_rows(rng, 50, 24)
    assert mean_alignment(mapping, fresh, (fresh @ rotation).astype(np.float32)) > 0.999


def test_a_hand_made_quarter_turn_is_found_exactly() -> None:
    # x -> (-y, x): the rotation by 90 degrees in the plane.
    turn = np.array([[0.0, 1.0], [-1.0, 0.0]])
    source = np.array([[1, 0], [0, 1], [0.6, 0.8], [-0.8, 0.6]], dtype=np.float32)
    mapping = fit_orthogonal_map(source, (source @ turn).astype(np.float32))
    assert np.allclose(mapping.matrix, turn, atol=1e-6)
    assert np.allclose(mapping.apply(np.array([1.0, 0.0], dtype=np.float32)), [0.0, 1.0])


def test_a_map_into_a_wider_space_keeps_every_cosine() -> None:
    rng = np.random.default_rng(5)
    source = _unit_rows(rng, 400, 8)
    embedding = _rotation(rng, 20)[:8]  # 8 orthonormal rows in 20 dimensions
    target = (source @ embedding).astype(np.float32)

    mapping = fit_orthogonal_map(source, target)

    assert mapping.matrix.shape == (8, 20)
    assert np.allclose(mapping.matrix @ mapping.matrix.T, np.eye(8), atol=1e-5)
    queries = _unit_rows(rng, 30, 8)
    mapped = mapping.apply(queries)
    assert np.allclose(mapped @ mapped.T, queries @ queries.T, atol=1e-5)
    assert np.allclose(mapped, queries @ embedding, atol=1e-4)


def test_a_map_into_a_narrower_space_projects_with_orthonormal_columns() -> None:
    rng = np.random.default_rng(6)
    target = _unit_rows(rng, 400, 8)
    # The wider source space holds the target's directions, rotated, plus 12 others.
    wide = np.hstack([target, 0.3 * _unit_rows(rng, 400, 12)])
    rotation = _rotation(rng, 20)
    source = (wide @ rotation).astype(np.float32)

    mapping = fit_orthogonal_map(source, target)

    assert mapping.matrix.shape == (20, 8)
    assert np.allclose(mapping.matrix.T @ mapping.matrix, np.eye(8), atol=1e-5)
    assert mean_alignment(mapping, source, target) > 0.99
    assert np.allclose(np.linalg.norm(mapping.apply(source), axis=1), 1.0, atol=1e-5)


def test_centring_adds_the_target_mean_back() -> None:
    rng = np.random.default_rng(8)
    source = _unit_rows(rng, 300, 6)
    rotation = _rotation(rng, 6)
    shift = np.full(6, 0.5)
    target = (source @ rotation + shift).astype(np.float32)
    centred = fit_orthogonal_map(source, target, centre=True)
    assert np.allclose(centred.target_mean, target.mean(axis=0), atol=1e-5)
    assert mean_alignment(centred, source, target) > 0.9999
    assert mean_alignment(fit_orthogonal_map(source, target), source, target) < 0.999


def test_a_stored_map_reads_back_the_same() -> None:
    rng = np.random.default_rng(9)
    source = _unit_rows(rng, 100, 5)
    mapping = fit_orthogonal_map(source, source @ _rotation(rng, 5).astype(np.float32), centre=True)
    again = OrthogonalMap.from_bytes(mapping.to_bytes())
    assert np.array_equal(again.matrix, mapping.matrix)
    assert np.array_equal(again.source_mean, mapping.source_mean)
    with pytest.raises(MapError, match="not a stored orthogonal map"):
        OrthogonalMap.from_bytes(b"not an npz file")


def test_unusable_pairs_are_refused_with_a_reason() -> None:
    with pytest.raises(MapError, match="3 source rows but 2 target rows"):
        fit_orthogonal_map(np.ones((3, 4), np.float32), np.ones((2, 4), np.float32))
    with pytest.raises(MapError, match="at least 2 pairs"):
        fit_orthogonal_map(np.ones((1, 4), np.float32), np.ones((1, 4), np.float32))
    mapping = fit_orthogonal_map(np.eye(4, dtype=np.float32), np.eye(4, dtype=np.float32))
    with pytest.raises(MapError, match="takes 4-d vectors, not 3-d"):
        mapping.apply(np.ones(3, np.float32))
