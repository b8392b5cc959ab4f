"""Convex combination fusion (TMM normalisation) against values computed by hand."""

from __future__ import annotations

import pytest

from likewise.rank.fusion_convex import (
    Component,
    convex_combination,
    dense_lexical_fusion,
    theoretical_min_max,
)


def test_convex_fusion_matches_a_hand_computed_example() -> None:
    # dense (cosine, minimum -1): a 0.5, b 0.9, c -0.1 -> max 0.9, span 0.9 - (-1) = 1.9
    #   a: (0.5 + 1) / 1.9 = 0.789474   b: 1.9 / 1.9 = 1.0   c: 0.9 / 1.9 = 0.473684
    # lexical (BM25, minimum 0): a 10, d 5 -> a: 1.0, d: 0.5; b and c missing -> 0
    # alpha = 0.6:
    #   a: 0.6 * 0.789474 + 0.4 * 1.0 = 0.873684
    #   b: 0.6 * 1.0                  = 0.6
    #   c: 0.6 * 0.473684             = 0.284211
    #   d:                0.4 * 0.5   = 0.2
    fused = dense_lexical_fusion({"a": 0.5, "b": 0.9, "c": -0.1}, {"a": 10.0, "d": 5.0}, 0.6)
    assert [doc_id for doc_id, _ in fused] == ["a", "b", "c", "d"]
    scores = dict(fused)
    assert scores["a"] == pytest.approx(0.873684, abs=1e-6)
    assert scores["b"] == pytest.approx(0.6)
    assert scores["c"] == pytest.approx(0.284211, abs=1e-6)
    assert scores["d"] == pytest.approx(0.2)


def test_alpha_one_ranks_by_dense_alone_and_zero_by_lexical_alone() -> None:
    dense = {"a": 0.2, "b": 0.8}
    lexical = {"a": 7.0, "b": 1.0}
    assert [d for d, _ in dense_lexical_fusion(dense, lexical, 1.0)] == ["b", "a"]
    assert [d for d, _ in dense_lexical_fusion(dense, lexical, 0.0)] == ["a", "b"]


def test_tmm_uses_the_theoretical_minimum_not_the_observed_one() -> None:
    # BM25 scores 4 and 2 with minimum 0: 4/4 = 1.0 and 2/4 = 0.5 (observed min-max would give 0)
    assert theoretical_min_max({"x": 4.0, "y": 2.0}, 0.0) == {"x": 1.0, "y": 0.5}


def test_tmm_of_scores_all_at_the_minimum_is_zero() -> None:
    assert theoretical_min_max({"x": 0.0}, 0.0) == {"x": 0.0}


@pytest.mark.parametrize(
    "weights",
    [{"one": 0.5, "two": 0.6}, {"one": -0.5, "two": 1.5}, {"one": 1.0}],
)
def test_weights_must_form_a_convex_combination(weights: dict[str, float]) -> None:
    components = {"one": Component({"a": 1.0}, 0.0), "two": Component({"a": 1.0}, 0.0)}
    with pytest.raises(ValueError):
        convex_combination(components, weights)


def test_alpha_outside_the_unit_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="alpha"):
        dense_lexical_fusion({"a": 1.0}, {"a": 1.0}, 1.5)


def test_a_ceiling_above_the_best_score_becomes_the_normaliser() -> None:
    # max_q = max(4, 8) = 8: 4 / 8 and 2 / 8.
    assert theoretical_min_max({"x": 4.0, "y": 2.0}, 0.0, ceiling=8.0) == {"x": 0.5, "y": 0.25}
    # A ceiling below the best score changes nothing.
    assert theoretical_min_max({"x": 4.0, "y": 2.0}, 0.0, ceiling=2.0) == {"x": 1.0, "y": 0.5}


def test_the_bm25_ceiling_keeps_a_partial_word_match_from_outranking_the_closer_paper() -> None:
    dense = {"a": 0.5, "b": 0.9}
    lexical = {"a": 6.0}
    # Dense TMM: a = (0.5 + 1) / (0.9 + 1) = 0.78947..., b = 1.
    # Without a ceiling a's BM25 is the best, so 1: a = 0.7 x 0.78947 + 0.3 x 1 = 0.85263 > b = 0.7.
    plain = dense_lexical_fusion(dense, lexical, 0.7)
    assert [doc for doc, _ in plain] == ["a", "b"]
    assert plain[0][1] == pytest.approx(0.7 * 1.5 / 1.9 + 0.3)
    # With the ceiling 20 it is 6 / 20 = 0.3: a = 0.55263 + 0.09 = 0.64263 < b = 0.7.
    bounded = dense_lexical_fusion(dense, lexical, 0.7, lexical_ceiling=20.0)
    assert [doc for doc, _ in bounded] == ["b", "a"]
    assert dict(bounded)["a"] == pytest.approx(0.7 * 1.5 / 1.9 + 0.3 * 0.3)
    assert dict(bounded)["b"] == pytest.approx(0.7)
