"""Scores a day's new papers for many readers at once from each reader's own papers.

The shared interface of the personal feed ("For you"): services/ build one ReaderProfile per
user (or per collection) and call score_readers once for the whole batch. This first model is
zotero-arxiv-daily's: a recency-weighted mean cosine to the reader's library, minus the
strongest cosine to a paper they marked "not interested".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


def _empty(dimension: int = 0) -> Vectors:
    return np.zeros((0, dimension), dtype=np.float32)


@dataclass(frozen=True)
class ReaderProfile:
    """What one reader (a user, or one of their collections) has told us.

    positives: unit vectors of the reader's papers (saved, collected, upvoted, claimed,
    imported); positive_weights: one weight each (recency; 1.0 when unknown);
    negatives: unit vectors of papers marked "not interested" (may be empty).
    """

    key: str
    positives: Vectors
    positive_weights: npt.NDArray[np.float32]
    negatives: Vectors = field(default_factory=_empty)

    def __post_init__(self) -> None:
        if self.positives.ndim != 2 or len(self.positive_weights) != len(self.positives):
            raise ValueError(f"profile {self.key!r}: one weight per positive vector is needed")


@dataclass(frozen=True)
class ReaderScores:
    """scores[u, c]: how much reader u should like candidate c (higher is better; comparable
    within a row only). nearest_positive[u, c]: index into reader u's positives of the one
    closest to candidate c (for the "why" line), -1 for a reader with no positives."""

    scores: npt.NDArray[np.float32]
    nearest_positive: npt.NDArray[np.int64]


def score_readers(
    profiles: Sequence[ReaderProfile],
    candidates: Vectors,
    *,
    background: Vectors | None = None,
) -> ReaderScores:
    """Scores every candidate for every reader in one batch.

    background: unit vectors of unseen papers of the same days (sampled negatives); models that
    learn from them use them, this mean-cosine model ignores them. A reader with no positives
    gets a row of zeros.
    """
    del background
    users, count = len(profiles), len(candidates)
    scores = np.zeros((users, count), dtype=np.float32)
    nearest = np.full((users, count), -1, dtype=np.int64)
    for row, profile in enumerate(profiles):
        if len(profile.positives) == 0 or count == 0:
            continue
        cosines = profile.positives @ candidates.T
        weights = profile.positive_weights / max(float(profile.positive_weights.sum()), 1e-9)
        scores[row] = weights @ cosines
        nearest[row] = cosines.argmax(axis=0)
        if len(profile.negatives):
            scores[row] -= np.maximum((profile.negatives @ candidates.T).max(axis=0), 0.0)
    return ReaderScores(scores=scores, nearest_positive=nearest)
