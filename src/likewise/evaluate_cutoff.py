"""Fitting the search calibration on training queries only: the convex fusion weight and one
Cosine Adapter per search method, plus precision/recall of the global cut-off on held-out
queries. The adapters are the method of Rossi et al., CIKM 2024 (rank/cosine_adapter.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from likewise.collections import RetrievalCollection
from likewise.evaluate import doc_id_of, mean_scores, per_query_scores, search_run
from likewise.library import Library
from likewise.rank.cosine_adapter import (
    FEATURE_SETS,
    CosineAdapter,
    JudgedQuery,
    RelevanceCalibration,
    fit_cosine_adapter,
)
from likewise.rank.search import METHODS

JUDGED_DEPTH = 20  # candidates per query the cut-off is fit and judged on (what people see)
ALPHAS = tuple(round(step * 0.1, 1) for step in range(11))


def tune_convex_alpha(library: Library, collection: RetrievalCollection) -> tuple[float, float]:
    """(alpha, nDCG@10) of the best convex weight on this collection's queries."""
    best = (0.5, -1.0)
    model_id = library.embedder.model_id
    for alpha in ALPHAS:
        library.use_relevance_calibration(RelevanceCalibration(model_id, alpha, {}))
        run = search_run(library, collection.queries, "convex")
        ndcg = mean_scores(per_query_scores(collection.qrels, run, ["ndcg@10"]))["ndcg@10"]
        if ndcg > best[1]:
            best = (alpha, ndcg)
    return best


def judged_queries(
    library: Library, collection: RetrievalCollection, method: str
) -> list[JudgedQuery]:
    """Each query's top JUDGED_DEPTH raw scores with relevance labels from the qrels."""
    judged = []
    for query_id, text in collection.queries.items():
        result = library.search(text, limit=JUDGED_DEPTH, fusion=method, apply_cutoff=False)
        relevant = collection.qrels.get(query_id, {})
        scores = np.array([hit.components["fused"] for hit in result.hits], dtype=np.float64)
        labels = np.array([relevant.get(doc_id_of(h.arxiv_id), 0) > 0 for h in result.hits])
        vector = library.embedder.embed_query(result.query).astype(np.float64)
        judged.append(JudgedQuery(vector, scores, labels.astype(bool)))
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
                adapter = fit_cosine_adapter(
                    train, model_id=model_id, score_kind=score_kind, feature_set=feature_set, l2=l2
                )
                loss += _log_loss(adapter, test)
            if best is None or loss < best[0]:
                best = (loss, feature_set, l2)
    assert best is not None
    _, feature_set, l2 = best
    adapter = fit_cosine_adapter(
        judged, model_id=model_id, score_kind=score_kind, feature_set=feature_set, l2=l2
    )
    return adapter, f"{feature_set}, l2={l2}, cv log loss {best[0] / 2:.4f}"


def fit_relevance_calibration(
    library: Library, fit: RetrievalCollection, *, vectors_note: str = ""
) -> tuple[RelevanceCalibration, list[str]]:
    """Tune the convex weight, then fit one Cosine Adapter per search method, on `fit` only."""
    model_id = library.embedder.model_id
    alpha, ndcg = tune_convex_alpha(library, fit)
    notes = [f"convex alpha {alpha} (nDCG@10 {ndcg:.4f} on {fit.name})"]
    library.use_relevance_calibration(RelevanceCalibration(model_id, alpha, {}))
    adapters = {}
    for method in METHODS:
        adapter, note = choose_and_fit_adapter(
            judged_queries(library, fit, method), model_id=model_id, score_kind=method
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
    library.use_relevance_calibration(calibration)
    reports = []
    for method in METHODS:
        adapter = calibration.adapter_for(method)
        if adapter is None:
            continue
        judged = judged_queries(library, heldout, method)
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
