"""Scores a day's new papers for many readers at once from each reader's own papers.

The shared interface of the personal feed ("For you"): services/ build one ReaderProfile per
user (or per collection) and call score_readers once for the whole batch. The model (chosen by
`likewise eval recommend`, docs/recommend.md) fuses a per-reader contrastive tower over the
dense vectors (rank/personal_contrastive.py; untrained by default, i.e. the reader's
recency-weighted mean, which won on the fit readers) with a lexical TF-IDF centroid
(rank/personal_lexical.py) when the texts are given.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from likewise.rank.personal_contrastive import TowerSettings, train_towers
from likewise.rank.personal_profiles import (
    ReaderProfile,
    ReaderScores,
    Vectors,
    empty_vectors,
    nearest_positives,
)

__all__ = ["ReaderProfile", "ReaderScores", "Vectors", "score_readers"]

# At most this many background papers enter training: enough negatives for the softmax,
# bounded cost for large days.
BACKGROUND_SAMPLE = 1000
LEXICAL_WEIGHT = 0.5
# Training the towers lowered nDCG@10 on the fit readers at every setting tried (0.027-0.049
# against 0.051 untrained, docs/recommend.md), so by default the tower stays at the reader's
# recency-weighted mean and the lexical half carries the gain.
UNTRAINED = TowerSettings(steps=0)
NOT_INTERESTED_PENALTY = 2.0


def _standardised(scores: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Each row to mean 0, standard deviation 1, so the two halves mix on one scale."""
    if scores.shape[1] == 0:
        return scores
    centred = scores - scores.mean(axis=1, keepdims=True)
    spread = centred.std(axis=1, keepdims=True)
    standard: npt.NDArray[np.float32] = (centred / np.maximum(spread, 1e-6)).astype(np.float32)
    return standard


def _sample(background: Vectors, seed: int) -> Vectors:
    if len(background) <= BACKGROUND_SAMPLE:
        return background
    rows = np.random.default_rng(seed).choice(len(background), BACKGROUND_SAMPLE, replace=False)
    return background[np.sort(rows)]


def score_readers(
    profiles: Sequence[ReaderProfile],
    candidates: Vectors,
    *,
    background: Vectors | None = None,
    candidate_texts: Sequence[str] | None = None,
    tower: TowerSettings = UNTRAINED,
    lexical_weight: float = LEXICAL_WEIGHT,
) -> ReaderScores:
    """Scores every candidate for every reader in one batch.

    background: unit vectors of unseen papers of the days the readers' papers came from, the
    sampled negatives of the contrastive tower (not the candidates: the ones most like the
    reader's papers would be pushed down); without it (and without "not interested" papers)
    the tower stays at the weighted mean of the reader's papers. candidate_texts:
    title + abstract of each candidate; with them, readers whose profiles carry
    positive_texts are also scored lexically. A reader with no positives gets a row of zeros.
    """
    nearest = nearest_positives(profiles, candidates)
    users, count = len(profiles), len(candidates)
    if users == 0 or count == 0:
        return nearest
    negatives = _sample(
        empty_vectors(candidates.shape[1]) if background is None else background, tower.seed
    )
    weights = train_towers(profiles, negatives, candidates.shape[1], tower)
    scores = _standardised((weights @ candidates.T).astype(np.float32))
    if candidate_texts is not None and lexical_weight > 0:
        if len(candidate_texts) != count:
            raise ValueError("one candidate text per candidate vector is needed")
        from likewise.rank.personal_lexical import lexical_scores

        lexical = _standardised(lexical_scores(profiles, candidate_texts))
        has_texts = np.array([bool(p.positive_texts) for p in profiles])[:, None]
        fused = (1.0 - lexical_weight) * scores + lexical_weight * lexical
        scores = np.where(has_texts, fused, scores).astype(np.float32)
    for row, profile in enumerate(profiles):
        if len(profile.positives) == 0:
            scores[row] = 0.0
        elif len(profile.negatives):
            closest = np.maximum((profile.negatives @ candidates.T).max(axis=0), 0.0)
            scores[row] -= NOT_INTERESTED_PENALTY * closest
    return ReaderScores(scores=scores, nearest_positive=nearest.nearest_positive)
