"""Hybrid search: BM25 and dense retrieval, fused (RRF or convex), calibrated, then cut off.

The pipeline works on the store, index and embedder protocols only; Library supplies them.
Scores shown to people are Cosine Adapter probabilities (rank/cosine_adapter.py); hits below
the global threshold are dropped, and an empty result says "no good matches".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from likewise.embed.base import Embedder
from likewise.index.base import VectorIndex
from likewise.models import Hit, SearchFilters
from likewise.rank.cosine_adapter import (
    CosineAdapter,
    PairInputs,
    RelevanceCalibration,
    needs_dense,
    query_words,
)
from likewise.rank.fusion_convex import Doc, dense_lexical_fusion
from likewise.rank.fusion_rrf import reciprocal_rank_fusion
from likewise.rank.lexical import LexicalSource
from likewise.rank.query import QueryError, arxiv_id_in, validate_query
from likewise.rank.retrieval import Candidates, StageClock, retrieve_candidates
from likewise.rank.term_coverage import candidate_coverage
from likewise.store.base import CatalogStore

METHODS = ("bm25", "dense", "rrf", "convex")
DEFAULT_ALPHA = 0.5  # convex weight on the dense side when no calibration was fit for the model
MIN_DEPTH = 100  # candidates each retriever contributes; Recall@100 needs at least 100
MAX_LIMIT = 1_000
# Papers of the best lexical candidates read ahead beyond the page (rank/retrieval.py): the
# lexical top 30 hold about 80% of a first page's hits on the arXiv catalog.
PREFETCH_EXTRA = 20
# Convex fusion scales BM25 by its upper bound for the query, not by the best paper's score,
# for queries of at most this many words (the `bm25_bound_words` setting; docs/search.md).
BM25_BOUND_WORDS = 7


@dataclass(slots=True)
class SearchResult:
    """One page of hits (best first) and what a reader should know about them."""

    query: str
    method: str
    hits: list[Hit]
    total: int  # hits that passed the relevance cut-off (all candidates when it is off)
    no_good_matches: bool = False
    notice: str | None = None
    calibrated: bool = True  # scores are relevance probabilities
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    # What the ranking had to do without (papers not embedded yet), for readers to see.
    coverage_notice: str | None = None
    query_vector: npt.NDArray[np.float32] | None = None  # for "why it matched" (rank/evidence)


@dataclass(frozen=True, slots=True)
class SearchPlan:
    """How to run one search; built by Library from the settings and the request."""

    method: str
    limit: int = 10
    offset: int = 0
    filters: SearchFilters = SearchFilters()
    threshold: float = 0.5
    apply_cutoff: bool = True
    depth: int = MIN_DEPTH
    rrf_k: int = 60
    bm25_bound_words: int = BM25_BOUND_WORDS  # 0: always the best paper's score


def _check_plan(plan: SearchPlan) -> None:
    if plan.method not in METHODS:
        raise QueryError(f"unknown fusion {plan.method!r}; choose one of {', '.join(METHODS)}")
    if not 1 <= plan.limit <= MAX_LIMIT:
        raise QueryError(f"the limit must be between 1 and {MAX_LIMIT}, not {plan.limit}")
    if plan.offset < 0:
        raise QueryError(f"the offset cannot be negative ({plan.offset})")


def hybrid_search(
    query: str,
    plan: SearchPlan,
    *,
    store: CatalogStore,
    index: VectorIndex,
    embedder: Embedder,
    calibration: RelevanceCalibration | None,
    lexical_index: LexicalSource | None = None,
) -> SearchResult:
    """Run one search; raises QueryError (a clear message) for unusable input. BM25 runs
    over `lexical_index` when given (the store's full-text search handles quoted phrases
    and arXiv ids, and everything when no index is given)."""
    text = validate_query(query)
    _check_plan(plan)
    clock = StageClock()
    allowed: npt.NDArray[np.int64] | None = None
    if not plan.filters.is_empty:
        allowed = clock.run("filter", lambda: store.keys_matching(plan.filters))
        if allowed.size == 0:
            return SearchResult(
                text,
                plan.method,
                [],
                0,
                True,
                "no papers in the catalog match the filters",
                timings=clock.timings,
            )
    exact = _exact_id_hit(text, store, allowed)
    if exact is not None:
        return SearchResult(text, plan.method, [exact], 1, timings=clock.timings)

    matched = calibration is not None and calibration.model_id == embedder.model_id
    alpha = calibration.convex_alpha if calibration is not None and matched else DEFAULT_ALPHA
    page_end = plan.offset + plan.limit
    depth = max(plan.depth, page_end)
    filters = None if plan.filters.is_empty else plan.filters
    found = retrieve_candidates(
        text,
        plan.method,
        depth,
        store=store,
        index=index,
        embedder=embedder,
        allowed=allowed,
        filters=filters,
        timings=clock.timings,
        lexical_index=lexical_index,
        # The lexical ranks around the page (a deep page does not need the first ones).
        prefetch=range(max(0, plan.offset - PREFETCH_EXTRA), page_end + PREFETCH_EXTRA),
    )
    query_vector, dense, lexical = found.query_vector, found.dense, found.lexical
    ceiling = short_query_ceiling(query_words(text), found.lexical_ceiling, plan.bm25_bound_words)
    ranked = clock.run(
        "fusion", lambda: fuse_candidates(plan.method, dense, lexical, alpha, plan.rrf_k, ceiling)
    )
    raw = np.array([score for _, score in ranked], dtype=np.float64)
    adapter = calibration.adapter_for(plan.method) if calibration is not None and matched else None
    notice: str | None = None
    uses_cosines = adapter is not None and (adapter.needs_pairs or needs_dense(adapter.feature_set))
    if adapter is not None and uses_cosines and not dense and ranked:
        # No candidate has a vector (nothing embedded yet): its features cannot be computed,
        # so the raw scores are shown as what they are, never as probabilities.
        adapter = None
        notice = "no candidate has a vector yet, so the scores are not relevance probabilities"
    if adapter is not None:
        shown = clock.run(
            "calibrate",
            lambda: _probabilities(adapter, text, ranked, found, store, lexical_index),
        )
    else:
        shown = raw
        if notice is None:
            notice = (
                "relevance scores are not calibrated for the embedding model "
                f"{embedder.model_id}; showing raw scores without a cut-off"
            )
    retrieved_any = bool(ranked)
    best = float(shown.max()) if shown.size else 0.0
    if adapter is not None and plan.apply_cutoff:
        # Pair features judge each candidate on its own evidence, so the survivors need not
        # be a prefix of the ranking: keep them in ranking order.
        passing = shown >= plan.threshold
        ranked = [item for item, passed in zip(ranked, passing, strict=True) if passed]
        shown = shown[passing]
    keep = len(ranked)
    no_good = adapter is not None and plan.apply_cutoff and keep == 0 and retrieved_any
    if not retrieved_any:
        notice = "no papers matched the query"
    elif no_good:
        notice = (
            f"no good matches: the best candidate's relevance probability is {best:.2f}, "
            f"below the cut-off of {plan.threshold:.2f}"
        )
    page = clock.run("fetch", lambda: _named_page(ranked, plan, keep, found, store))
    papers = found.papers
    unread = [doc_id for _, doc_id, _ in page if doc_id not in papers]
    if unread:
        papers = {**papers, **clock.run("fetch", lambda: store.get_papers(unread))}
    hits = []
    for position, doc_id, key in page:
        components = {"fused": ranked[position][1]}
        if key in dense:
            components["dense"] = dense[key]
        if key in lexical:
            components["lexical"] = lexical[key]
        hits.append(Hit(doc_id, float(shown[position]), papers.get(doc_id), components))
    return SearchResult(
        text,
        plan.method,
        hits,
        keep,
        no_good,
        notice,
        adapter is not None,
        clock.timings,
        query_vector=query_vector,
    )


def _probabilities(
    adapter: CosineAdapter,
    text: str,
    ranked: list[tuple[int, float]],
    found: Candidates,
    store: CatalogStore,
    lexical_index: LexicalSource | None,
) -> npt.NDArray[np.float64]:
    """Each ranked candidate's relevance probability; a candidate without a vector yet has
    cosine 0 (it has no dense evidence). The store and lexical index are read only for an
    adapter with term coverage weights."""
    dense, lexical = found.dense, found.lexical
    raw = np.array([score for _, score in ranked], dtype=np.float64)
    pairs = None
    if adapter.needs_pairs:
        keys = [key for key, _ in ranked]
        coverage = None
        if adapter.needs_coverage:
            coverage = candidate_coverage(text, keys, found, store, lexical_index)
        pairs = PairInputs(
            np.array([dense.get(key, 0.0) for key in keys], dtype=np.float64),
            np.array([lexical.get(key, 0.0) for key in keys], dtype=np.float64),
            query_words(text),
            coverage,
        )
    return adapter.probabilities(found.query_vector, raw, list(dense.values()), pairs)


def _named_page(
    ranked: list[tuple[int, float]],
    plan: SearchPlan,
    keep: int,
    found: Candidates,
    store: CatalogStore,
) -> list[tuple[int, str, int]]:
    """(position in the ranking, arXiv id, key) of the page's hits. A key without a paper
    (deleted since the vector index was updated) is passed over as if never retrieved, also
    on the pages before this one, so that pages never overlap."""
    named: list[tuple[int, str, int]] = []
    wanted = plan.offset + plan.limit
    start = 0
    while len(named) < wanted and start < keep:
        stop = min(keep, start + wanted - len(named))
        keys = [key for key, _ in ranked[start:stop]]
        names = found.arxiv_ids(keys, store)
        named += [
            (position, names[key], key)
            for position, key in enumerate(keys, start=start)
            if key in names
        ]
        start = stop
    return named[plan.offset :]


def _best_first(scores: dict[Doc, float]) -> list[tuple[Doc, float]]:
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def short_query_ceiling(
    words: int, ceiling: float | None, bound_words: int = BM25_BOUND_WORDS
) -> float | None:
    """The BM25 upper bound convex fusion normalises by: the query's own for a query of at
    most `bound_words` words, None (the best paper's score) for a longer one."""
    return ceiling if words <= bound_words else None


def fuse_candidates(
    method: str,
    dense: dict[Doc, float],
    lexical: dict[Doc, float],
    alpha: float,
    rrf_k: int,
    lexical_ceiling: float | None = None,
) -> list[tuple[Doc, float]]:
    """(id or key, raw score) best first for one method over retrieved candidates (ties go
    to the smaller id or key). Convex fusion normalises BM25 by `lexical_ceiling` (the
    query's BM25 upper bound) when it is given and above the best score."""
    if method == "bm25":
        return _best_first(lexical)
    if method == "dense":
        return _best_first(dense)
    if method == "rrf":
        rankings = {
            "lexical": [doc_id for doc_id, _ in _best_first(lexical)],
            "dense": [doc_id for doc_id, _ in _best_first(dense)],
        }
        return reciprocal_rank_fusion(rankings, k=rrf_k)
    return dense_lexical_fusion(dense, lexical, alpha, lexical_ceiling)


def _exact_id_hit(
    text: str, store: CatalogStore, allowed: npt.NDArray[np.int64] | None
) -> Hit | None:
    """A query that is exactly a stored paper's arXiv id finds that paper, with certainty."""
    arxiv_id = arxiv_id_in(text)
    if arxiv_id is None:
        return None
    paper = store.get_paper(arxiv_id)
    if paper is None:
        return None
    if allowed is not None:
        key = store.paper_keys([arxiv_id]).get(arxiv_id)
        if key is None or not np.isin(key, allowed):
            return None
    return Hit(arxiv_id, 1.0, paper, {"exact_id": 1.0}, reason="arXiv id")
