"""The Cosine Adapter: raw retrieval scores to calibrated relevance probabilities.

Rossi et al., "Relevance Filtering for Embedding-based Retrieval", CIKM 2024: a query-dependent
monotone mapping of the raw similarity s, p(relevant | q, d) = sigmoid(a(q) * s + b(q)), whose
parameters come from the query (a linear model of query features: the query embedding, the
absolute dense cosines of its best candidates, its top raw scores; a(q) = exp(.) > 0 so the
mapping is increasing), fit with binary cross-entropy on judged (query, retrieved document)
pairs; then one global threshold.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
# "scores": the method's own raw scores, which fusion may normalise per query (relative);
# "dense": the candidates' raw cosines to the query, comparable across queries (absolute);
# "embedding": the query vector itself.
FEATURE_SETS = (
    "scores",
    "dense",
    "dense+scores",
    "embedding",
    "embedding+scores",
    "embedding+dense",
    "embedding+dense+scores",
)
_TOP = 10
SCALAR_PENALTY = 0.01  # L2 share of the scalar (dense, score) features against embedding dims


def score_features(ranked_scores: npt.ArrayLike) -> FloatArray:
    """How confident the query's retrieval looks: top-1 score and mean of the top 10."""
    scores = np.sort(np.asarray(ranked_scores, dtype=np.float64))[::-1]
    if scores.size == 0:
        return np.zeros(2)
    return np.array([scores[0], float(np.mean(scores[:_TOP]))])


def dense_features(dense_cosines: npt.ArrayLike) -> FloatArray:
    """How close the catalog comes to the query in absolute terms: the best cosine and the mean
    of the 10 best (raw cosines, so comparable across queries, unlike fused scores)."""
    cosines = np.sort(np.asarray(dense_cosines, dtype=np.float64).ravel())[::-1]
    if cosines.size == 0:
        return np.zeros(2)
    return np.array([cosines[0], float(np.mean(cosines[:_TOP]))])


def needs_dense(feature_set: str) -> bool:
    """Whether the features need the candidates' dense cosines (BM25 alone has none)."""
    return "dense" in feature_set.split("+")


def query_features(
    feature_set: str,
    query_vector: npt.ArrayLike,
    ranked_scores: npt.ArrayLike,
    dense_cosines: npt.ArrayLike = (),
) -> FloatArray:
    """The raw (unstandardised) features a(q) and b(q) are computed from."""
    if feature_set not in FEATURE_SETS:
        raise ValueError(f"unknown feature set {feature_set!r}; choose one of {FEATURE_SETS}")
    parts: list[FloatArray] = []
    names = feature_set.split("+")
    if "embedding" in names:
        parts.append(np.asarray(query_vector, dtype=np.float64).ravel())
    if "dense" in names:
        parts.append(dense_features(dense_cosines))
    if "scores" in names:
        parts.append(score_features(ranked_scores))
    return np.concatenate(parts)


@dataclass(frozen=True)
class JudgedQuery:
    """Training material for one query: its vector and its retrieved candidates with labels.

    Features use every candidate's score; the loss uses only the labelled ones (weak labels
    leave ambiguous candidates out). `weight` scales the query's pairs in the loss.
    """

    query_vector: FloatArray
    scores: FloatArray  # raw scores of the retrieved candidates, best first
    relevant: BoolArray  # aligned with scores
    dense_cosines: FloatArray = field(default_factory=lambda: np.zeros(0))
    labelled: BoolArray | None = None  # aligned with scores; None: every candidate is labelled
    weight: float = 1.0

    def label_mask(self) -> BoolArray:
        if self.labelled is None:
            return np.ones(self.scores.size, dtype=bool)
        return self.labelled


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

    def _standardised(
        self, query_vector: npt.ArrayLike, scores: FloatArray, dense_cosines: npt.ArrayLike
    ) -> FloatArray:
        raw = query_features(self.feature_set, query_vector, scores, dense_cosines)
        if raw.shape != self.feature_mean.shape:
            raise ValueError(
                f"the adapter expects {self.feature_mean.size} features, got {raw.size} "
                f"(was it fit for another embedder than {self.model_id}?)"
            )
        standardised: FloatArray = (raw - self.feature_mean) / self.feature_scale
        return standardised

    def parameters(
        self,
        query_vector: npt.ArrayLike,
        scores: npt.ArrayLike,
        dense_cosines: npt.ArrayLike = (),
    ) -> tuple[float, float]:
        """(a(q), b(q)) for a query whose candidates have these raw scores and dense cosines."""
        values = np.asarray(scores, dtype=np.float64)
        if needs_dense(self.feature_set) and np.asarray(dense_cosines).size == 0:
            if self.score_kind != "dense":
                raise ValueError(
                    f"the {self.score_kind} adapter needs the candidates' dense cosines"
                )
            dense_cosines = values  # a dense ranking's raw scores are its cosines
        features = self._standardised(query_vector, values, dense_cosines)
        slope = float(np.exp(np.clip(features @ self.slope_weights + self.slope_bias, -30, 30)))
        offset = float(features @ self.offset_weights + self.offset_bias)
        return slope, offset

    def probabilities(
        self,
        query_vector: npt.ArrayLike,
        scores: npt.ArrayLike,
        dense_cosines: npt.ArrayLike = (),
    ) -> FloatArray:
        """Calibrated relevance probability of each candidate (same order as scores); the
        candidates' dense cosines (any order) are needed when the features use them."""
        values = np.asarray(scores, dtype=np.float64)
        if values.size == 0:
            return np.zeros(0)
        slope, offset = self.parameters(query_vector, values, dense_cosines)
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
    """Fit a(q), b(q) by L2-regularised, query-weighted binary cross-entropy over every
    labelled pair."""
    if feature_set not in FEATURE_SETS:
        raise ValueError(f"unknown feature set {feature_set!r}; choose one of {FEATURE_SETS}")
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
        [query_features(feature_set, q.query_vector, q.scores, q.dense_cosines) for q in kept]
    )
    mean = raw.mean(axis=0)
    scale = raw.std(axis=0)
    scale[scale < 1e-9] = 1.0
    features = (raw - mean) / scale
    counts = np.array([int(mask.sum()) for mask in masks])
    owner = np.repeat(np.arange(len(kept)), counts)
    scores = np.concatenate(
        [query.scores[mask] for query, mask in zip(kept, masks, strict=True)]
    ).astype(np.float64)
    pair_weights = np.repeat(np.array([query.weight for query in kept], dtype=np.float64), counts)
    width = features.shape[1]
    pairs = float(pair_weights.sum())
    # The few scalar features (dense cosines, scores) are shrunk far less than the many
    # embedding dimensions, so that a strong penalty on the 384-d vector does not also erase
    # the absolute cosine level.
    penalty = np.ones(width)
    scalars = width - (np.asarray(judged[0].query_vector).size if "embedding" in feature_set else 0)
    penalty[width - scalars :] = SCALAR_PENALTY

    def loss_and_gradient(theta: FloatArray) -> tuple[float, FloatArray]:
        slope_w, slope_b = theta[:width], theta[width]
        offset_w, offset_b = theta[width + 1 : 2 * width + 1], theta[2 * width + 1]
        slope = np.exp(np.clip(features @ slope_w + slope_b, -30, 30))  # per query
        offset = features @ offset_w + offset_b
        logits = slope[owner] * scores + offset[owner]
        probability = _sigmoid(logits)
        eps = 1e-12
        loss = -np.sum(
            pair_weights
            * (labels * np.log(probability + eps) + (1 - labels) * np.log(1 - probability + eps))
        )
        residual = pair_weights * (probability - labels) / pairs
        # d logit / d slope-exponent = slope * score; summed per query, then chained to weights
        per_query_slope = np.bincount(owner, residual * slope[owner] * scores, len(kept))
        per_query_offset = np.bincount(owner, residual, len(kept))
        gradient = np.concatenate(
            [
                features.T @ per_query_slope + 2 * l2 * penalty * slope_w,
                [per_query_slope.sum()],
                features.T @ per_query_offset + 2 * l2 * penalty * offset_w,
                [per_query_offset.sum()],
            ]
        )
        total = loss / pairs + l2 * float(penalty @ (slope_w * slope_w + offset_w * offset_w))
        return float(total), gradient

    start = np.zeros(2 * width + 2)
    # Start from a query-independent logistic fit's neighbourhood: slope e^1, offset 0.
    start[width] = 1.0
    # One BLAS thread: the optimiser's small matrix products gain nothing from more, and on a
    # busy machine OpenBLAS threads spinning against each other made fits 30x slower.
    with threadpool_limits(limits=1):
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
