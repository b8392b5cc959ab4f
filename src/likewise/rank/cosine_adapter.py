"""The Cosine Adapter: raw retrieval scores to calibrated relevance probabilities.

Rossi et al., "Relevance Filtering for Embedding-based Retrieval", CIKM 2024: a query-dependent
monotone mapping of the raw similarity s, p(relevant | q, d) = sigmoid(a(q) * s + b(q)), whose
parameters come from the query (a linear model of query features: the query embedding, the
absolute dense cosines of its best candidates, its top raw scores; a(q) = exp(.) > 0 so the
mapping is increasing), fit with binary cross-entropy on judged (query, retrieved document)
pairs; then one global threshold. An extension here adds pair features (the candidate's BM25
score and the query's length in words) to the logit, and a per-length-bucket Platt map of the
logit (Platt, "Probabilistic Outputs for Support Vector Machines", 1999) with a term for the
share of the query's terms the candidate holds (rank/term_coverage.py); fitting lives in
cosine_adapter_fit.py and evaluate/cutoff_choice.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
# "scores": the method's own raw scores, which fusion may normalise per query (relative);
# "dense": the candidates' raw cosines to the query, comparable across queries (absolute);
# "embedding": the query vector itself.
# "length": the query's length in words (log), which tells a typed topic from a pasted abstract.
FEATURE_SETS = (
    "scores",
    "dense",
    "dense+scores",
    "embedding",
    "embedding+scores",
    "embedding+dense",
    "embedding+dense+scores",
    "embedding+length",
)
# Pair features beside the slope-scaled score: "bm25" adds the candidate's log BM25 score and
# its product with the query's log length, and the score's own product with that length.
PAIR_SETS = ("", "bm25")
# What the slope multiplies: the method's raw score, or the candidate's own dense cosine, which
# does not depend on the other candidates (so it means the same in any catalog size).
SCORE_SOURCES = ("method", "cosine")
_TOP = 10


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


def length_feature(words: int) -> float:
    """The query's length as a feature: log words, at least one."""
    return float(np.log(max(int(words), 1)))


def query_words(text: str) -> int:
    """How many words a query has, as the length feature counts them."""
    return len(text.split())


def length_bucket(edges: tuple[int, ...], words: int) -> int:
    """Which length bucket a query falls in: the first edge its word count does not exceed."""
    return int(np.searchsorted(np.asarray(edges), max(int(words), 1), side="left"))


def pair_features(
    pair_set: str, scores: npt.ArrayLike, lexical_scores: npt.ArrayLike, words: int
) -> FloatArray:
    """The raw pair features of each candidate (one row each; no columns for "")."""
    values = np.asarray(scores, dtype=np.float64).ravel()
    if pair_set == "":
        return np.zeros((values.size, 0))
    if pair_set != "bm25":
        raise ValueError(f"unknown pair feature set {pair_set!r}; choose one of {PAIR_SETS}")
    length = length_feature(words)
    lexical = np.log1p(np.maximum(np.asarray(lexical_scores, dtype=np.float64).ravel(), 0.0))
    if lexical.shape != values.shape:
        raise ValueError("give one lexical score per candidate")
    return np.stack([values * length, lexical, lexical * length], axis=1)


@dataclass(frozen=True, slots=True)
class PairInputs:
    """What pair features need, aligned with the scored candidates: each one's dense cosine
    (0 where it has none) and BM25 score (0 where it matched no word), the query's words, and
    the share of the query's terms each one's title or abstract holds (rank/term_coverage.py;
    None where not computed, which an adapter with a coverage term refuses)."""

    cosines: FloatArray
    lexical: FloatArray
    words: int
    coverage: FloatArray | None = None


def needs_dense(feature_set: str) -> bool:
    """Whether the features need the candidates' dense cosines (BM25 alone has none)."""
    return "dense" in feature_set.split("+")


def query_features(
    feature_set: str,
    query_vector: npt.ArrayLike,
    ranked_scores: npt.ArrayLike,
    dense_cosines: npt.ArrayLike = (),
    words: int = 1,
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
    if "length" in names:
        parts.append(np.array([length_feature(words)]))
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
    pairs: PairInputs | None = None  # aligned with scores, for pair features and cosine scores

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
    score_source: str = "method"
    pair_set: str = ""
    pair_mean: FloatArray = field(default_factory=lambda: np.zeros(0))
    pair_scale: FloatArray = field(default_factory=lambda: np.zeros(0))
    pair_weights: FloatArray = field(default_factory=lambda: np.zeros(0))
    # Per query-length bucket (words <= edge[0], <= edge[1], ..., more): logit -> scale * logit
    # + shift, fit afterwards on out-of-fold logits; empty edges: no map.
    map_edges: tuple[int, ...] = ()
    map_scale: FloatArray = field(default_factory=lambda: np.zeros(0))
    map_shift: FloatArray = field(default_factory=lambda: np.zeros(0))
    # Per bucket, the weight of the candidate's term coverage added after the map (empty: none).
    map_coverage: FloatArray = field(default_factory=lambda: np.zeros(0))

    @property
    def needs_coverage(self) -> bool:
        """Whether probabilities need each candidate's term coverage (PairInputs.coverage)."""
        return self.map_coverage.size > 0

    @property
    def needs_pairs(self) -> bool:
        """Whether probabilities need PairInputs (candidate cosines, BM25 scores, words)."""
        return self.score_source == "cosine" or self.pair_set != ""

    def _standardised(
        self,
        query_vector: npt.ArrayLike,
        scores: FloatArray,
        dense_cosines: npt.ArrayLike,
        words: int = 1,
    ) -> FloatArray:
        raw = query_features(self.feature_set, query_vector, scores, dense_cosines, words)
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
        words: int = 1,
    ) -> tuple[float, float]:
        """(a(q), b(q)) for a query whose candidates have these raw scores and dense cosines."""
        values = np.asarray(scores, dtype=np.float64)
        if needs_dense(self.feature_set) and np.asarray(dense_cosines).size == 0:
            if self.score_kind != "dense":
                raise ValueError(
                    f"the {self.score_kind} adapter needs the candidates' dense cosines"
                )
            dense_cosines = values  # a dense ranking's raw scores are its cosines
        features = self._standardised(query_vector, values, dense_cosines, words)
        slope = float(np.exp(np.clip(features @ self.slope_weights + self.slope_bias, -30, 30)))
        offset = float(features @ self.offset_weights + self.offset_bias)
        return slope, offset

    def probabilities(
        self,
        query_vector: npt.ArrayLike,
        scores: npt.ArrayLike,
        dense_cosines: npt.ArrayLike = (),
        pairs: PairInputs | None = None,
    ) -> FloatArray:
        """Calibrated relevance probability of each candidate (same order as scores); the
        candidates' dense cosines (any order) are needed when the features use them, and
        `pairs` (aligned with scores) when the adapter has pair features or scores cosines."""
        return _sigmoid(self.logits(query_vector, scores, dense_cosines, pairs))

    def logits(
        self,
        query_vector: npt.ArrayLike,
        scores: npt.ArrayLike,
        dense_cosines: npt.ArrayLike = (),
        pairs: PairInputs | None = None,
    ) -> FloatArray:
        """The log-odds behind `probabilities` (after the length map, if any)."""
        values = np.asarray(scores, dtype=np.float64)
        if values.size == 0:
            return np.zeros(0)
        if not self.needs_pairs:
            slope, offset = self.parameters(query_vector, values, dense_cosines)
            plain: FloatArray = slope * values + offset
            return plain
        if pairs is None or pairs.cosines.size != values.size:
            raise ValueError("this adapter needs each candidate's cosine and BM25 score")
        scored = pairs.cosines if self.score_source == "cosine" else values
        slope, offset = self.parameters(query_vector, values, dense_cosines, pairs.words)
        logits = slope * scored + offset
        if self.pair_set:
            raw = pair_features(self.pair_set, scored, pairs.lexical, pairs.words)
            logits = logits + ((raw - self.pair_mean) / self.pair_scale) @ self.pair_weights
        if self.map_edges:
            bucket = length_bucket(self.map_edges, pairs.words)
            logits = self.map_scale[bucket] * logits + self.map_shift[bucket]
            if self.needs_coverage:
                if pairs.coverage is None or pairs.coverage.size != values.size:
                    raise ValueError("this adapter needs each candidate's term coverage")
                logits = logits + self.map_coverage[bucket] * pairs.coverage
        result: FloatArray = logits
        return result

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
            "score_source": self.score_source,
            "pair_set": self.pair_set,
            "pair_mean": self.pair_mean.tolist(),
            "pair_scale": self.pair_scale.tolist(),
            "pair_weights": self.pair_weights.tolist(),
            "map_edges": list(self.map_edges),
            "map_scale": self.map_scale.tolist(),
            "map_shift": self.map_shift.tolist(),
            "map_coverage": self.map_coverage.tolist(),
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
            score_source=str(data.get("score_source", "method")),
            pair_set=str(data.get("pair_set", "")),
            pair_mean=np.asarray(data.get("pair_mean", []), dtype=np.float64),
            pair_scale=np.asarray(data.get("pair_scale", []), dtype=np.float64),
            pair_weights=np.asarray(data.get("pair_weights", []), dtype=np.float64),
            map_edges=tuple(int(edge) for edge in data.get("map_edges", [])),
            map_scale=np.asarray(data.get("map_scale", []), dtype=np.float64),
            map_shift=np.asarray(data.get("map_shift", []), dtype=np.float64),
            map_coverage=np.asarray(data.get("map_coverage", []), dtype=np.float64),
        )


def _sigmoid(values: FloatArray) -> FloatArray:
    result: FloatArray = 1.0 / (1.0 + np.exp(-np.clip(values, -40.0, 40.0)))
    return result


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
