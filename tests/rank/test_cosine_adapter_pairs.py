"""The pair-feature extension of the Cosine Adapter: each candidate's own cosine and BM25 score,
and the query's length, enter the logit; hand-computed values, fitting and persistence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from likewise.rank.cosine_adapter import (
    CosineAdapter,
    JudgedQuery,
    PairInputs,
    RelevanceCalibration,
    length_feature,
    pair_features,
    query_words,
)
from likewise.rank.cosine_adapter_fit import fit_cosine_adapter


def _hand_made_pair_adapter() -> CosineAdapter:
    """Query feature [log words], unscaled: a(q) = e^0 = 1 whatever the query, b(q) = -2;
    pair features [cosine * log words, log(1 + bm25), log(1 + bm25) * log words] with weights
    [0, 1, 0], unscaled: logit = cosine - 2 + log(1 + bm25)."""
    return CosineAdapter(
        model_id="toy",
        score_kind="convex",
        feature_set="embedding+length",
        feature_mean=np.zeros(4),
        feature_scale=np.ones(4),
        slope_weights=np.zeros(4),
        slope_bias=0.0,
        offset_weights=np.zeros(4),
        offset_bias=-2.0,
        score_source="cosine",
        pair_set="bm25",
        pair_mean=np.zeros(3),
        pair_scale=np.ones(3),
        pair_weights=np.array([0.0, 1.0, 0.0]),
    )


def test_pair_features_are_the_hand_computed_columns() -> None:
    # words 4: log 4 = 1.3862944; bm25 e - 1 -> log(1 + bm25) = 1
    rows = pair_features("bm25", [0.5, 0.25], [np.e - 1, 0.0], 4)
    np.testing.assert_allclose(
        rows, [[0.6931472, 1.0, 1.3862944], [0.3465736, 0.0, 0.0]], atol=1e-6
    )
    assert pair_features("", [0.5], [1.0], 4).shape == (1, 0)
    assert length_feature(0) == 0.0 and query_words("dense  retrieval models") == 3


def test_a_hand_made_pair_adapter_gives_the_hand_computed_probabilities() -> None:
    adapter = _hand_made_pair_adapter()
    pairs = PairInputs(np.array([0.5, 0.8]), np.array([np.e - 1, 0.0]), words=3)
    # first: 0.5 - 2 + 1 = -0.5 -> 0.3775407; second: 0.8 - 2 + 0 = -1.2 -> 0.2314752
    probabilities = adapter.probabilities(np.zeros(3), [0.9, 0.4], [0.5, 0.8], pairs)
    np.testing.assert_allclose(probabilities, [0.3775407, 0.2314752], atol=1e-6)


def test_the_probability_does_not_depend_on_the_other_candidates() -> None:
    """Cosine scores and BM25 pair features are the candidate's own: adding candidates (a
    bigger catalog) leaves a candidate's probability unchanged."""
    adapter = _hand_made_pair_adapter()
    alone = adapter.probabilities(
        np.zeros(3), [1.0], [0.5], PairInputs(np.array([0.5]), np.array([2.0]), 3)
    )
    crowded = adapter.probabilities(
        np.zeros(3),
        [1.0, 0.7, 0.2],
        [0.5, 0.9, 0.1],
        PairInputs(np.array([0.5, 0.9, 0.1]), np.array([2.0, 9.0, 0.5]), 3),
    )
    assert crowded[0] == pytest.approx(alone[0])


def test_a_pair_adapter_refuses_to_score_without_the_candidates_evidence() -> None:
    with pytest.raises(ValueError, match="cosine and BM25"):
        _hand_made_pair_adapter().probabilities(np.zeros(3), [0.9, 0.5], [0.6, 0.8])


def _lexical_matters(seed: int = 5) -> list[JudgedQuery]:
    """Candidates are relevant when they match the query's words (BM25), whatever their
    cosine: only pair features can see that."""
    generator = np.random.default_rng(seed)
    judged = []
    for _ in range(120):
        cosines = generator.uniform(0.2, 0.6, size=20)
        lexical = generator.choice([0.0, 12.0], size=20)
        relevant = (lexical > 0) & (generator.uniform(size=20) < 0.9)
        scores = np.sort(generator.uniform(size=20))[::-1]
        pairs = PairInputs(cosines, lexical, int(generator.integers(1, 8)))
        judged.append(JudgedQuery(np.ones(3), scores, relevant, cosines, pairs=pairs))
    return judged


def _log_loss(adapter: CosineAdapter, judged: list[JudgedQuery]) -> float:
    total = 0.0
    count = 0
    for query in judged:
        p = np.clip(
            adapter.probabilities(
                query.query_vector, query.scores, query.dense_cosines, query.pairs
            ),
            1e-9,
            1 - 1e-9,
        )
        total -= float(np.sum(np.where(query.relevant, np.log(p), np.log(1 - p))))
        count += p.size
    return total / count


def test_fitting_pair_features_learns_what_the_scores_alone_miss() -> None:
    judged = _lexical_matters()
    with_pairs = fit_cosine_adapter(
        judged,
        model_id="toy",
        score_kind="convex",
        feature_set="embedding+length",
        score_source="cosine",
        pair_set="bm25",
    )
    without = fit_cosine_adapter(judged, model_id="toy", score_kind="convex", feature_set="scores")
    held_out = _lexical_matters(seed=6)
    assert _log_loss(with_pairs, held_out) < 0.7 * _log_loss(without, held_out)
    matching = with_pairs.probabilities(
        np.ones(3), [0.5], [0.4], PairInputs(np.array([0.4]), np.array([12.0]), 3)
    )[0]
    missing = with_pairs.probabilities(
        np.ones(3), [0.5], [0.4], PairInputs(np.array([0.4]), np.array([0.0]), 3)
    )[0]
    assert matching > 0.7 and missing < 0.2


def test_a_saved_pair_adapter_loads_with_its_pair_weights(tmp_path: Path) -> None:
    adapter = _hand_made_pair_adapter()
    path = tmp_path / "calibration.json"
    RelevanceCalibration("toy", 0.7, {"convex": adapter}).save(path)
    restored = RelevanceCalibration.load(path).adapter_for("convex")
    assert restored is not None and restored.needs_pairs
    pairs = PairInputs(np.array([0.3]), np.array([4.0]), 2)
    np.testing.assert_allclose(
        restored.probabilities(np.zeros(3), [0.5], [0.3], pairs),
        adapter.probabilities(np.zeros(3), [0.5], [0.3], pairs),
    )


def test_an_adapter_saved_before_pair_features_loads_as_score_only() -> None:
    data = _hand_made_pair_adapter().to_dict()
    for name in ("score_source", "pair_set", "pair_mean", "pair_scale", "pair_weights"):
        del data[name]
    restored = CosineAdapter.from_dict(data)
    assert restored.score_source == "method" and restored.pair_set == ""
    assert not restored.needs_pairs
