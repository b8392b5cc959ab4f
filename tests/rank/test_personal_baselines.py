"""The peers' methods the personal feed is measured against: zotero-arxiv-daily's recency-
weighted mean cosine and arxiv-sanity-lite's per-reader SVM over TF-IDF."""

from __future__ import annotations

import numpy as np
import pytest

from likewise.rank.personal_profiles import ReaderProfile
from likewise.rank.personal_recency import recency_scores, recency_weights


def test_recency_weights_fall_as_one_over_one_plus_log10_of_the_rank() -> None:
    raw = np.array([1.0, 1 / (1 + np.log10(2)), 1 / (1 + np.log10(3))])
    assert recency_weights(3) == pytest.approx(raw / raw.sum(), rel=1e-6)
    assert recency_weights(3) == pytest.approx([0.408895, 0.314285, 0.276819], abs=1e-5)
    assert len(recency_weights(0)) == 0


def test_the_recency_score_is_the_weighted_mean_cosine_to_the_library() -> None:
    positives = np.eye(3, dtype=np.float32)[:2]
    candidates = np.array([[0.6, 0.8, 0.0], [0.0, 0.0, 1.0]], dtype=np.float32)
    profile = ReaderProfile("r", positives, recency_weights(2))
    result = recency_scores([profile], candidates)
    w = recency_weights(2)
    assert result.scores[0] == pytest.approx([w[0] * 0.6 + w[1] * 0.8, 0.0], abs=1e-6)
    assert result.nearest_positive[0].tolist() == [1, 0]


SVM_TEXTS = [
    "graph neural networks for molecules",
    "graph neural networks message passing",
    "speech recognition with transformers",
    "image segmentation with diffusion",
    "speech synthesis vocoder",
    "graph neural networks molecules property",
    "diffusion speech image",
]


def test_the_svm_ranks_the_candidate_sharing_the_readers_words_first() -> None:
    pytest.importorskip("sklearn")
    from likewise.rank.personal_svm import svm_scores, tfidf_matrix

    features = tfidf_matrix(SVM_TEXTS, min_df=1, max_df=1.0)
    scores = svm_scores(features, [[0, 1], []], [5, 6])
    assert scores[0, 0] > scores[0, 1]
    assert scores[1].tolist() == [0.0, 0.0]


def test_the_svm_over_a_catalog_trains_on_those_rows_and_the_readers_own() -> None:
    pytest.importorskip("sklearn")
    from likewise.rank.personal_svm import svm_scores, tfidf_matrix

    features = tfidf_matrix(SVM_TEXTS, min_df=1, max_df=1.0)
    restricted = svm_scores(features, [[0, 1]], [5, 6], catalog=[2, 3, 5, 6])
    by_hand = svm_scores(features[[0, 1, 2, 3, 5, 6]], [[0, 1]], [4, 5])
    np.testing.assert_allclose(restricted, by_hand, rtol=1e-5)
    assert not np.allclose(restricted, svm_scores(features, [[0, 1]], [5, 6]))
