"""Why it matched: sentence scores fuse cosine and query-term coverage; one or two are chosen."""

from __future__ import annotations

import numpy as np

from likewise.rank.evidence import (
    EvidenceWeights,
    QueryTerms,
    chosen_positions,
    sentence_scores,
    supporting_sentences,
)


def test_coverage_is_the_share_of_query_words_a_sentence_holds() -> None:
    terms = QueryTerms("graph networks", None)
    assert terms.coverage("We train graph models.") == 0.5
    assert terms.coverage("Graph networks are studied.") == 1.0
    assert terms.coverage("Nothing related here.") == 0.0


def test_words_inside_a_link_do_not_count_as_coverage() -> None:
    terms = QueryTerms("similarity", None)
    assert terms.coverage("Code: https://github.com/someone/graph-similarity.") == 0.0
    assert terms.coverage("Code is at github.com/someone/Similarity-Tools") == 0.0
    assert terms.coverage("Similarity is measured; code at https://example.org/x.") == 1.0


def test_fused_scores_weigh_the_cosine_by_the_dense_weight() -> None:
    terms = QueryTerms("graph networks", None)
    sentences = ["We train graph models.", "Unrelated words."]
    vectors = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    query = np.array([0.6, 0.8], dtype=np.float32)
    scores = sentence_scores(terms, sentences, EvidenceWeights(0.25, 0.9), query, vectors)
    # 0.25 * 0.6 + 0.75 * 0.5 = 0.525 ; 0.25 * 0.8 + 0.75 * 0 = 0.2
    assert np.allclose(scores, [0.525, 0.2])


def test_a_close_runner_up_is_shown_second_and_a_far_one_is_not() -> None:
    assert chosen_positions(np.array([0.2, 0.9, 0.85]), 0.9) == [1, 2]
    assert chosen_positions(np.array([0.2, 0.9, 0.5]), 0.9) == [1]
    assert chosen_positions(np.array([0.0, 0.0]), 0.9) == []


def test_supporting_sentences_point_into_the_abstract() -> None:
    abstract = "Images are hard. Graph networks predict molecules. We release code."
    spans = [(0, 16), (17, 50), (51, 68)]
    chosen = supporting_sentences(
        abstract, spans, QueryTerms("graph networks molecules", None), EvidenceWeights(0.0, 0.99)
    )
    assert [(item.start, item.end) for item in chosen] == [(17, 50)]
    assert abstract[chosen[0].start : chosen[0].end] == chosen[0].text
