"""Hybrid search: BM25 and dense retrieval, fused (RRF or convex), calibrated, then cut off.

The pipeline works on the store, index and embedder protocols only; Library supplies them.
Scores shown to people are Cosine Adapter probabilities (rank/cosine_adapter.py); hits below
the global threshold are dropped, and an empty result says "no good matches".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from likewise.embed.base import Embedder
from likewise.index.base import VectorIndex
from likewise.models import Hit, SearchFilters
from likewise.rank.cosine_adapter import RelevanceCalibration
from likewise.rank.fusion_convex import dense_lexical_fusion
from likewise.rank.fusion_rrf import reciprocal_rank_fusion
from likewise.rank.lexical import LexicalCandidates, LexicalSource, lexical_candidates
from likewise.rank.query import QueryError, arxiv_id_in, validate_query
from likewise.store.base import CatalogStore

METHODS = ("bm25", "dense", "rrf", "convex")
DEFAULT_ALPHA = 0.5  # convex weight on the dense side when no calibration was fit for the model
MIN_DEPTH = 100  # candidates each retriever contributes; Recall@100 needs at least 100
MAX_LIMIT = 1_000
_Result = TypeVar("_Result")
# Run BM25 in a worker thread while the query is embedded (bench/search.py --serial-lexical
# measures the alternative).
LEXICAL_IN_PARALLEL = True


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


def _check_plan(plan: SearchPlan) -> None:
    if plan.method not in METHODS:
        raise QueryError(f"unknown fusion {plan.method!r}; choose one of {', '.join(METHODS)}")
    if not 1 <= plan.limit <= MAX_LIMIT:
        raise QueryError(f"the limit must be between 1 and {MAX_LIMIT}, not {plan.limit}")
    if plan.offset < 0:
        raise QueryError(f"the offset cannot be negative ({plan.offset})")


class _Clock:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    def run(self, stage: str, work: Callable[[], _Result]) -> _Result:
        start = time.perf_counter()
        try:
            return work()
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start


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
    clock = _Clock()
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
    depth = max(plan.depth, plan.offset + plan.limit)
    filters = None if plan.filters.is_empty else plan.filters
    query_vector, dense, lexical = retrieve_candidates(
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
    )
    ranked = clock.run(
        "fusion", lambda: fuse_candidates(plan.method, dense, lexical, alpha, plan.rrf_k)
    )
    raw = np.array([score for _, score in ranked], dtype=np.float64)
    adapter = calibration.adapter_for(plan.method) if calibration is not None and matched else None
    notice: str | None = None
    if adapter is not None:
        cosines = list(dense.values())  # absolute query features (the adapter's dense set)
        shown = clock.run("calibrate", lambda: adapter.probabilities(query_vector, raw, cosines))
    else:
        shown = raw
        notice = (
            f"relevance scores are not calibrated for the embedding model {embedder.model_id}; "
            "showing raw scores without a cut-off"
        )
    keep = len(ranked)
    if adapter is not None and plan.apply_cutoff:
        # The mapping is increasing in the raw score, so the survivors are a prefix.
        keep = int(np.count_nonzero(shown >= plan.threshold))
    no_good = adapter is not None and plan.apply_cutoff and keep == 0 and bool(ranked)
    if not ranked:
        notice = "no papers matched the query"
    elif no_good:
        best = float(shown.max()) if shown.size else 0.0
        notice = (
            f"no good matches: the best candidate's relevance probability is {best:.2f}, "
            f"below the cut-off of {plan.threshold:.2f}"
        )
    page = ranked[plan.offset : min(keep, plan.offset + plan.limit)]
    papers = clock.run("fetch", lambda: store.get_papers([doc_id for doc_id, _ in page]))
    hits = []
    for position, (doc_id, fused_score) in enumerate(page, start=plan.offset):
        components = {"fused": fused_score}
        if doc_id in dense:
            components["dense"] = dense[doc_id]
        if doc_id in lexical:
            components["lexical"] = lexical[doc_id]
        hits.append(Hit(doc_id, float(shown[position]), papers.get(doc_id), components))
    return SearchResult(
        text, plan.method, hits, keep, no_good, notice, adapter is not None, clock.timings
    )


def retrieve_candidates(
    text: str,
    method: str,
    depth: int,
    *,
    store: CatalogStore,
    index: VectorIndex,
    embedder: Embedder,
    allowed: npt.NDArray[np.int64] | None = None,
    filters: SearchFilters | None = None,
    timings: dict[str, float] | None = None,
    lexical_index: LexicalSource | None = None,
) -> tuple[npt.NDArray[np.float32], dict[str, float], dict[str, float]]:
    """(query vector, dense cosines, BM25 scores) of the top `depth` of each side the method
    uses; for the hybrids, lexical-only candidates also get their exact cosine."""
    clock = _Clock()
    lexical_future: Future[LexicalCandidates] | None = None
    found: LexicalCandidates | None = None
    if method != "dense" and not LEXICAL_IN_PARALLEL:
        found = clock.run(
            "lexical wait",
            lambda: _timed_lexical(store, text, depth, filters, allowed, lexical_index),
        )
    elif method != "dense":
        # BM25 needs no query vector: it runs in a worker thread while the query is embedded
        # (ONNX Runtime and the database drivers release the GIL).
        lexical_future = _workers().submit(
            _timed_lexical, store, text, depth, filters, allowed, lexical_index
        )
    query_vector = clock.run("embed", lambda: embedder.embed_query(text))
    dense: dict[str, float] = {}
    lexical: dict[str, float] = {}
    keys: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
    similarities: npt.NDArray[np.float32] = np.zeros(0, dtype=np.float32)
    if method != "bm25":
        keys, similarities = clock.run("dense", lambda: index.search(query_vector, depth, allowed))
    if lexical_future is not None:
        found = clock.run("lexical wait", lexical_future.result)
    if found is not None:
        lexical = dict(found.hits)
        clock.timings["lexical"] = found.seconds
    if method != "bm25":
        names = clock.run("dense", lambda: _names_of(keys, store, found))
        dense = {
            names[int(k)]: float(s)
            for k, s in zip(keys, similarities, strict=True)
            if int(k) in names
        }
    if method in ("rrf", "convex"):
        known = found.keys if found is not None else {}
        clock.run(
            "dense",
            lambda: _add_missing_cosines(dense, lexical, query_vector, store, index, known),
        )
    if timings is not None:
        timings.update(clock.timings)
    return query_vector, dense, lexical


def _best_first(scores: dict[str, float]) -> list[tuple[str, float]]:
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def fuse_candidates(
    method: str, dense: dict[str, float], lexical: dict[str, float], alpha: float, rrf_k: int
) -> list[tuple[str, float]]:
    """(id, raw score) best first for one method over retrieved candidates."""
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
    return dense_lexical_fusion(dense, lexical, alpha)


_WORKERS: list[ThreadPoolExecutor] = []


def _workers() -> ThreadPoolExecutor:
    if not _WORKERS:
        _WORKERS.append(ThreadPoolExecutor(max_workers=4, thread_name_prefix="likewise-bm25"))
    return _WORKERS[0]


def _timed_lexical(
    store: CatalogStore,
    text: str,
    depth: int,
    filters: SearchFilters | None,
    allowed: npt.NDArray[np.int64] | None,
    lexical_index: LexicalSource | None,
) -> LexicalCandidates:
    start = time.perf_counter()
    found = lexical_candidates(store, text, depth, filters, allowed, lexical_index)
    found.seconds = time.perf_counter() - start
    return found


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


def _names_of(
    keys: npt.NDArray[np.int64], store: CatalogStore, found: LexicalCandidates | None
) -> dict[int, str]:
    """arXiv ids of dense hits: from the in-process lexical index when one answered (no
    database round trip), else (and for any key it lacks) from the store."""
    wanted = [int(key) for key in keys]
    names = found.index.arxiv_ids_for_keys(wanted) if found and found.index else {}
    unnamed = [key for key in wanted if key not in names]
    if unnamed:
        names.update(store.arxiv_ids_for_keys(unnamed))
    return names


def _add_missing_cosines(
    dense: dict[str, float],
    lexical: dict[str, float],
    query_vector: npt.NDArray[np.float32],
    store: CatalogStore,
    index: VectorIndex,
    known_keys: dict[str, int],
) -> None:
    """Exact cosine for lexical candidates dense retrieval did not return, so fusion and the
    calibrated score see every candidate's similarity rather than a missing value."""
    missing = [doc_id for doc_id in lexical if doc_id not in dense]
    if not missing:
        return
    keys = {doc_id: known_keys[doc_id] for doc_id in missing if doc_id in known_keys}
    unknown = [doc_id for doc_id in missing if doc_id not in keys]
    if unknown:
        keys.update(store.paper_keys(unknown))
    name_of = {key: doc_id for doc_id, key in keys.items()}
    wanted = np.fromiter(name_of, dtype=np.int64, count=len(name_of))
    found, similarities = index.similarities_for(query_vector, wanted)
    for key, similarity in zip(found.tolist(), similarities.tolist(), strict=True):
        dense[name_of[key]] = float(similarity)
