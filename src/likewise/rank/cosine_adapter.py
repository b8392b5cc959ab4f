"""The Cosine Adapter: raw retrieval scores to calibrated relevance probabilities.

Rossi et al., "Relevance Filtering for Embedding-based Retrieval", CIKM 2024: a query-dependent
monotone mapping of the raw similarity s, p(relevant | q, d) = sigmoid(a(q) * s + b(q)), whose
parameters come from the query (here a linear model of the query embedding and of the query's
top raw scores, with a(q) = exp(.) > 0 so the mapping is increasing), fit with binary
cross-entropy on judged (query, retrieved document) pairs; then one global threshold.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

FloatArray = npt.NDArray[np.float64]
FEATURE_SETS = ("embedding", "scores", "embedding+scores")
_TOP = 10


def score_features(ranked_scores: npt.ArrayLike) -> FloatArray:
    """How confident the query's retrieval looks: top-1 score and mean of the top 10."""
    scores = np.sort(np.asarray(ranked_scores, dtype=np.float64))[::-1]
    if scores.size == 0:
        return np.zeros(2)
    return np.array([scores[0], float(np.mean(scores[:_TOP]))])


def query_features(
    feature_set: str, query_vector: npt.ArrayLike, ranked_scores: npt.ArrayLike
) -> FloatArray:
    """The raw (unstandardised) features a(q) and b(q) are computed from."""
    parts: list[FloatArray] = []
    if "embedding" in feature_set:
        parts.append(np.asarray(query_vector, dtype=np.float64).ravel())
    if "scores" in feature_set:
        parts.append(score_features(ranked_scores))
    if not parts:
        raise ValueError(f"unknown feature set {feature_set!r}; choose one of {FEATURE_SETS}")
    return np.concatenate(parts)


@dataclass(frozen=True)
class JudgedQuery:
    """Training material for one query: its vector and its retrieved candidates with labels."""

    query_vector: FloatArray
    scores: FloatArray  # raw scores of the retrieved candidates
    relevant: npt.NDArray[np.bool_]  # aligned with scores


@dataclass(frozen=True)
class CosineAdapter:
    """A fitted query-dependent mapping from raw score to relevance probability."""

    model_id: str
    score_kind: str
    feature_set: str
    feature_mean: FloatArray
    feature_scale: FloatArray
    slope_weights: FloatArray
    slope_bias: float
    offset_weights: FloatArray
    offset_bias: float

    def _standardised(self, query_vector: npt.ArrayLike, scores: FloatArray) -> FloatArray:
        raw = query_features(self.feature_set, query_vector, scores)
        if raw.shape != self.feature_mean.shape:
            raise ValueError(
                f"the adapter expects {self.feature_mean.size} features, got {raw.size} "
                f"(was it fit for another embedder than {self.model_id}?)"
            )
        standardised: FloatArray = (raw - self.feature_mean) / self.feature_scale
        return standardised

    def parameters(self, query_vector: npt.ArrayLike, scores: npt.ArrayLike) -> tuple[float, float]:
        """(a(q), b(q)) for a query whose candidates have these raw scores."""
        values = np.asarray(scores, dtype=np.float64)
        features = self._standardised(query_vector, values)
        slope = float(np.exp(np.clip(features @ self.slope_weights + self.slope_bias, -30, 30)))
        offset = float(features @ self.offset_weights + self.offset_bias)
        return slope, offset

    def probabilities(self, query_vector: npt.ArrayLike, scores: npt.ArrayLike) -> FloatArray:
        """Calibrated relevance probability of each candidate (same order as scores)."""
        values = np.asarray(scores, dtype=np.float64)
        if values.size == 0:
            return np.zeros(0)
        slope, offset = self.parameters(query_vector, values)
        return _sigmoid(slope * values + offset)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "score_kind": self.score_kind,
            "feature_set": self.feature_set,
            "feature_mean": self.feature_mean.tolist(),
            "feature_scale": self.feature_scale.tolist(),
            "slope_weights": self.slope_weights.tolist(),
            "slope_bias": self.slope_bias,
            "offset_weights": self.offset_weights.tolist(),
            "offset_bias": self.offset_bias,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CosineAdapter:
        return cls(
            model_id=str(data["model_id"]),
            score_kind=str(data["score_kind"]),
            feature_set=str(data["feature_set"]),
            feature_mean=np.asarray(data["feature_mean"], dtype=np.float64),
            feature_scale=np.asarray(data["feature_scale"], dtype=np.float64),
            slope_weights=np.asarray(data["slope_weights"], dtype=np.float64),
            slope_bias=float(data["slope_bias"]),
            offset_weights=np.asarray(data["offset_weights"], dtype=np.float64),
            offset_bias=float(data["offset_bias"]),
        )


def _sigmoid(values: FloatArray) -> FloatArray:
    result: FloatArray = 1.0 / (1.0 + np.exp(-np.clip(values, -40.0, 40.0)))
    return result


def fit_cosine_adapter(
    judged: Sequence[JudgedQuery],
    *,
    model_id: str,
    score_kind: str,
    feature_set: str = "embedding+scores",
    l2: float = 1e-2,
) -> CosineAdapter:
    """Fit a(q), b(q) by L2-regularised binary cross-entropy over every judged pair."""
    if feature_set not in FEATURE_SETS:
        raise ValueError(f"unknown feature set {feature_set!r}; choose one of {FEATURE_SETS}")
    kept = [query for query in judged if query.scores.size]
    if not kept:
        raise ValueError("no judged candidates to fit on")
    labels = np.concatenate([query.relevant for query in kept]).astype(np.float64)
    if labels.min() == labels.max():
        raise ValueError("fitting needs both relevant and non-relevant candidates")
    raw = np.stack([query_features(feature_set, q.query_vector, q.scores) for q in kept])
    mean = raw.mean(axis=0)
    scale = raw.std(axis=0)
    scale[scale < 1e-9] = 1.0
    features = (raw - mean) / scale
    counts = np.array([query.scores.size for query in kept])
    owner = np.repeat(np.arange(len(kept)), counts)
    scores = np.concatenate([query.scores for query in kept]).astype(np.float64)
    width = features.shape[1]
    pairs = float(scores.size)

    def loss_and_gradient(theta: FloatArray) -> tuple[float, FloatArray]:
        slope_w, slope_b = theta[:width], theta[width]
        offset_w, offset_b = theta[width + 1 : 2 * width + 1], theta[2 * width + 1]
        slope = np.exp(np.clip(features @ slope_w + slope_b, -30, 30))  # per query
        offset = features @ offset_w + offset_b
        logits = slope[owner] * scores + offset[owner]
        probability = _sigmoid(logits)
        eps = 1e-12
        loss = -np.sum(
            labels * np.log(probability + eps) + (1 - labels) * np.log(1 - probability + eps)
        )
        residual = (probability - labels) / pairs
        # d logit / d slope-exponent = slope * score; summed per query, then chained to weights
        per_query_slope = np.bincount(owner, residual * slope[owner] * scores, len(kept))
        per_query_offset = np.bincount(owner, residual, len(kept))
        gradient = np.concatenate(
            [
                features.T @ per_query_slope + 2 * l2 * slope_w,
                [per_query_slope.sum()],
                features.T @ per_query_offset + 2 * l2 * offset_w,
                [per_query_offset.sum()],
            ]
        )
        total = loss / pairs + l2 * (float(slope_w @ slope_w) + float(offset_w @ offset_w))
        return float(total), gradient

    start = np.zeros(2 * width + 2)
    # Start from a query-independent logistic fit's neighbourhood: slope e^1, offset 0.
    start[width] = 1.0
    result = minimize(
        loss_and_gradient, start, jac=True, method="L-BFGS-B", options={"maxiter": 500}
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
    )


@dataclass(frozen=True)
class RelevanceCalibration:
    """Everything fitted on training data that search needs: adapters per score kind and the
    convex fusion weight, for one embedding model."""

    model_id: str
    convex_alpha: float
    adapters: dict[str, CosineAdapter]
    provenance: str = ""

    def adapter_for(self, score_kind: str) -> CosineAdapter | None:
        return self.adapters.get(score_kind)

    def save(self, path: Path) -> None:
        payload = {
            "format": 1,
            "model_id": self.model_id,
            "convex_alpha": self.convex_alpha,
            "provenance": self.provenance,
            "adapters": {kind: adapter.to_dict() for kind, adapter in self.adapters.items()},
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> RelevanceCalibration:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            model_id=str(data["model_id"]),
            convex_alpha=float(data["convex_alpha"]),
            provenance=str(data.get("provenance", "")),
            adapters={
                kind: CosineAdapter.from_dict(item) for kind, item in data["adapters"].items()
            },
        )


BUNDLED_CALIBRATION = Path(__file__).resolve().parent / "calibration_data" / "relevance.json"


def bundled_calibration(model_id: str) -> RelevanceCalibration | None:
    """The calibration shipped with likewise, if it was fit for this embedding model."""
    if not BUNDLED_CALIBRATION.is_file():
        return None
    calibration = RelevanceCalibration.load(BUNDLED_CALIBRATION)
    return calibration if calibration.model_id == model_id else None
