"""Fitting the search calibration on training queries only: the convex fusion weight and one
Cosine Adapter per search method, plus precision/recall of the global cut-off on held-out
queries. The adapters are the method of Rossi et al., CIKM 2024 (rank/cosine_adapter.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from likewise.collections import RetrievalCollection
from likewise.evaluate import RUN_DEPTH, EvaluationError, doc_id_of, mean_scores, per_query_scores
from likewise.library import Library
from likewise.rank.cosine_adapter import (
    FEATURE_SETS,
    CosineAdapter,
    JudgedQuery,
    RelevanceCalibration,
    fit_cosine_adapter,
)
from likewise.rank.query import QueryError, validate_query
from likewise.rank.search import METHODS, SearchPlan, fuse_candidates, retrieve_candidates

JUDGED_DEPTH = 20  # candidates per query the cut-off is fit and judged on (what people see)
ALPHAS = tuple(round(step * 0.1, 1) for step in range(11))
_RRF_K = SearchPlan(method="rrf").rrf_k


@dataclass(frozen=True, slots=True)
class Retrieved:
    """One query's candidates from both retrievers, as the search pipeline sees them."""

    query_id: str
    vector: npt.NDArray[np.float32]
    dense: dict[str, float]
    lexical: dict[str, float]


def retrieve_all(library: Library, collection: RetrievalCollection) -> list[Retrieved]:
    """Retrieve every query once (top 100 of each side); each fusion is then computed from
    these candidates exactly as Library.search would, without searching again."""
    index = library.vector_index()
    retrieved = []
    for query_id, text in collection.queries.items():
        try:
            clean = validate_query(text)
        except QueryError:
            continue
        vector, dense, lexical = retrieve_candidates(
            clean, "convex", RUN_DEPTH, store=library.store, index=index, embedder=library.embedder
        )
        retrieved.append(Retrieved(query_id, vector, dense, lexical))
    return retrieved


def _ranked(query: Retrieved, method: str, alpha: float) -> list[tuple[str, float]]:
    return fuse_candidates(method, query.dense, query.lexical, alpha, _RRF_K)


def tune_convex_alpha(
    retrieved: Sequence[Retrieved], qrels: Mapping[str, Mapping[str, int]]
) -> tuple[float, float]:
    """(alpha, nDCG@10) of the best convex weight over these queries."""
    best = (0.5, -1.0)
    for alpha in ALPHAS:
        run = {}
        for query in retrieved:
            top = _ranked(query, "convex", alpha)[:RUN_DEPTH]
            run[query.query_id] = {
                doc_id_of(d): float(len(top) - i) for i, (d, _) in enumerate(top)
            }
        ndcg = mean_scores(per_query_scores(qrels, run, ["ndcg@10"]))["ndcg@10"]
        if ndcg > best[1]:
            best = (alpha, ndcg)
    return best


def judged_queries(
    retrieved: Sequence[Retrieved],
    qrels: Mapping[str, Mapping[str, int]],
    method: str,
    alpha: float,
) -> list[JudgedQuery]:
    """Each query's top JUDGED_DEPTH raw scores with relevance labels from the qrels."""
    judged = []
    for query in retrieved:
        top = _ranked(query, method, alpha)[:JUDGED_DEPTH]
        relevant = qrels.get(query.query_id, {})
        scores = np.array([score for _, score in top], dtype=np.float64)
        labels = np.array([relevant.get(doc_id_of(d), 0) > 0 for d, _ in top], dtype=bool)
        judged.append(JudgedQuery(query.vector.astype(np.float64), scores, labels))
    return judged


def _log_loss(adapter: CosineAdapter, judged: Sequence[JudgedQuery]) -> float:
    total, count = 0.0, 0
    for query in judged:
        if not query.scores.size:
            continue
        p = np.clip(adapter.probabilities(query.query_vector, query.scores), 1e-9, 1 - 1e-9)
        total -= float(np.sum(np.where(query.relevant, np.log(p), np.log(1 - p))))
        count += query.scores.size
    return total / max(count, 1)


def choose_and_fit_adapter(
    judged: Sequence[JudgedQuery], *, model_id: str, score_kind: str
) -> tuple[CosineAdapter, str]:
    """Pick feature set and L2 strength by 2-fold cross-validated log loss, then fit on all."""
    folds = (judged[0::2], judged[1::2])
    best: tuple[float, str, float] | None = None
    for feature_set in FEATURE_SETS:
        for l2 in (1e-3, 1e-2, 1e-1):
            loss = 0.0
            for train, test in ((folds[0], folds[1]), (folds[1], folds[0])):
                try:
                    adapter = fit_cosine_adapter(
                        train,
                        model_id=model_id,
                        score_kind=score_kind,
                        feature_set=feature_set,
                        l2=l2,
                    )
                except ValueError:  # a fold with one class only cannot be fit
                    loss = float("inf")
                    break
                loss += _log_loss(adapter, test)
            if best is None or loss < best[0]:
                best = (loss, feature_set, l2)
    assert best is not None
    _, feature_set, l2 = best
    try:
        adapter = fit_cosine_adapter(
            judged, model_id=model_id, score_kind=score_kind, feature_set=feature_set, l2=l2
        )
    except ValueError as error:
        raise EvaluationError(f"cannot fit the {score_kind} cut-off: {error}") from error
    return adapter, f"{feature_set}, l2={l2}, cv log loss {best[0] / 2:.4f}"


def fit_relevance_calibration(
    library: Library, fit: RetrievalCollection, *, vectors_note: str = ""
) -> tuple[RelevanceCalibration, list[str]]:
    """Tune the convex weight, then fit one Cosine Adapter per search method, on `fit` only."""
    model_id = library.embedder.model_id
    retrieved = retrieve_all(library, fit)
    alpha, ndcg = tune_convex_alpha(retrieved, fit.qrels)
    notes = [f"convex alpha {alpha} (nDCG@10 {ndcg:.4f} on {fit.name})"]
    adapters = {}
    for method in METHODS:
        adapter, note = choose_and_fit_adapter(
            judged_queries(retrieved, fit.qrels, method, alpha),
            model_id=model_id,
            score_kind=method,
        )
        adapters[method] = adapter
        notes.append(f"{method}: {note}")
    provenance = (
        f"fit by `likewise eval --fit-calibration` on the {len(fit.queries)} SciFact training "
        f"claims of {fit.name} only; queries embedded by {model_id}; {vectors_note}; "
        + "; ".join(notes)
    )
    return RelevanceCalibration(model_id, alpha, adapters, provenance), notes


@dataclass(frozen=True, slots=True)
class CutoffReport:
    """How the global threshold behaves on held-out queries (top JUDGED_DEPTH of each)."""

    method: str
    threshold: float
    precision: float  # relevant among the hits kept
    recall_shown: float  # kept among the relevant hits the ranking had in its top 20
    recall: float  # kept among all relevant documents
    no_match_share: float  # queries left with "no good matches"
    mean_probability: float  # calibration: should be close to observed_rate
    observed_rate: float


def cutoff_reports(
    library: Library,
    heldout: RetrievalCollection,
    calibration: RelevanceCalibration,
    thresholds: Sequence[float] = (0.3, 0.5, 0.7),
) -> list[CutoffReport]:
    retrieved = retrieve_all(library, heldout)
    reports = []
    for method in METHODS:
        adapter = calibration.adapter_for(method)
        if adapter is None:
            continue
        judged = judged_queries(retrieved, heldout.qrels, method, calibration.convex_alpha)
        probabilities = [adapter.probabilities(q.query_vector, q.scores) for q in judged]
        all_p = np.concatenate(probabilities)
        all_y = np.concatenate([q.relevant for q in judged])
        total_relevant = sum(
            sum(1 for r in heldout.qrels[q].values() if r > 0) for q in heldout.queries
        )
        for threshold in thresholds:
            kept = all_p >= threshold
            true_positive = int(np.count_nonzero(kept & all_y))
            empty = sum(1 for p in probabilities if not np.any(p >= threshold))
            reports.append(
                CutoffReport(
                    method,
                    threshold,
                    true_positive / max(int(kept.sum()), 1),
                    true_positive / max(int(all_y.sum()), 1),
                    true_positive / max(total_relevant, 1),
                    empty / max(len(judged), 1),
                    float(all_p.mean()),
                    float(all_y.mean()),
                )
            )
    return reports
