"""Scores a day's new papers for many readers at once from each reader's own papers.

The shared interface of the personal feed ("For you"): services/ build one ReaderProfile per
user (or per collection) and call score_readers once for the whole batch. The model (chosen on
the fit readers of `likewise eval recommend`, docs/recommend.md) mixes per-reader standardised
scores: the dense mean (rank/personal_contrastive.py, untrained by default: the reader's
mean vector, every paper weighing the same) and the dense nearest paper
(rank/personal_nearest.py), both on the vectors mapped by the embedder's shipped author-pair
map (rank/personal_linear_map.py), and, when the texts are given, the lexical mean made
discriminative against earlier papers
(Rocchio, rank/personal_lexical.py and rank/personal_rocchio.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from likewise.rank.personal_contrastive import TowerSettings, train_towers
from likewise.rank.personal_linear_map import Matrix, mapped
from likewise.rank.personal_nearest import block_nearest
from likewise.rank.personal_profiles import (
    ReaderProfile,
    ReaderScores,
    Vectors,
    empty_vectors,
    nearest_positives,
)

__all__ = ["FeedWeights", "ReaderProfile", "ReaderScores", "Vectors", "score_readers"]

# At most this many background papers enter training: enough negatives for the softmax,
# bounded cost for large days.
BACKGROUND_SAMPLE = 1000
# At most this many earlier papers' texts form Rocchio's lexical background (transformed in the
# batch's TF-IDF vocabulary, about 0.6 ms each on the 2-core machine; the first ones are used).
BACKGROUND_TEXTS = 2000
# Training the towers lowered nDCG@10 on the fit readers at every setting tried (0.027-0.049
# against 0.051 untrained, docs/recommend.md), so by default the tower stays at the reader's
# weighted mean and the lexical half carries the gain.
UNTRAINED = TowerSettings(steps=0)
NOT_INTERESTED_PENALTY = 2.0


@dataclass(frozen=True, slots=True)
class FeedWeights:
    """Weights of the four standardised scores (mixed rescales them to sum 1; without texts
    the two dense ones are used), and rocchio_gamma: the share of the lexical background's
    centroid taken off the lexical mean. The defaults are the grid point (0, 0.25, 0.5, 1
    each) with the best nDCG@10 + Recall@50 on the fit readers with the map and gamma 0.5
    (docs/recommend.md)."""

    dense_mean: float = 0.25
    dense_nearest: float = 0.5
    lexical_mean: float = 1.0
    lexical_nearest: float = 0.0
    rocchio_gamma: float = 0.5


CHOSEN = FeedWeights()
# The model shipped before (no map, no background): the four scores, lexical nearest included.
PREVIOUS = FeedWeights(0.125, 0.25, 0.5, 0.125, rocchio_gamma=0.0)
# The model before the nearest-paper halves were added (equal dense and lexical means).
MEANS_ONLY = FeedWeights(0.5, 0.0, 0.5, 0.0, rocchio_gamma=0.0)


def standardised(scores: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
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


def _dense_halves(
    profiles: Sequence[ReaderProfile],
    candidates: Vectors,
    background: Vectors | None,
    tower: TowerSettings,
) -> tuple[Vectors, Vectors, npt.NDArray[np.int64]]:
    """(mean, nearest, nearest index) over the vectors, the cosines of every reader's
    positives from one matrix product."""
    negatives = _sample(
        empty_vectors(candidates.shape[1]) if background is None else background, tower.seed
    )
    weights = train_towers(profiles, negatives, candidates.shape[1], tower)
    mean = (weights @ candidates.T).astype(np.float32)
    sizes = [len(profile.positives) for profile in profiles]
    if sum(sizes) == 0:
        return mean, np.zeros_like(mean), np.full(mean.shape, -1, dtype=np.int64)
    stacked = np.concatenate([p.positives for p in profiles if len(p.positives)])
    nearest, index = block_nearest(sizes, (stacked @ candidates.T).astype(np.float32))
    return mean, nearest, index


@dataclass(frozen=True, slots=True)
class FeedComponents:
    """The four scores, each standardised per reader, (readers, candidates) each; the lexical
    ones are None without texts, and has_texts marks the readers they are used for."""

    dense_mean: Vectors
    dense_nearest: Vectors
    lexical_mean: Vectors | None
    lexical_nearest: Vectors | None
    has_texts: npt.NDArray[np.bool_]
    nearest_index: npt.NDArray[np.int64]


def mapped_profiles(profiles: Sequence[ReaderProfile], dense_map: Matrix) -> list[ReaderProfile]:
    """The profiles with their positives mapped by W (and renormalised); negatives unchanged."""
    return [replace(p, positives=mapped(p.positives, dense_map)) for p in profiles]


def component_scores(
    profiles: Sequence[ReaderProfile],
    candidates: Vectors,
    *,
    background: Vectors | None = None,
    candidate_texts: Sequence[str] | None = None,
    tower: TowerSettings = UNTRAINED,
    dense_map: Matrix | None = None,
    background_texts: Sequence[str] = (),
    rocchio_gamma: float = 0.0,
) -> FeedComponents:
    """The four standardised scores of every reader (see score_readers for the arguments)."""
    if dense_map is not None:
        mean, nearest, index = _dense_halves(
            mapped_profiles(profiles, dense_map),
            mapped(candidates, dense_map),
            None if background is None else mapped(background, dense_map),
            tower,
        )
    else:
        mean, nearest, index = _dense_halves(profiles, candidates, background, tower)
    has_texts = np.array([bool(p.positive_texts) for p in profiles], dtype=bool)
    lexical_mean: Vectors | None = None
    lexical_nearest: Vectors | None = None
    if candidate_texts is not None:
        if len(candidate_texts) != len(candidates):
            raise ValueError("one candidate text per candidate vector is needed")
        from likewise.rank.personal_lexical import centroid_scores, lexical_rows
        from likewise.rank.personal_rocchio import background_cosines, discriminative

        earlier = list(background_texts[:BACKGROUND_TEXTS]) if rocchio_gamma > 0 else []
        features = lexical_rows(profiles, candidate_texts, transformed_texts=earlier)
        if features is not None:
            rows, positives, extra = features
            centroid = centroid_scores(profiles, rows, positives)
            if extra is not None:
                centroid = discriminative(centroid, background_cosines(rows, extra), rocchio_gamma)
            lexical_mean = standardised(centroid)
            sizes = [len(profile.positive_texts) for profile in profiles]
            cosines = (positives @ rows.T).toarray().astype(np.float32)
            lexical_nearest = standardised(block_nearest(sizes, cosines)[0])
    return FeedComponents(
        standardised(mean), standardised(nearest), lexical_mean, lexical_nearest, has_texts, index
    )


def mixed(components: FeedComponents, weights: FeedWeights) -> Vectors:
    """The weighted mix (weights rescaled to sum 1); the dense scores alone for readers
    without texts. No "not interested" penalty, no zeroing of empty readers."""
    dense_weight = max(weights.dense_mean + weights.dense_nearest, 1e-9)
    dense = weights.dense_mean * components.dense_mean
    dense = dense + weights.dense_nearest * components.dense_nearest
    lexical_weight = weights.lexical_mean + weights.lexical_nearest
    if components.lexical_mean is None or components.lexical_nearest is None or lexical_weight <= 0:
        result: Vectors = (dense / dense_weight).astype(np.float32)
        return result
    lexical = weights.lexical_mean * components.lexical_mean
    lexical = lexical + weights.lexical_nearest * components.lexical_nearest
    fused = (dense + lexical) / (dense_weight + lexical_weight)
    chosen: Vectors = np.where(components.has_texts[:, None], fused, dense / dense_weight).astype(
        np.float32
    )
    return chosen


def score_readers(
    profiles: Sequence[ReaderProfile],
    candidates: Vectors,
    *,
    background: Vectors | None = None,
    candidate_texts: Sequence[str] | None = None,
    tower: TowerSettings = UNTRAINED,
    weights: FeedWeights = CHOSEN,
    dense_map: Matrix | None = None,
    background_texts: Sequence[str] = (),
) -> ReaderScores:
    """Scores every candidate for every reader in one batch.

    background: unit vectors of unseen papers of the days the readers' papers came from, the
    sampled negatives of the contrastive tower (not the candidates: the ones most like the
    reader's papers would be pushed down); without it (and without "not interested" papers)
    the tower stays at the weighted mean of the reader's papers. candidate_texts:
    title + abstract of each candidate; with them, readers whose profiles carry
    positive_texts are also scored lexically. dense_map: W of the embedder
    (personal_linear_map.bundled_map; None: the identity), applied to the candidates and the
    readers' positives for the dense scores (nearest_positive, the "why" paper, stays the
    highest plain cosine). background_texts: earlier
    papers (not candidates), newest first, at most BACKGROUND_TEXTS used: Rocchio's lexical
    background, transformed in the batch's TF-IDF vocabulary (which they do not help fit);
    none, or rocchio_gamma 0: the plain centroid. "Not interested" papers are compared on
    the unmapped vectors. A reader with no positives gets a row of zeros.
    """
    users, count = len(profiles), len(candidates)
    if users == 0 or count == 0:
        return ReaderScores(
            np.zeros((users, count), dtype=np.float32), np.full((users, count), -1, np.int64)
        )
    lexical = weights.lexical_mean + weights.lexical_nearest > 0
    components = component_scores(
        profiles,
        candidates,
        background=background,
        candidate_texts=candidate_texts if lexical else None,
        tower=tower,
        dense_map=dense_map,
        background_texts=background_texts,
        rocchio_gamma=weights.rocchio_gamma,
    )
    final = mixed(components, weights)
    for row, profile in enumerate(profiles):
        if len(profile.positives) == 0:
            final[row] = 0.0
        elif len(profile.negatives):
            closest = np.maximum((profile.negatives @ candidates.T).max(axis=0), 0.0)
            final[row] -= NOT_INTERESTED_PENALTY * closest
    nearest = components.nearest_index
    if dense_map is not None:
        # The "why" paper is the one with the highest plain cosine: the similarity the card
        # shows and "nearest of yours" are read on the embedder's own vectors.
        nearest = nearest_positives(profiles, candidates).nearest_positive
    return ReaderScores(scores=final, nearest_positive=nearest)
