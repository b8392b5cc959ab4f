"""Reciprocal rank fusion against values computed by hand."""

from __future__ import annotations

import pytest

from likewise.rank.fusion_rrf import reciprocal_rank_fusion


def test_rrf_matches_a_hand_computed_example() -> None:
    # k = 1, lexical = [a, b, c], dense = [b, c, d]:
    #   a: 1/(1+1)             = 0.5
    #   b: 1/(1+2) + 1/(1+1)   = 0.33333 + 0.5     = 0.83333
    #   c: 1/(1+3) + 1/(1+2)   = 0.25 + 0.33333    = 0.58333
    #   d:           1/(1+3)   = 0.25
    fused = reciprocal_rank_fusion({"lexical": ["a", "b", "c"], "dense": ["b", "c", "d"]}, k=1)
    assert [doc_id for doc_id, _ in fused] == ["b", "c", "a", "d"]
    scores = dict(fused)
    assert scores["a"] == pytest.approx(0.5)
    assert scores["b"] == pytest.approx(1 / 3 + 1 / 2)
    assert scores["c"] == pytest.approx(1 / 4 + 1 / 3)
    assert scores["d"] == pytest.approx(0.25)


def test_rrf_with_the_default_k_of_sixty() -> None:
    # k = 60: x ranked 1st and 3rd -> 1/61 + 1/63 = 0.0163934 + 0.0158730 = 0.0322664
    #         y ranked 2nd and 1st -> 1/62 + 1/61 = 0.0161290 + 0.0163934 = 0.0325224
    fused = dict(reciprocal_rank_fusion({"one": ["x", "y"], "two": ["y", "z", "x"]}))
    assert fused["x"] == pytest.approx(0.0322664, abs=1e-7)
    assert fused["y"] == pytest.approx(0.0325224, abs=1e-7)
    assert fused["y"] > fused["x"]


def test_rrf_weights_scale_each_ranking() -> None:
    # k = 0, weights one = 3, two = 0.5: a is 1st in "one" -> 3/1 = 3.0
    #                                    b is 1st in "two" -> 0.5/1 = 0.5
    fused = reciprocal_rank_fusion(
        {"one": ["a"], "two": ["b"]}, k=0, weights={"one": 3.0, "two": 0.5}
    )
    assert fused == [("a", pytest.approx(3.0)), ("b", pytest.approx(0.5))]


def test_rrf_counts_a_repeated_document_once_per_ranking() -> None:
    fused = dict(reciprocal_rank_fusion({"one": ["a", "a", "b"]}, k=0))
    # a at rank 1 -> 1/1; b at rank 3 (positions are not renumbered) -> 1/3
    assert fused == {"a": pytest.approx(1.0), "b": pytest.approx(1 / 3)}


def test_rrf_of_nothing_is_empty() -> None:
    assert reciprocal_rank_fusion({"one": [], "two": []}) == []
