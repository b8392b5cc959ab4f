"""A per-reader linear tower over the dense vectors, trained for all readers at once with a
sampled-softmax contrastive loss: each of the reader's papers against sampled unseen papers of
the same days and the reader's "not interested" papers, with random feature masking — the
method family of Yao et al., "Self-supervised Learning for Large-scale Item Recommendations"
(CIKM 2021), with the reader's own weight vector as the query tower."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from likewise.rank.personal_profiles import ReaderProfile, Vectors
from likewise.rank.personal_recency import weighted_centroids

SAME_PAPER = 0.999


@dataclass(frozen=True, slots=True)
class TowerSettings:
    """temperature: of the softmax; steps, learning_rate: plain gradient descent;
    anchor: L2 pull towards the reader's weighted centroid (where training starts), which
    keeps a reader with two papers close to mean cosine; mask_rate: share of vector
    dimensions masked per step (Yao et al.'s random feature masking); seed: of the masks."""

    temperature: float = 0.05
    steps: int = 30
    learning_rate: float = 0.5
    anchor: float = 1.0
    mask_rate: float = 0.1
    seed: int = 7


def _padded(rows: Sequence[Vectors], dimension: int) -> tuple[Vectors, npt.NDArray[np.bool_]]:
    width = max([len(r) for r in rows] + [1])
    stacked = np.zeros((len(rows), width, dimension), dtype=np.float32)
    mask = np.zeros((len(rows), width), dtype=bool)
    for row, vectors in enumerate(rows):
        if len(vectors):
            stacked[row, : len(vectors)] = vectors
        mask[row, : len(vectors)] = True
    return stacked, mask


def _logsumexp(values: npt.NDArray[np.float32], axis: int) -> npt.NDArray[np.float32]:
    top = values.max(axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    total = np.log(np.exp(values - top).sum(axis=axis, keepdims=True)) + top
    squeezed: npt.NDArray[np.float32] = np.squeeze(total, axis=axis)
    return squeezed


def train_towers(
    profiles: Sequence[ReaderProfile],
    background: Vectors,
    dimension: int,
    settings: TowerSettings = TowerSettings(),
) -> Vectors:
    """One weight vector per reader (zeros for a reader with no positives), all trained in
    the same matrix products. background: the shared sampled negatives."""
    anchors = weighted_centroids(profiles, dimension)
    untrained = len(background) == 0 and all(len(p.negatives) == 0 for p in profiles)
    if settings.steps == 0 or untrained:
        return anchors
    positives, positive_mask = _padded([p.positives for p in profiles], dimension)
    own, own_mask = _padded([p.negatives for p in profiles], dimension)
    counts = np.maximum(positive_mask.sum(axis=1), 1).astype(np.float32)
    active = (positive_mask.sum(axis=1) > 0)[:, None]
    # A reader's own paper among the background is not unseen: it leaves their negatives.
    seen = np.einsum("und,md->unm", positives, background).max(axis=1) > SAME_PAPER
    weights = anchors.copy()
    generator = np.random.default_rng(settings.seed)
    inverse = 1.0 / settings.temperature
    for _ in range(settings.steps):
        keep = generator.random(dimension) >= settings.mask_rate
        masked = weights * keep / (1.0 - settings.mask_rate)
        positive_logits = np.einsum("ud,und->un", masked, positives) * inverse
        shared_logits = np.where(seen, -np.inf, (masked @ background.T) * inverse)
        own_logits = np.where(own_mask, np.einsum("ud,ukd->uk", masked, own) * inverse, -np.inf)
        negative_logits = np.concatenate([shared_logits, own_logits], axis=1)
        negative_total = _logsumexp(negative_logits, axis=1)
        denominator = np.logaddexp(positive_logits, negative_total[:, None])
        # d loss / d positive logit = p(positive) - 1; d / d negative j = sum_i p_ij.
        positive_share = np.where(positive_mask, np.exp(positive_logits - denominator) - 1.0, 0.0)
        per_positive = np.where(
            positive_mask, np.exp(negative_total[:, None] - denominator), 0.0
        ).sum(axis=1)
        negative_share = np.exp(negative_logits - negative_total[:, None]) * per_positive[:, None]
        gradient = np.einsum("un,und->ud", positive_share, positives)
        gradient += negative_share[:, : len(background)] @ background
        gradient += np.einsum("uk,ukd->ud", negative_share[:, len(background) :], own)
        gradient *= keep * (inverse / (1.0 - settings.mask_rate)) / counts[:, None]
        gradient += settings.anchor * (weights - anchors)
        weights = np.where(active, weights - settings.learning_rate * gradient, 0.0)
    return weights.astype(np.float32)
