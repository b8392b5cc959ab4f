"""The nearest-paper halves of the personal feed: per-reader maxima over stacked similarities,
and their weight in score_readers (values computed by hand)."""

from __future__ import annotations

import numpy as np
import pytest

from likewise.rank.personal_feed import FeedWeights, ReaderProfile, score_readers
from likewise.rank.personal_nearest import block_nearest


def test_each_reader_gets_the_best_of_their_own_rows_and_its_index() -> None:
    similarities = np.array(
        [[0.1, 0.9], [0.5, 0.2], [0.3, -0.4]], dtype=np.float32
    )  # reader 0: rows 0-1, reader 1: none, reader 2: row 2
    best, index = block_nearest([2, 0, 1], similarities)
    assert best.ravel().tolist() == pytest.approx([0.5, 0.9, 0.0, 0.0, 0.3, -0.4])
    assert index.tolist() == [[1, 0], [-1, -1], [0, 0]]


def test_a_row_count_that_does_not_match_the_sizes_is_refused() -> None:
    with pytest.raises(ValueError, match="one similarity row per positive"):
        block_nearest([2], np.zeros((3, 1), dtype=np.float32))


def _two_topic_reader() -> tuple[ReaderProfile, np.ndarray]:
    positives = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=np.float32)
    half = np.float32(np.sqrt(0.5))
    # One of the reader's papers exactly, their mean direction, and an unrelated paper.
    candidates = np.array([[1.0, 0.0, 0.0], [half, half, 0.0], [0.0, 0.0, 1.0]], np.float32)
    return ReaderProfile("r", positives, np.ones(2, dtype=np.float32)), candidates


def test_the_default_mix_ranks_a_copy_of_one_paper_above_the_mean_direction() -> None:
    # Dense only: 1/3 standardised mean cosine [0.707, 1, 0] -> [0.329, 1.027, -1.356]
    # plus 2/3 standardised nearest cosine [1, 0.707, 0] -> [1.027, 0.329, -1.356].
    profile, candidates = _two_topic_reader()
    scores = score_readers([profile], candidates).scores[0]
    assert scores.tolist() == pytest.approx([0.7942, 0.5616, -1.3556], abs=1e-3)


def test_the_mean_alone_prefers_the_mean_direction() -> None:
    profile, candidates = _two_topic_reader()
    means = FeedWeights(dense_mean=1.0, dense_nearest=0.0, lexical_mean=0.0, lexical_nearest=0.0)
    scores = score_readers([profile], candidates, weights=means).scores[0]
    assert scores.tolist() == pytest.approx([0.329, 1.0268, -1.3556], abs=1e-3)


def test_the_nearest_lexical_paper_lifts_a_candidate_sharing_its_rare_words() -> None:
    vectors = np.eye(3, dtype=np.float32)[:2]
    texts = ("graph neural networks for molecules", "speech recognition with transformers")
    profile = ReaderProfile("r", vectors, np.array([1.0, 0.1], np.float32), positive_texts=texts)
    # Both candidates sit at the same dense spot, so only the lexical halves tell them apart.
    candidates = np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]], dtype=np.float32)
    candidate_texts = ["speech recognition with transformers", "a survey of databases"]
    nearest_only = FeedWeights(0.0, 0.0, 0.0, 1.0)
    scores = score_readers(
        [profile], candidates, candidate_texts=candidate_texts, weights=nearest_only
    ).scores[0]
    assert scores[0] > scores[1]


def test_a_reader_without_texts_in_a_batch_with_texts_is_scored_from_the_vectors_alone() -> None:
    plain, candidates = _two_topic_reader()
    texts = ("graph neural networks", "speech recognition")
    worded = ReaderProfile("w", plain.positives, plain.positive_weights, positive_texts=texts)
    candidate_texts = ["graph neural networks", "speech recognition", "databases"]
    scores = score_readers([plain, worded], candidates, candidate_texts=candidate_texts).scores
    assert scores[0].tolist() == pytest.approx([0.7942, 0.5616, -1.3556], abs=1e-3)
    assert scores[1].tolist() != pytest.approx(scores[0].tolist(), abs=1e-3)
