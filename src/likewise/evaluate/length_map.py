"""A per-query-length Platt map of a Cosine Adapter's logit (Platt, 1999), fit on out-of-fold
logits of the fit queries with every source weighing the same, so that the few typed arXiv
queries can correct their own temperature without SciFact's many claims drowning them; with a
term per bucket for the share of the query's terms the candidate holds (rank/term_coverage.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
from scipy.optimize import minimize

from likewise.rank.cosine_adapter import CosineAdapter, FloatArray, JudgedQuery, length_bucket

# Buckets: short topics (<= 3 words), typed questions (4-9), claims and sentences (10-40), pasted
# abstracts (> 40); chosen by nested cross-validation on the fit parts (docs/search.md).
LENGTH_EDGES = (3, 9, 40)
MAP_PENALTY = 1e-3  # L2 pull of (scale, shift) towards the identity (1, 0)


def out_of_fold_logits(
    judged: Sequence[JudgedQuery],
    folds: Sequence[int],
    groups: Sequence[str],
    fit: Callable[[list[JudgedQuery]], CosineAdapter],
) -> tuple[FloatArray, FloatArray, FloatArray, list[str], FloatArray]:
    """(logit, label, words, source, term coverage) of every labelled pair, each logit from
    the adapter fit on the other fold; coverage is NaN where the pairs did not carry it."""
    logits, labels, words, sources, coverage = [], [], [], [], []
    for fold in (0, 1):
        adapter = fit([q for q, f in zip(judged, folds, strict=True) if f != fold])
        for query, f, group in zip(judged, folds, groups, strict=True):
            mask = query.label_mask()
            if f != fold or not np.any(mask):
                continue
            found = adapter.logits(
                query.query_vector, query.scores, query.dense_cosines, query.pairs
            )
            logits.append(found[mask])
            labels.append(query.relevant[mask].astype(np.float64))
            count = int(mask.sum())
            pairs = query.pairs
            words.append(np.full(count, pairs.words if pairs is not None else 1))
            sources.extend([group] * count)
            held = None if pairs is None else pairs.coverage
            coverage.append(np.full(count, np.nan) if held is None else held[mask])
    return (
        np.concatenate(logits),
        np.concatenate(labels),
        np.concatenate(words),
        sources,
        np.concatenate(coverage),
    )


def fit_length_map(
    logits: FloatArray,
    labels: FloatArray,
    words: FloatArray,
    sources: Sequence[str],
    edges: tuple[int, ...] = LENGTH_EDGES,
    coverage: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(scale, shift, coverage weight) per length bucket minimising cross-entropy, each source
    weighing 1: logit -> scale * logit + shift + weight * coverage. Without `coverage` the
    weights are empty (the map of the logit alone)."""
    if coverage is not None and np.isnan(coverage).any():
        raise ValueError("some pairs have no term coverage")
    names, inverse, counts = np.unique(np.asarray(sources), return_inverse=True, return_counts=True)
    weight = 1.0 / counts[inverse] / len(names)
    bucket = np.array([length_bucket(edges, int(w)) for w in words])
    one_hot = np.eye(len(edges) + 1)[bucket]
    k = one_hot.shape[1]
    share = np.zeros(len(logits)) if coverage is None else coverage
    identity = np.concatenate([np.ones(k), np.zeros(2 * k)])

    def loss_and_gradient(theta: FloatArray) -> tuple[float, FloatArray]:
        z = (one_hot @ theta[:k]) * logits + one_hot @ theta[k : 2 * k]
        z = z + (one_hot @ theta[2 * k :]) * share
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))
        loss = -np.sum(weight * (labels * np.log(p + 1e-12) + (1 - labels) * np.log(1 - p + 1e-12)))
        residual = weight * (p - labels)
        gradient = np.concatenate(
            [one_hot.T @ (residual * logits), one_hot.T @ residual, one_hot.T @ (residual * share)]
        )
        gap = theta - identity
        return float(loss + MAP_PENALTY * gap @ gap), gradient + 2 * MAP_PENALTY * gap

    theta = minimize(loss_and_gradient, identity, jac=True, method="L-BFGS-B").x
    weights = theta[2 * k :] if coverage is not None else np.zeros(0)
    return theta[:k], theta[k : 2 * k], weights


def with_length_map(
    adapter: CosineAdapter,
    judged: Sequence[JudgedQuery],
    folds: Sequence[int],
    groups: Sequence[str],
    fit: Callable[[list[JudgedQuery]], CosineAdapter],
    edges: tuple[int, ...] = LENGTH_EDGES,
    coverage: bool = False,
) -> CosineAdapter:
    """`adapter` with a length map fit on the fit queries' out-of-fold logits, with the term
    coverage term when `coverage` (every judged query's pairs must then carry it)."""
    if not adapter.needs_pairs:
        raise ValueError("a length map needs the query's words (an adapter with PairInputs)")
    logits, labels, words, sources, shares = out_of_fold_logits(judged, folds, groups, fit)
    scale, shift, weights = fit_length_map(
        logits, labels, words, sources, edges, shares if coverage else None
    )
    return replace(adapter, map_edges=edges, map_scale=scale, map_shift=shift, map_coverage=weights)
