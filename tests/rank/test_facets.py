"""Facet-restricted sentence matching (Aspire-style), checked by hand on 2-d vectors."""

from __future__ import annotations

import numpy as np
import pytest

from likewise.rank.facets import (
    UnknownFacetError,
    facet_sentence_indices,
    facet_sentence_scores,
)


def test_objective_sentences_count_as_background() -> None:
    labels = ["objective", "method", "background", "result"]
    assert facet_sentence_indices(labels, "background") == [0, 2]
    assert facet_sentence_indices(labels, "method") == [1]


def test_a_query_without_sentences_of_the_facet_falls_back_to_all_of_them() -> None:
    assert facet_sentence_indices(["method", "method"], "result") == [0, 1]
    assert facet_sentence_indices(["method", "result"], None) == [0, 1]


def test_an_unknown_facet_is_refused_with_its_name() -> None:
    with pytest.raises(UnknownFacetError, match="conclusion"):
        facet_sentence_indices(["method"], "conclusion")


def test_maxsim_averages_each_facet_sentence_best_match_and_single_takes_the_best_pair() -> None:
    query = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]], dtype=np.float32)
    labels = ["method", "method", "background"]
    candidate = np.array([[1.0, 0.0], [0.8, 0.6]], dtype=np.float32)
    scores = facet_sentence_scores(query, labels, [candidate], facet="method", mode="maxsim")
    # sentence 1 best 1.0; sentence 2 best 0.6 (against [0.8, 0.6]); mean 0.8
    assert scores[0] == pytest.approx(0.8)
    single = facet_sentence_scores(query, labels, [candidate], facet="method", mode="single")
    assert single[0] == pytest.approx(1.0)


def test_only_the_facet_sentences_of_the_query_decide() -> None:
    query = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    labels = ["method", "result"]
    about_method = np.array([[1.0, 0.0]], dtype=np.float32)
    about_result = np.array([[0.0, 1.0]], dtype=np.float32)
    method = facet_sentence_scores(query, labels, [about_method, about_result], facet="method")
    result = facet_sentence_scores(query, labels, [about_method, about_result], facet="result")
    assert method[0] > method[1]
    assert result[1] > result[0]


def test_labels_must_match_the_sentences() -> None:
    with pytest.raises(ValueError, match="one facet label per sentence"):
        facet_sentence_scores(np.eye(2, dtype=np.float32), ["method"], [], facet="method")
