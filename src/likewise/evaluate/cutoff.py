"""Fitting the search calibration on training queries only: the convex fusion weight (SciFact)
and one Cosine Adapter per search method over several judged sources, plus precision/recall of
the global cut-off on each source's held-out queries. The adapters are the method of Rossi et
al., CIKM 2024 (rank/cosine_adapter.py); the CS sources are built in cutoff_sources.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from likewise.evaluate.collections import RetrievalCollection
from likewise.evaluate.cutoff_choice import choose_and_fit_adapter
from likewise.evaluate.length_map import LENGTH_EDGES
from likewise.evaluate.runs import (
    RUN_DEPTH,
    doc_id_of,
    mean_scores,
    paper_id,
    per_query_scores,
)
from likewise.library import Library
from likewise.rank.cosine_adapter import (
    JudgedQuery,
    PairInputs,
    RelevanceCalibration,
    query_words,
)
from likewise.rank.query import QueryError, validate_query
from likewise.rank.retrieval import retrieve_candidates
from likewise.rank.search import METHODS, SearchPlan, fuse_candidates, short_query_ceiling
from likewise.rank.term_coverage import candidate_coverage

# The methods whose adapter gets the per-query-length map (the fused ones, shown by default).
MAPPED_METHODS = ("convex", "rrf")

JUDGED_DEPTH = 20  # candidates per query the cut-off is fit and judged on (what people see)
ALPHAS = tuple(round(step * 0.1, 1) for step in range(11))
_RRF_K = SearchPlan(method="rrf").rrf_k


@dataclass(frozen=True, slots=True)
class Retrieved:
    """One query's candidates from both retrievers, as the search pipeline sees them, and what
    is known about them: `relevant` catalog ids; `non_relevant` ids, or None when every other
    candidate counts as non-relevant (complete judgments); candidates in neither set are left
    out of the loss (weak labels)."""

    query_id: str
    vector: npt.NDArray[np.float32]
    dense: dict[str, float]
    lexical: dict[str, float]
    relevant: frozenset[str] = frozenset()
    non_relevant: frozenset[str] | None = None
    words: int = 1  # the query's length in words
    lexical_ceiling: float | None = None  # BM25's upper bound for the query (rank/bm25.py)
    # Each candidate's share of the query's terms (rank/term_coverage.py); empty in caches
    # collected before it existed.
    coverage: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class JudgedSource:
    """One source of judged queries, split by query into a fit part and a held-out part."""

    name: str
    fit: list[Retrieved]
    heldout: list[Retrieved]
    weight: float = 1.0  # loss weight of each of its queries
    description: str = ""
    relevant_total: dict[str, int] = field(default_factory=dict)  # per query, when known


def retrieve_one(
    library: Library,
    query_id: str,
    text: str,
    relevant: frozenset[str] = frozenset(),
    non_relevant: frozenset[str] | None = None,
    exclude: str | None = None,
) -> Retrieved | None:
    """Retrieve a query (top 100 of each side) as SearchService.search would; `exclude` drops one
    catalog paper (the query paper of a query by example). None when the text is unusable."""
    try:
        clean = validate_query(text)
    except QueryError:
        return None
    found = retrieve_candidates(
        clean,
        "convex",
        RUN_DEPTH,
        store=library.store,
        index=library.vectors.vector_index(),
        embedder=library.embedding.get(),
    )
    names = found.arxiv_ids(list(found.dense.keys() | found.lexical.keys()), library.store)
    vector = found.query_vector
    dense = {names[key]: value for key, value in found.dense.items() if key in names}
    lexical = {names[key]: value for key, value in found.lexical.items() if key in names}
    if exclude is not None:
        dense.pop(exclude, None)
        lexical.pop(exclude, None)
    keys = [key for key in names if names[key] in dense or names[key] in lexical]
    shares = candidate_coverage(clean, keys, found, library.store, library.lexical.lexical_index)
    coverage = {names[key]: float(share) for key, share in zip(keys, shares, strict=True)}
    return Retrieved(
        query_id,
        vector,
        dense,
        lexical,
        relevant,
        non_relevant,
        words=query_words(clean),
        lexical_ceiling=found.lexical_ceiling,
        coverage=coverage,
    )


def retrieve_all(library: Library, collection: RetrievalCollection) -> list[Retrieved]:
    """Retrieve every query of a fully judged collection (anything unjudged is non-relevant);
    each fusion is then computed from these candidates without searching again."""
    retrieved = []
    for query_id, text in collection.queries.items():
        judged = collection.qrels.get(query_id, {})
        relevant = frozenset(paper_id(doc) for doc, grade in judged.items() if grade > 0)
        found = retrieve_one(library, query_id, text, relevant)
        if found is not None:
            retrieved.append(found)
    return retrieved


def _ranked(query: Retrieved, method: str, alpha: float) -> list[tuple[str, float]]:
    """The fusion as search ranks it, BM25's upper bound included for short queries."""
    ceiling = short_query_ceiling(query.words, query.lexical_ceiling)
    return fuse_candidates(method, query.dense, query.lexical, alpha, _RRF_K, ceiling)


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
    retrieved: Sequence[Retrieved], method: str, alpha: float, weight: float = 1.0
) -> list[JudgedQuery]:
    """Each query's top JUDGED_DEPTH raw scores with their labels (and which are labelled)."""
    judged = []
    for query in retrieved:
        top = _ranked(query, method, alpha)[:JUDGED_DEPTH]
        scores = np.array([score for _, score in top], dtype=np.float64)
        labels = np.array([doc in query.relevant for doc, _ in top], dtype=bool)
        labelled = None
        if query.non_relevant is not None:
            excluded = query.non_relevant
            labelled = np.array([doc in query.relevant or doc in excluded for doc, _ in top])
        cosines = np.fromiter(query.dense.values(), dtype=np.float64, count=len(query.dense))
        vector = query.vector.astype(np.float64)
        pairs = PairInputs(
            np.array([query.dense.get(doc, 0.0) for doc, _ in top], dtype=np.float64),
            np.array([query.lexical.get(doc, 0.0) for doc, _ in top], dtype=np.float64),
            query.words,
            np.array([query.coverage[doc] for doc, _ in top]) if query.coverage else None,
        )
        judged.append(JudgedQuery(vector, scores, labels, cosines, labelled, weight, pairs))
    return judged


def _with_folds(
    sources: Sequence[JudgedSource], method: str, alpha: float
) -> tuple[list[JudgedQuery], list[int], list[str]]:
    """Every source's fit queries, their CV folds (alternate queries within each source, so
    that both folds hold half of every source) and their source's name."""
    merged: list[JudgedQuery] = []
    folds: list[int] = []
    groups: list[str] = []
    for source in sources:
        judged = judged_queries(source.fit, method, alpha, source.weight)
        merged.extend(judged)
        folds.extend(position % 2 for position in range(len(judged)))
        groups.extend(source.name for _ in judged)
    return merged, folds, groups


def fit_from_sources(
    sources: Sequence[JudgedSource],
    alpha: float,
    model_id: str,
    alpha_note: str,
    fitted_by: str = "likewise eval --fit-calibration",
    length_map: bool = False,
    coverage: bool = False,
) -> tuple[RelevanceCalibration, list[str]]:
    """One Cosine Adapter per search method over the fit parts of all sources; `length_map`
    adds the per-query-length Platt map to the fused methods' adapters, with its term
    coverage weights when `coverage`."""
    notes = [alpha_note]
    adapters = {}
    for method in METHODS:
        judged, folds, groups = _with_folds(sources, method, alpha)
        adapter, note = choose_and_fit_adapter(
            judged,
            model_id=model_id,
            score_kind=method,
            fold_of=folds,
            group_of=groups,
            length_map=LENGTH_EDGES if method in MAPPED_METHODS and length_map else (),
            coverage=coverage,
        )
        adapters[method] = adapter
        notes.append(f"{method}: {note}")
    parts = "; ".join(
        f"{s.name}: {len(s.fit)} fit / {len(s.heldout)} held-out queries, weight {s.weight:g}"
        f"{' (' + s.description + ')' if s.description else ''}"
        for s in sources
    )
    provenance = (
        f"fit by `{fitted_by}` on the fit parts only of: {parts}; "
        f"queries embedded by {model_id}; " + "; ".join(notes)
    )
    return RelevanceCalibration(model_id, alpha, adapters, provenance), notes


def fit_relevance_calibration(
    library: Library, fit: RetrievalCollection, *, vectors_note: str = ""
) -> tuple[RelevanceCalibration, list[str]]:
    """Tune the convex weight and fit the adapters on one fully judged collection."""
    retrieved = retrieve_all(library, fit)
    alpha, ndcg = tune_convex_alpha(retrieved, fit.qrels)
    source = JudgedSource(fit.name, retrieved, [], description=vectors_note)
    note = f"convex alpha {alpha} (nDCG@10 {ndcg:.4f} on {fit.name})"
    return fit_from_sources([source], alpha, library.embedding.get().model_id, note)


@dataclass(frozen=True, slots=True)
class CutoffReport:
    """How the global threshold behaves on held-out queries (top JUDGED_DEPTH of each)."""

    source: str
    method: str
    threshold: float
    queries: int
    precision: float  # relevant among the labelled hits kept
    recall_shown: float  # kept among the relevant hits the ranking had in its top 20
    recall: float  # kept among all relevant documents known for the queries
    no_match_share: float  # queries left with "no good matches"
    mean_probability: float  # calibration: should be close to observed_rate
    observed_rate: float


def reports_for(
    source: str,
    retrieved: Sequence[Retrieved],
    calibration: RelevanceCalibration,
    thresholds: Sequence[float] = (0.3, 0.5, 0.7),
    methods: Sequence[str] = METHODS,
) -> list[CutoffReport]:
    """The cut-off's precision/recall on these (held-out) queries, per method and threshold."""
    reports: list[CutoffReport] = []
    if not retrieved:
        return reports
    total_relevant = sum(len(query.relevant) for query in retrieved)
    for method in methods:
        adapter = calibration.adapter_for(method)
        if adapter is None:
            continue
        judged = judged_queries(retrieved, method, calibration.convex_alpha)
        probabilities = [
            adapter.probabilities(q.query_vector, q.scores, q.dense_cosines, q.pairs)
            for q in judged
        ]
        masks = [q.label_mask() for q in judged]
        labelled_p = np.concatenate([p[m] for p, m in zip(probabilities, masks, strict=True)])
        labelled_y = np.concatenate([q.relevant[m] for q, m in zip(judged, masks, strict=True)])
        for threshold in thresholds:
            kept = labelled_p >= threshold
            true_positive = int(np.count_nonzero(kept & labelled_y))
            empty = sum(1 for p in probabilities if not np.any(p >= threshold))
            reports.append(
                CutoffReport(
                    source,
                    method,
                    threshold,
                    len(judged),
                    true_positive / max(int(kept.sum()), 1),
                    true_positive / max(int(labelled_y.sum()), 1),
                    true_positive / max(total_relevant, 1),
                    empty / len(judged),
                    float(labelled_p.mean()) if labelled_p.size else 0.0,
                    float(labelled_y.mean()) if labelled_y.size else 0.0,
                )
            )
    return reports


def cutoff_reports(
    library: Library,
    heldout: RetrievalCollection,
    calibration: RelevanceCalibration,
    thresholds: Sequence[float] = (0.3, 0.5, 0.7),
) -> list[CutoffReport]:
    """The cut-off on a fully judged held-out collection."""
    return reports_for(heldout.name, retrieve_all(library, heldout), calibration, thresholds)
