"""The Cosine Adapter learns a query-dependent, monotone, calibrated score mapping."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from likewise.rank.cosine_adapter import (
    CosineAdapter,
    JudgedQuery,
    PairInputs,
    RelevanceCalibration,
    bundled_calibration,
)
from likewise.rank.cosine_adapter_fit import fit_cosine_adapter


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


def _hand_made_adapter() -> CosineAdapter:
    """Features [dense top-1, dense mean top-10, score top-1, score mean top-10], unscaled:
    a(q) = exp(dense top-1), b(q) = 2 * dense mean top-10 - 1."""
    return CosineAdapter(
        model_id="toy",
        score_kind="convex",
        feature_set="dense+scores",
        feature_mean=np.zeros(4),
        feature_scale=np.ones(4),
        slope_weights=np.array([1.0, 0.0, 0.0, 0.0]),
        slope_bias=0.0,
        offset_weights=np.array([0.0, 2.0, 0.0, 0.0]),
        offset_bias=-1.0,
    )


def test_a_hand_made_adapter_gives_the_hand_computed_probabilities() -> None:
    adapter = _hand_made_adapter()
    # dense cosines 0.8 and 0.6: top-1 0.8, mean 0.7; a = e^0.8 = 2.2255409, b = 1.4 - 1 = 0.4
    # s = 0.9: 2.2255409 * 0.9 + 0.4 = 2.4029868, sigmoid -> 0.9170548
    # s = 0.5: 2.2255409 * 0.5 + 0.4 = 1.5127705, sigmoid -> 0.8194714
    probabilities = adapter.probabilities(np.zeros(3), [0.9, 0.5], [0.6, 0.8])
    np.testing.assert_allclose(probabilities, [0.9170548, 0.8194714], atol=1e-6)
    slope, offset = adapter.parameters(np.zeros(3), [0.9, 0.5], [0.8, 0.6])
    assert slope == pytest.approx(2.2255409, abs=1e-6)
    assert offset == pytest.approx(0.4)


def test_the_same_scores_with_lower_cosines_get_lower_probabilities() -> None:
    adapter = _hand_made_adapter()
    scores = [0.9, 0.7, 0.5]
    close = adapter.probabilities(np.zeros(3), scores, [0.8, 0.7, 0.6])
    far = adapter.probabilities(np.zeros(3), scores, [0.3, 0.2, 0.1])
    # Relative (fused) scores are identical; only the absolute cosines tell them apart.
    assert np.all(far < close)


def test_an_adapter_with_dense_features_refuses_to_guess_missing_cosines() -> None:
    with pytest.raises(ValueError, match="dense cosines"):
        _hand_made_adapter().probabilities(np.zeros(3), [0.9, 0.5])


def _near_and_far_queries(seed: int = 3) -> list[JudgedQuery]:
    """Every query's fused scores look alike (top score 1, the rest spread below it), but only
    queries whose candidates are close to them in absolute cosine have relevant candidates."""
    generator = np.random.default_rng(seed)
    judged = []
    for number in range(160):
        near = number % 2 == 0
        scores = np.sort(generator.uniform(0.5, 1.0, size=20))[::-1]
        scores[0] = 1.0
        level = 0.75 if near else 0.3
        cosines = level - 0.3 * (1.0 - scores) + generator.normal(0, 0.02, size=20)
        chance = 1.0 / (1.0 + np.exp(-10.0 * (scores - 0.7))) if near else np.zeros(20)
        relevant = generator.uniform(size=20) < chance
        judged.append(JudgedQuery(np.ones(3), scores, relevant, cosines))
    return judged


def test_absolute_cosine_features_separate_queries_relative_scores_cannot() -> None:
    judged = _near_and_far_queries()
    absolute = fit_cosine_adapter(judged, model_id="toy", score_kind="convex", feature_set="dense")
    relative = fit_cosine_adapter(judged, model_id="toy", score_kind="convex", feature_set="scores")
    near, far = judged[0], judged[1]
    assert absolute.probabilities(far.query_vector, [1.0], far.dense_cosines)[0] < 0.1
    assert absolute.probabilities(near.query_vector, [1.0], near.dense_cosines)[0] > 0.8
    # Without absolute features both top candidates get about the same probability.
    gap = (
        relative.probabilities(near.query_vector, [1.0])[0]
        - relative.probabilities(far.query_vector, [1.0])[0]
    )
    assert abs(gap) < 0.2


def test_the_mapping_with_absolute_features_is_increasing_in_the_raw_score() -> None:
    adapter = fit_cosine_adapter(
        _near_and_far_queries(),
        model_id="toy",
        score_kind="convex",
        feature_set="embedding+dense+scores",
    )
    grid = np.linspace(0.0, 1.0, 30)
    for cosines in ([0.9, 0.8, 0.7], [0.3, 0.2, 0.1]):
        probabilities = adapter.probabilities(np.ones(3), grid, cosines)
        assert np.all(np.diff(probabilities) > 0)


def test_unlabelled_candidates_do_not_change_the_fit() -> None:
    judged = _two_kinds_of_query()
    masks = [np.arange(q.scores.size) % 3 != 0 for q in judged]  # a third left unlabelled

    def with_unlabelled_as(value: bool) -> CosineAdapter:
        relabelled = [
            JudgedQuery(
                q.query_vector, np.where(mask, q.relevant, value), q.scores.copy(), labelled=mask
            )
            for q, mask in zip(judged, masks, strict=True)
        ]
        return fit_cosine_adapter(
            relabelled, model_id="toy", score_kind="dense", feature_set="embedding"
        )

    vector, scores = np.array([1.0, 0.0, 0.0]), np.array([0.2, 0.5, 0.8])
    np.testing.assert_allclose(
        with_unlabelled_as(True).probabilities(vector, scores),
        with_unlabelled_as(False).probabilities(vector, scores),
        atol=1e-6,
    )


def test_query_weights_shift_the_fit_towards_the_heavier_queries() -> None:
    judged = _two_kinds_of_query()

    def weighted(weight_of_a: float) -> CosineAdapter:
        reweighted = [
            JudgedQuery(q.query_vector, q.scores, q.relevant, weight=weight_of_a if i % 2 else 1)
            for i, q in enumerate(judged)
        ]
        return fit_cosine_adapter(
            reweighted, model_id="toy", score_kind="dense", feature_set="scores"
        )

    # Kind A (even positions) turns relevant at 0.6, kind B at 0.3: weighting B up moves the
    # query-blind boundary down.
    def boundary(adapter: CosineAdapter) -> float:
        slope, offset = adapter.parameters(np.zeros(3), [0.5])
        return -offset / slope

    assert boundary(weighted(10.0)) < boundary(weighted(0.1)) - 0.1


def test_the_bundled_convex_adapter_reads_absolute_cosines(shared_data: Path) -> None:
    calibration = bundled_calibration("all-MiniLM-L6-v2-qint8-onnx-256-mean")
    assert calibration is not None
    adapter = calibration.adapter_for("convex")
    assert adapter is not None
    # Real query vectors: five CSFCube papers (all-MiniLM-L6-v2), as pasted abstracts.
    vectors = np.load(shared_data / "embeddings-all-minilm-l6-v2" / "csfcube.f16.npy")[:5]
    fused = np.linspace(1.0, 0.6, 20)  # the same fused ranking for every query
    close = np.linspace(0.75, 0.55, 20)
    best_close, best_far = [], []
    for vector in vectors.astype(np.float64):
        unit = vector / np.linalg.norm(vector)
        words = 150  # a pasted abstract
        no_words = np.zeros(20)
        near_pairs = PairInputs(close, no_words, words)
        far_pairs = PairInputs(close - 0.4, no_words, words)
        best_close.append(adapter.probabilities(unit, fused, close, near_pairs)[0])
        best_far.append(adapter.probabilities(unit, fused, close - 0.4, far_pairs)[0])
    # Only the catalog's absolute closeness differs: the far queries' best hits must lose.
    assert np.mean(best_far) < np.mean(best_close) - 0.2


def test_a_strong_penalty_on_the_embedding_leaves_the_cosine_level_its_say() -> None:
    generator = np.random.default_rng(5)
    judged = [
        JudgedQuery(generator.normal(size=16), q.scores, q.relevant, q.dense_cosines)
        for q in _near_and_far_queries()
    ]
    adapter = fit_cosine_adapter(
        judged, model_id="toy", score_kind="convex", feature_set="embedding+dense", l2=3.0
    )
    near, far = judged[0], judged[1]
    p_near = adapter.probabilities(near.query_vector, [1.0], near.dense_cosines)[0]
    p_far = adapter.probabilities(far.query_vector, [1.0], far.dense_cosines)[0]
    assert p_near > 0.7 and p_far < 0.1
