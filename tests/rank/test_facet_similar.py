"""Facet re-scoring (rank/facet_similar.py) on 2-d vectors whose scores are worked by hand."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from likewise.rank.facet_similar import FacetScore, SentenceMatch, facet_query, score_by_facet
from likewise.rank.facets import UnknownFacetError

# Query sentences: q0 = (1, 0), q1 = (0.6, 0.8), q2 = (0, 1).
QUERY = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]], dtype=np.float32)
LABELS = ["objective", "background", "method"]
# The raw blend (1 - w) * cosine + w * facet, without normalisation or lexical part.
RAW: dict[str, Any] = {"lexical_weight": 0.0, "normalisation": "none"}


def test_objective_sentences_count_as_background_and_method_keeps_its_own() -> None:
    background = facet_query(QUERY, LABELS, "background")
    assert background.positions == (0, 1) and not background.fallback
    assert facet_query(QUERY, LABELS, "method").positions == (2,)


def test_a_facet_no_sentence_carries_falls_back_to_every_sentence() -> None:
    result = facet_query(QUERY, LABELS, "result")
    assert result.fallback and result.positions == (0, 1, 2)


def test_an_unknown_facet_is_refused_by_name() -> None:
    with pytest.raises(UnknownFacetError, match="'novelty'"):
        facet_query(QUERY, LABELS, "novelty")


def test_max_takes_the_best_pair_and_mean_averages_each_sentences_best_match() -> None:
    query = facet_query(QUERY, LABELS, "background")
    candidate = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    cosine = np.array([0.4])
    # q0's best is c0 (1.0); q1's best is c1 (0.8, against 0.6 for c0).
    best = score_by_facet(query, cosine, [candidate], aggregation="max", weight=0.5, **RAW)[0]
    assert best.facet_score == pytest.approx(1.0)
    assert best.score == pytest.approx(0.5 * 0.4 + 0.5 * 1.0)  # 0.7
    mean = score_by_facet(query, cosine, [candidate], aggregation="mean", weight=0.3, **RAW)[0]
    assert mean.facet_score == pytest.approx(0.9)
    assert mean.score == pytest.approx(0.7 * 0.4 + 0.3 * 0.9)  # 0.55
    assert best.matches == (
        SentenceMatch(0, 0, pytest.approx(1.0)),
        SentenceMatch(1, 1, pytest.approx(0.8)),
    )  # type: ignore[arg-type]


def test_the_method_sentence_reorders_candidates_the_cosine_ranked_otherwise() -> None:
    query = facet_query(QUERY, LABELS, "method")  # only q2 = (0, 1)
    near_topic = np.array([[1.0, 0.0], [0.6, 0.8]], dtype=np.float32)  # best match 0.8
    same_method = np.array([[0.0, 1.0]], dtype=np.float32)  # best match 1.0
    scores = score_by_facet(
        query, np.array([0.5, 0.2, 0.9]), [near_topic, same_method, None], weight=0.5, **RAW
    )
    assert [s.score for s in scores] == pytest.approx([0.65, 0.6, 0.9])
    assert scores[0].matches[0] == SentenceMatch(2, 1, pytest.approx(0.8))  # type: ignore[arg-type]
    # A candidate without stored sentences keeps its cosine and names no sentence.
    assert scores[2] == FacetScore(0.9, None, ())


def test_a_candidate_sentence_best_for_two_query_sentences_is_shown_once() -> None:
    query = facet_query(QUERY, LABELS, "background")  # q0 = (1, 0), q1 = (0.6, 0.8)
    # c0 is the best match of both (1.0 and 0.6 against c1's 0.0 and 0.48).
    candidate = np.array([[1.0, 0.0], [0.0, 0.6]], dtype=np.float32)
    found = score_by_facet(query, np.array([0.4]), [candidate], weight=0.5, **RAW)[0]
    assert found.facet_score == pytest.approx(1.0)
    assert found.matches == (SentenceMatch(0, 0, pytest.approx(1.0)),)  # type: ignore[arg-type]


def test_weights_outside_zero_to_one_and_unknown_aggregations_are_refused() -> None:
    query = facet_query(QUERY, LABELS, "method")
    with pytest.raises(ValueError, match="between 0 and 1"):
        score_by_facet(query, np.array([0.1]), [QUERY], weight=1.5)
    with pytest.raises(ValueError, match="aggregation"):
        score_by_facet(query, np.array([0.1]), [QUERY], aggregation="sum")
