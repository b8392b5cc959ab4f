"""What the personal-feed models read and return: one ReaderProfile per reader (a user or
one of their collections) and a ReaderScores matrix for the whole batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


def empty_vectors(dimension: int = 0) -> Vectors:
    return np.zeros((0, dimension), dtype=np.float32)


@dataclass(frozen=True)
class ReaderProfile:
    """What one reader (a user, or one of their collections) has told us.

    positives: unit vectors of the reader's papers (saved, collected, upvoted, claimed,
    imported); positive_weights: one weight each (recency; 1.0 when unknown);
    negatives: unit vectors of papers marked "not interested" (may be empty);
    positive_texts: title + abstract of each positive, for the lexical half of the model
    (empty: the reader is scored from the vectors alone).
    """

    key: str
    positives: Vectors
    positive_weights: npt.NDArray[np.float32]
    negatives: Vectors = field(default_factory=empty_vectors)
    positive_texts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.positives.ndim != 2 or len(self.positive_weights) != len(self.positives):
            raise ValueError(f"profile {self.key!r}: one weight per positive vector is needed")
        if self.positive_texts and len(self.positive_texts) != len(self.positives):
            raise ValueError(f"profile {self.key!r}: one text per positive vector is needed")


@dataclass(frozen=True)
class ReaderScores:
    """scores[u, c]: how much reader u should like candidate c (higher is better; comparable
    within a row only). nearest_positive[u, c]: index into reader u's positives of the one
    closest to candidate c (for the "why" line), -1 for a reader with no positives."""

    scores: npt.NDArray[np.float32]
    nearest_positive: npt.NDArray[np.int64]


def nearest_positives(profiles: Sequence[ReaderProfile], candidates: Vectors) -> ReaderScores:
    """Zero scores plus, per reader, the index of the positive nearest each candidate; the
    cosines of all readers' positives come from one matrix product."""
    users, count = len(profiles), len(candidates)
    scores = np.zeros((users, count), dtype=np.float32)
    nearest = np.full((users, count), -1, dtype=np.int64)
    sizes = [len(profile.positives) for profile in profiles]
    if count == 0 or sum(sizes) == 0:
        return ReaderScores(scores, nearest)
    stacked = np.concatenate([p.positives for p in profiles if len(p.positives)])
    cosines = stacked @ candidates.T
    start = 0
    for row, size in enumerate(sizes):
        if size:
            nearest[row] = cosines[start : start + size].argmax(axis=0)
        start += size
    return ReaderScores(scores, nearest)


def uniform_weights(count: int) -> npt.NDArray[np.float32]:
    """Every positive weighs the same, whatever its age: on the fit readers of `likewise eval
    recommend` every decay tried (zotero-arxiv-daily's 1 / (1 + log10 k) by rank, half-lives of
    1 to 10 years by age) ranked worse than none (docs/recommend.md)."""
    if count == 0:
        return np.zeros(0, dtype=np.float32)
    return np.full(count, 1.0 / count, dtype=np.float32)
