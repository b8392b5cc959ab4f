"""The per-query-length Platt map rescales an adapter's logit per length bucket, fit on
out-of-fold logits with every source weighing the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from likewise.evaluate.length_map import fit_length_map, with_length_map
from likewise.rank.cosine_adapter import (
    CosineAdapter,
    JudgedQuery,
    PairInputs,
    RelevanceCalibration,
    length_bucket,
)
from likewise.rank.cosine_adapter_fit import fit_cosine_adapter


def _queries(words: int, temperature: float, count: int, seed: int) -> list[JudgedQuery]:
    """Queries whose labels follow sigmoid((cosine - 0.5) * 10 / temperature)."""
    generator = np.random.default_rng(seed)
    judged = []
    for _ in range(count):
        cosines = generator.uniform(0.0, 1.0, size=20)
        chance = 1.0 / (1.0 + np.exp(-(cosines - 0.5) * 10.0 / temperature))
        relevant = generator.uniform(size=20) < chance
        pairs = PairInputs(cosines, np.zeros(20), words, np.ones(20))
        judged.append(
            JudgedQuery(np.array([1.0, 0.0]), cosines, relevant, cosines, None, 1.0, pairs)
        )
    return judged


def _fit(train: list[JudgedQuery]) -> CosineAdapter:
    return fit_cosine_adapter(
        train,
        model_id="toy",
        score_kind="convex",
        feature_set="embedding+length",
        l2=1.0,
        score_source="cosine",
    )


def test_length_buckets_count_words_up_to_each_edge_inclusive() -> None:
    assert [length_bucket((3, 9, 40), words) for words in (0, 1, 3, 4, 9, 10, 40, 41)] == [
        0,
        0,
        0,
        1,
        1,
        2,
        2,
        3,
    ]


def test_the_map_is_the_identity_when_the_logits_are_already_calibrated() -> None:
    generator = np.random.default_rng(3)
    logits = generator.normal(0.0, 2.0, size=4000)
    labels = (generator.uniform(size=4000) < 1 / (1 + np.exp(-logits))).astype(np.float64)
    words = np.where(np.arange(4000) % 2 == 0, 2, 20).astype(np.float64)
    scale, shift, coverage = fit_length_map(logits, labels, words, ["a"] * 4000, (9,))
    assert np.allclose(scale, 1.0, atol=0.15)
    assert np.allclose(shift, 0.0, atol=0.15)
    assert coverage.size == 0  # no coverage given, no coverage term


def test_the_coverage_weight_recovers_how_much_held_query_terms_add_to_the_log_odds() -> None:
    generator = np.random.default_rng(5)
    logits = generator.normal(0.0, 1.5, size=8000)
    share = generator.choice([0.0, 0.5, 1.0], size=8000)
    words = np.where(np.arange(8000) % 2 == 0, 2, 20).astype(np.float64)
    added = np.where(words <= 9, 2.0, 0.0) * share - np.where(words <= 9, 1.0, 0.0)
    chance = 1 / (1 + np.exp(-(logits + added)))
    labels = (generator.uniform(size=8000) < chance).astype(np.float64)
    scale, shift, weight = fit_length_map(logits, labels, words, ["a"] * 8000, (9,), share)
    assert np.allclose(scale, 1.0, atol=0.15)
    # The weak pull towards the identity map (MAP_PENALTY) shrinks the weight a little.
    assert 1.2 < weight[0] < 2.2 and -1.3 < shift[0] < -0.5  # short queries: coverage counts
    assert abs(weight[1]) < 0.3 and abs(shift[1]) < 0.3  # long ones: it does not


def test_a_coverage_map_refuses_pairs_without_coverage() -> None:
    logits = np.zeros(4)
    with pytest.raises(ValueError, match="no term coverage"):
        fit_length_map(logits, logits, np.ones(4), ["a"] * 4, (9,), np.full(4, np.nan))


def test_short_queries_with_flatter_relevance_get_a_smaller_logit_scale() -> None:
    judged = _queries(2, 3.0, 60, 1) + _queries(20, 1.0, 300, 2)
    groups = ["short"] * 60 + ["long"] * 300
    folds = [i % 2 for i in range(60)] + [i % 2 for i in range(300)]
    plain = _fit(judged)
    mapped = with_length_map(plain, judged, folds, groups, _fit, (9,), coverage=True)
    assert mapped.map_edges == (9,)
    assert mapped.map_scale[0] < 0.8 * mapped.map_scale[1]
    assert mapped.map_coverage.shape == (2,)
    query = judged[0]
    assert query.pairs is not None
    p = mapped.probabilities(query.query_vector, query.scores, query.dense_cosines, query.pairs)
    order = np.argsort(query.scores)
    assert np.all(np.diff(p[order]) >= 0)  # still increasing in the cosine


def test_a_mapped_adapter_survives_a_save_and_load(tmp_path: Path) -> None:
    judged = _queries(2, 3.0, 40, 4) + _queries(20, 1.0, 40, 5)
    folds = [i % 2 for i in range(80)]
    groups = ["s"] * 40 + ["l"] * 40
    mapped = with_length_map(_fit(judged), judged, folds, groups, _fit, (9,), coverage=True)
    RelevanceCalibration("toy", 0.7, {"convex": mapped}).save(tmp_path / "c.json")
    loaded = RelevanceCalibration.load(tmp_path / "c.json").adapters["convex"]
    query = judged[0]
    assert query.pairs is not None
    args = (query.query_vector, query.scores, query.dense_cosines, query.pairs)
    assert loaded.map_edges == (9,)
    assert np.array_equal(loaded.map_coverage, mapped.map_coverage)
    assert np.allclose(loaded.probabilities(*args), mapped.probabilities(*args))
    without = PairInputs(query.pairs.cosines, query.pairs.lexical, query.pairs.words)
    with pytest.raises(ValueError, match="term coverage"):
        loaded.probabilities(query.query_vector, query.scores, query.dense_cosines, without)
