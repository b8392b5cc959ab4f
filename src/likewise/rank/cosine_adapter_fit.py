"""Fitting a Cosine Adapter (rank/cosine_adapter.py; Rossi et al., CIKM 2024): L2-regularised,
query-weighted binary cross-entropy over judged (query, candidate) pairs, with the optional pair
features and cosine scores of the extension, by L-BFGS on the exact gradient.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from likewise.rank.cosine_adapter import (
    FEATURE_SETS,
    PAIR_SETS,
    SCORE_SOURCES,
    CosineAdapter,
    FloatArray,
    JudgedQuery,
    pair_features,
    query_features,
)

SCALAR_PENALTY = 0.01  # L2 share of the scalar query features against embedding dimensions
PAIR_PENALTY = 1e-4  # absolute L2 on the few pair weights: they carry the per-pair evidence


def _scored(query: JudgedQuery, score_source: str) -> FloatArray:
    if score_source == "method":
        return query.scores
    if query.pairs is None:
        raise ValueError("cosine scores need each candidate's cosine (JudgedQuery.pairs)")
    return query.pairs.cosines


def _pair_rows(query: JudgedQuery, pair_set: str, score_source: str) -> FloatArray:
    scored = _scored(query, score_source)
    if pair_set == "":
        return np.zeros((scored.size, 0))
    if query.pairs is None:
        raise ValueError("pair features need each candidate's BM25 score (JudgedQuery.pairs)")
    return pair_features(pair_set, scored, query.pairs.lexical, query.pairs.words)


def fit_cosine_adapter(
    judged: Sequence[JudgedQuery],
    *,
    model_id: str,
    score_kind: str,
    feature_set: str = "embedding+scores",
    l2: float = 1e-2,
    score_source: str = "method",
    pair_set: str = "",
) -> CosineAdapter:
    """Fit a(q), b(q) (and the pair weights) by L2-regularised, query-weighted binary
    cross-entropy over every labelled pair."""
    if feature_set not in FEATURE_SETS:
        raise ValueError(f"unknown feature set {feature_set!r}; choose one of {FEATURE_SETS}")
    if pair_set not in PAIR_SETS or score_source not in SCORE_SOURCES:
        raise ValueError(f"unknown pair set {pair_set!r} or score source {score_source!r}")
    kept = [query for query in judged if np.any(query.label_mask())]
    if not kept:
        raise ValueError("no judged candidates to fit on")
    masks = [query.label_mask() for query in kept]
    labels = np.concatenate(
        [query.relevant[mask] for query, mask in zip(kept, masks, strict=True)]
    ).astype(np.float64)
    if labels.min() == labels.max():
        raise ValueError("fitting needs both relevant and non-relevant candidates")
    raw = np.stack(
        [
            query_features(
                feature_set,
                q.query_vector,
                q.scores,
                q.dense_cosines,
                q.pairs.words if q.pairs is not None else 1,
            )
            for q in kept
        ]
    )
    mean = raw.mean(axis=0)
    scale = raw.std(axis=0)
    scale[scale < 1e-9] = 1.0
    features = (raw - mean) / scale
    counts = np.array([int(mask.sum()) for mask in masks])
    owner = np.repeat(np.arange(len(kept)), counts)
    scores = np.concatenate(
        [_scored(query, score_source)[mask] for query, mask in zip(kept, masks, strict=True)]
    ).astype(np.float64)
    pair_raw = np.concatenate(
        [
            _pair_rows(query, pair_set, score_source)[mask]
            for query, mask in zip(kept, masks, strict=True)
        ]
    )
    pair_mean = pair_raw.mean(axis=0) if pair_raw.shape[1] else np.zeros(0)
    pair_scale = pair_raw.std(axis=0) if pair_raw.shape[1] else np.zeros(0)
    pair_scale[pair_scale < 1e-9] = 1.0
    pairs_z = (pair_raw - pair_mean) / pair_scale if pair_raw.shape[1] else pair_raw
    pair_weights = np.repeat(np.array([query.weight for query in kept], dtype=np.float64), counts)
    width = features.shape[1]
    extra = pairs_z.shape[1]
    total_weight = float(pair_weights.sum())
    # The few scalar features (dense cosines, scores, length) are shrunk far less than the
    # many embedding dimensions, so that a strong penalty on the 384-d vector does not also
    # erase the absolute cosine level.
    penalty = np.ones(width)
    scalars = width - (np.asarray(judged[0].query_vector).size if "embedding" in feature_set else 0)
    penalty[width - scalars :] = SCALAR_PENALTY

    def loss_and_gradient(theta: np.ndarray) -> tuple[float, np.ndarray]:
        slope_w, slope_b = theta[:width], theta[width]
        offset_w, offset_b = theta[width + 1 : 2 * width + 1], theta[2 * width + 1]
        pair_w = theta[2 * width + 2 :]
        slope = np.exp(np.clip(features @ slope_w + slope_b, -30, 30))  # per query
        offset = features @ offset_w + offset_b
        logits = slope[owner] * scores + offset[owner] + pairs_z @ pair_w
        probability = 1.0 / (1.0 + np.exp(-np.clip(logits, -40.0, 40.0)))
        eps = 1e-12
        loss = -np.sum(
            pair_weights
            * (labels * np.log(probability + eps) + (1 - labels) * np.log(1 - probability + eps))
        )
        residual = pair_weights * (probability - labels) / total_weight
        # d logit / d slope-exponent = slope * score; summed per query, then chained to weights
        per_query_slope = np.bincount(owner, residual * slope[owner] * scores, len(kept))
        per_query_offset = np.bincount(owner, residual, len(kept))
        gradient = np.concatenate(
            [
                features.T @ per_query_slope + 2 * l2 * penalty * slope_w,
                [per_query_slope.sum()],
                features.T @ per_query_offset + 2 * l2 * penalty * offset_w,
                [per_query_offset.sum()],
                pairs_z.T @ residual + 2 * PAIR_PENALTY * pair_w,
            ]
        )
        total = (
            loss / total_weight
            + l2 * float(penalty @ (slope_w * slope_w + offset_w * offset_w))
            + PAIR_PENALTY * float(pair_w @ pair_w)
        )
        return float(total), gradient

    start = np.zeros(2 * width + 2 + extra)
    # Start from a query-independent logistic fit's neighbourhood: slope e^1, offset 0.
    start[width] = 1.0
    # One BLAS thread: the optimiser's small matrix products gain nothing from more, and on a
    # busy machine OpenBLAS threads spinning against each other made fits 30x slower.
    with threadpool_limits(limits=1):
        result = minimize(
            loss_and_gradient, start, jac=True, method="L-BFGS-B", options={"maxiter": 1000}
        )
    theta = result.x
    return CosineAdapter(
        model_id=model_id,
        score_kind=score_kind,
        feature_set=feature_set,
        feature_mean=mean,
        feature_scale=scale,
        slope_weights=theta[:width],
        slope_bias=float(theta[width]),
        offset_weights=theta[width + 1 : 2 * width + 1],
        offset_bias=float(theta[2 * width + 1]),
        score_source=score_source,
        pair_set=pair_set,
        pair_mean=pair_mean,
        pair_scale=pair_scale,
        pair_weights=theta[2 * width + 2 :],
    )
