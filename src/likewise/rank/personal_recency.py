"""zotero-arxiv-daily's ranking (TideDra/zotero-arxiv-daily, recommender.rerank_paper): the
mean cosine of a candidate to the reader's library, the library's k-th newest paper weighted
1 / (1 + log10(k)), k = 1, 2, ... (weights normalised to sum 1)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from likewise.rank.personal_profiles import ReaderProfile, ReaderScores, Vectors


def recency_weights(count: int) -> npt.NDArray[np.float32]:
    """Weights of a library listed newest first, normalised to sum 1."""
    if count == 0:
        return np.zeros(0, dtype=np.float32)
    weights = 1.0 / (1.0 + np.log10(np.arange(1, count + 1, dtype=np.float64)))
    normalised: npt.NDArray[np.float32] = (weights / weights.sum()).astype(np.float32)
    return normalised


def weighted_centroids(profiles: Sequence[ReaderProfile], dimension: int) -> Vectors:
    """Each reader's weighted mean positive (zeros for a reader with none)."""
    centroids = np.zeros((len(profiles), dimension), dtype=np.float32)
    for row, profile in enumerate(profiles):
        if len(profile.positives):
            weights = profile.positive_weights / max(float(profile.positive_weights.sum()), 1e-9)
            centroids[row] = weights @ profile.positives
    return centroids


def recency_scores(profiles: Sequence[ReaderProfile], candidates: Vectors) -> ReaderScores:
    """Weighted mean cosine for every reader and candidate. The mean of cosines is the cosine
    with the weighted mean vector, so the batch is one matrix product. The profile's own
    positive_weights are used; recency_weights gives zotero-arxiv-daily's."""
    from likewise.rank.personal_profiles import nearest_positives

    result = nearest_positives(profiles, candidates)
    scores = weighted_centroids(profiles, candidates.shape[1]) @ candidates.T
    return ReaderScores(scores.astype(np.float32), result.nearest_positive)
