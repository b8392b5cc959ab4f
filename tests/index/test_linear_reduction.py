"""Linear reductions: PCA finds the subspace the data lives in, the loss is the relative error
of reduced inner products, and the query-aware fit beats PCA when queries differ."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from likewise.index.linear_reduction import (
    LinearReduction,
    blend_losses,
    fit_pca,
    fit_query_aware,
    inner_product_loss,
)


def _projector(reduction: LinearReduction) -> np.ndarray:
    projection = reduction.projection.astype(np.float64)
    return projection @ projection.T


def test_pca_of_points_on_a_plane_through_the_origin_recovers_the_plane() -> None:
    u = np.array([1.0, 1.0, 0.0, 0.0]) / np.sqrt(2)
    v = np.array([0.0, 0.0, 1.0, -1.0]) / np.sqrt(2)
    coefficients = np.random.default_rng(1).standard_normal((200, 2))
    points = coefficients[:, :1] * u + coefficients[:, 1:] * v
    reduction = fit_pca(points, 2)
    assert reduction.projection.shape == (4, 2)
    assert np.allclose(_projector(reduction), np.outer(u, u) + np.outer(v, v), atol=1e-5)
    # Every inner product with any query in the plane survives the reduction.
    queries = np.array([u, v, u + 2 * v])
    reduced = reduction.apply_query(queries) @ reduction.apply(points).T
    assert np.allclose(reduced, queries @ points.T, atol=1e-4)


def test_pca_keeps_the_directions_of_largest_variance_first_with_a_positive_sign() -> None:
    # Variances 9, 4 and 1 along the axes, exactly: the first direction is e0, then e1.
    points = np.array([[3, 0, 0], [-3, 0, 0], [0, 2, 0], [0, -2, 0], [0, 0, 1], [0, 0, -1]])
    assert np.allclose(fit_pca(points, 1).projection, [[1], [0], [0]], atol=1e-6)
    assert np.allclose(fit_pca(points, 2).projection, [[1, 0], [0, 1], [0, 0]], atol=1e-6)


def test_centred_pca_of_an_affine_plane_makes_inner_products_exact() -> None:
    offset = np.array([0.0, 0.0, 5.0])
    coefficients = np.random.default_rng(2).standard_normal((100, 2))
    points = np.column_stack([coefficients, np.zeros(100)]) + offset
    queries = np.random.default_rng(3).standard_normal((20, 3))
    centred = fit_pca(points, 2, center=True)
    assert centred.mean is not None and np.allclose(centred.mean, points.mean(axis=0))
    assert inner_product_loss(centred, points, queries) == pytest.approx(0.0, abs=1e-9)
    # Uncentred, two dimensions cannot hold both the offset and the spread.
    assert inner_product_loss(fit_pca(points, 2), points, queries) > 0.01


def test_the_loss_of_a_hand_worked_example_is_one_half() -> None:
    # One document (1, 1), kept dimension e0. Query (1, 0): exact 1, reduced 1, error 0.
    # Query (0, 1): exact 1, reduced 0, error 1. Loss = (0 + 1) / (1 + 1).
    reduction = LinearReduction(np.array([[1.0], [0.0]]))
    documents = np.array([[1.0, 1.0]])
    assert inner_product_loss(reduction, documents, np.array([[1.0, 0.0]])) == 0.0
    queries = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert inner_product_loss(reduction, documents, queries) == pytest.approx(0.5)


def test_the_loss_equals_the_error_summed_over_every_pair() -> None:
    rng = np.random.default_rng(4)
    documents = rng.standard_normal((50, 6)) + 0.3
    queries = rng.standard_normal((30, 6))
    reduction = fit_pca(documents, 3, center=True)
    assert reduction.mean is not None
    exact = queries @ documents.T
    approx = reduction.apply_query(queries) @ reduction.apply(documents).T
    approx += (queries @ reduction.mean)[:, None]
    expected = ((exact - approx) ** 2).sum() / (exact**2).sum()
    assert inner_product_loss(reduction, documents, queries) == pytest.approx(expected, rel=1e-4)


def test_query_aware_reduction_beats_pca_when_queries_differ_from_documents() -> None:
    # Documents spread 3 along e0 and e1, 1 along e2 and e3; queries only use e2 and e3.
    documents = np.vstack([np.diag([3.0, 3.0, 1.0, 1.0]), -np.diag([3.0, 3.0, 1.0, 1.0])])
    queries = np.array([[0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 1, 1]], dtype=np.float64)
    pca = fit_pca(documents, 2)
    # PCA keeps e0 and e1, where every query is zero: every inner product is lost.
    assert inner_product_loss(pca, documents, queries) == pytest.approx(1.0)
    aware = fit_query_aware(documents, queries, 2)
    assert inner_product_loss(aware, documents, queries) == pytest.approx(0.0, abs=1e-9)
    assert np.allclose(_projector(aware), np.diag([0.0, 0.0, 1.0, 1.0]), atol=1e-6)


def test_query_aware_reduction_is_pca_when_queries_look_like_documents() -> None:
    rng = np.random.default_rng(5)
    documents = rng.standard_normal((300, 8)) * np.linspace(3, 0.5, 8)
    blends = blend_losses(documents, documents[:100], 3)
    assert blends[0][0] == 0.0 and blends[-1][0] == 1.0
    aware = fit_query_aware(documents, documents, 3)
    pca = fit_pca(documents, 3)
    assert inner_product_loss(aware, documents, documents) == pytest.approx(
        inner_product_loss(pca, documents, documents)
    )
    assert inner_product_loss(aware, documents, documents) <= min(loss for _, loss, _ in blends)


def test_a_reduction_survives_saving_and_loading(tmp_path: Path) -> None:
    points = np.random.default_rng(6).standard_normal((40, 5))
    for reduction in (fit_pca(points, 2), fit_pca(points, 3, center=True)):
        path = tmp_path / "reduction.npz"
        reduction.save(path)
        loaded = LinearReduction.load(path)
        assert loaded.same_as(reduction)
        assert np.array_equal(loaded.apply(points), reduction.apply(points))
    assert sorted(item.name for item in tmp_path.iterdir()) == ["reduction.npz"]


def test_a_file_that_is_not_a_reduction_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.npz"
    np.savez(path, something=np.zeros(3))
    with pytest.raises(ValueError):
        LinearReduction.load(path)
    path.write_bytes(b"not a zip file")
    with pytest.raises(ValueError):
        LinearReduction.load(path)


def test_impossible_dimensions_are_refused() -> None:
    points = np.eye(4)
    with pytest.raises(ValueError):
        fit_pca(points, 5)
    with pytest.raises(ValueError):
        fit_pca(points, 0)
    with pytest.raises(ValueError):
        LinearReduction(np.zeros((4, 2)), mean=np.zeros(3))
