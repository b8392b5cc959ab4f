"""The Cosine Adapter learns a query-dependent, monotone, calibrated score mapping."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from likewise.rank.cosine_adapter import (
    CosineAdapter,
    JudgedQuery,
    RelevanceCalibration,
    fit_cosine_adapter,
)


def _two_kinds_of_query(seed: int = 7) -> list[JudgedQuery]:
    """Kind A queries (vector e1) turn relevant around score 0.6, kind B (vector e2) around 0.3.

    Labels are drawn with probability sigmoid(12 (s - boundary)), so the data is not separable.
    """
    generator = np.random.default_rng(seed)
    judged = []
    for number in range(200):
        kind_a = number % 2 == 0
        vector = np.array([1.0, 0.0, 0.0]) if kind_a else np.array([0.0, 1.0, 0.0])
        scores = generator.uniform(0.0, 1.0, size=30)
        boundary = 0.6 if kind_a else 0.3
        chance = 1.0 / (1.0 + np.exp(-12.0 * (scores - boundary)))
        relevant = generator.uniform(size=30) < chance
        judged.append(JudgedQuery(vector, scores, relevant))
    return judged


def _fit(feature_set: str) -> CosineAdapter:
    return fit_cosine_adapter(
        _two_kinds_of_query(), model_id="toy", score_kind="dense", feature_set=feature_set, l2=1e-4
    )


def test_the_mapping_depends_on_the_query() -> None:
    adapter = _fit("embedding")
    kind_a, kind_b = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])
    probability_a = adapter.probabilities(kind_a, [0.45])[0]
    probability_b = adapter.probabilities(kind_b, [0.45])[0]
    # The same raw score 0.45 is below A's boundary (0.6) and above B's (0.3).
    assert probability_a < 0.5 < probability_b


def test_the_half_probability_point_lands_near_each_true_boundary() -> None:
    adapter = _fit("embedding")
    for vector, boundary in ((np.array([1.0, 0.0, 0.0]), 0.6), (np.array([0.0, 1.0, 0.0]), 0.3)):
        slope, offset = adapter.parameters(vector, [0.5])
        assert -offset / slope == pytest.approx(boundary, abs=0.05)


def test_the_mapping_is_increasing_in_the_raw_score() -> None:
    adapter = _fit("embedding+scores")
    grid = np.linspace(-0.2, 1.0, 25)
    probabilities = adapter.probabilities(np.array([0.3, 0.7, 0.0]), grid)
    assert np.all(np.diff(probabilities) > 0)


def test_probabilities_are_calibrated_on_the_training_pairs() -> None:
    judged = _two_kinds_of_query()
    adapter = fit_cosine_adapter(
        judged, model_id="toy", score_kind="dense", feature_set="embedding"
    )
    predicted = np.concatenate([adapter.probabilities(q.query_vector, q.scores) for q in judged])
    observed = np.concatenate([q.relevant for q in judged]).astype(float)
    # Logistic fits with an intercept match the base rate (up to the small L2 penalty).
    assert predicted.mean() == pytest.approx(observed.mean(), abs=0.02)


def test_a_query_independent_threshold_cannot_fit_both_kinds_as_well() -> None:
    judged = _two_kinds_of_query()
    with_query = _fit("embedding")
    without_query = fit_cosine_adapter(
        judged, model_id="toy", score_kind="dense", feature_set="scores"
    )

    def log_loss(adapter: CosineAdapter) -> float:
        total = 0.0
        for query in judged:
            p = np.clip(adapter.probabilities(query.query_vector, query.scores), 1e-9, 1 - 1e-9)
            y = query.relevant
            total -= float(np.sum(np.where(y, np.log(p), np.log(1 - p))))
        return total

    assert log_loss(with_query) < 0.8 * log_loss(without_query)


def test_a_calibration_survives_saving_and_loading(tmp_path: Path) -> None:
    adapter = _fit("embedding+scores")
    calibration = RelevanceCalibration("toy", 0.7, {"dense": adapter}, provenance="unit test")
    calibration.save(tmp_path / "relevance.json")
    loaded = RelevanceCalibration.load(tmp_path / "relevance.json")
    assert loaded.convex_alpha == 0.7
    restored = loaded.adapter_for("dense")
    assert restored is not None
    vector, scores = np.array([0.2, 0.9, 0.1]), np.array([0.1, 0.5, 0.8])
    np.testing.assert_allclose(
        restored.probabilities(vector, scores), adapter.probabilities(vector, scores)
    )
    assert loaded.adapter_for("hybrid-rrf") is None


def test_an_adapter_refuses_a_query_vector_of_another_size() -> None:
    adapter = _fit("embedding")
    with pytest.raises(ValueError, match="another embedder"):
        adapter.probabilities(np.ones(5), [0.5])


def test_fitting_needs_both_labels() -> None:
    only_negative = [JudgedQuery(np.ones(3), np.array([0.1, 0.2]), np.array([False, False]))]
    with pytest.raises(ValueError, match="both"):
        fit_cosine_adapter(only_negative, model_id="toy", score_kind="dense")
