"""Candidate retrieval for hybrid search: the BM25 and dense top-k, each with its cosine.

BM25 runs in a worker thread while the main thread embeds the query and searches the vector
index (ONNX Runtime, usearch and SQLite release the GIL). The same worker then reads the
papers of the best lexical candidates, which most result pages draw on, and their cosines
with the query, so little work is left once the vector search returns.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from likewise.embed.base import Embedder
from likewise.index.base import VectorIndex
from likewise.index.inverted import InvertedIndex
from likewise.models import Paper, SearchFilters
from likewise.rank.lexical import LexicalCandidates, LexicalSource, lexical_candidates
from likewise.store.base import CatalogStore

# Run BM25 in a worker thread beside the query embedding (bench/search.py --serial-lexical
# measures the alternative).
LEXICAL_IN_PARALLEL = True
_Result = TypeVar("_Result")


@dataclass(slots=True)
class Candidates:
    """What one query retrieved: its vector, the dense and BM25 candidates by store key (key
    to cosine and to BM25 score), and the papers already read for the page.

    Candidates are keyed by store key so that fusion needs no names: only the page's keys
    are turned into arXiv ids (`arxiv_ids`)."""

    query_vector: npt.NDArray[np.float32]
    dense: dict[int, float]
    lexical: dict[int, float]
    papers: dict[str, Paper] = field(default_factory=dict)
    known_ids: dict[int, str] = field(default_factory=dict)  # the lexical candidates' ids
    id_source: InvertedIndex | None = None  # names keys without asking the store
    lexical_ceiling: float | None = None  # the most any paper could score by BM25

    def arxiv_ids(self, keys: Sequence[int], store: CatalogStore) -> dict[int, str]:
        """arXiv ids of these keys (a key whose paper is gone has none)."""
        names = {key: self.known_ids[key] for key in keys if key in self.known_ids}
        unnamed = [key for key in keys if key not in names]
        if unnamed and self.id_source is not None:
            names.update(self.id_source.arxiv_ids_for_keys(unnamed))
            unnamed = [key for key in unnamed if key not in names]
        if unnamed:
            names.update(store.arxiv_ids_for_keys(unnamed))
        return names


@dataclass(slots=True)
class _LexicalSide:
    found: LexicalCandidates
    keys: dict[str, int]  # store key of every lexical candidate
    papers: dict[str, Paper]
    cosines: dict[int, float]  # every lexical candidate's cosine (hybrid methods only)
    seconds: float  # BM25 alone


class StageClock:
    """Seconds per named stage of one search."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    def run(self, stage: str, work: Callable[[], _Result]) -> _Result:
        start = time.perf_counter()
        try:
            return work()
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start


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
    prefetch: range = range(0),
) -> Candidates:
    """The top `depth` of each side the method uses; lexical candidates also get their exact
    cosine (fusion and the calibrated score read it). `prefetch`: the lexical ranks (0 =
    best) whose papers to read while the dense side runs (only when BM25 runs beside it)."""
    clock = StageClock()
    uses_lexical, uses_dense = method != "dense", method != "bm25"
    wants_cosines = uses_lexical  # the calibrated score reads each candidate's own cosine
    vector_ready: Future[npt.NDArray[np.float32]] = Future()
    dense_done = threading.Event()
    lexical_future: Future[_LexicalSide] | None = None
    side: _LexicalSide | None = None
    in_parallel = uses_lexical and LEXICAL_IN_PARALLEL
    lexical_side = partial(
        _lexical_side,
        store,
        text,
        depth,
        filters,
        allowed,
        lexical_index,
        prefetch if in_parallel else range(0),  # run after the dense search: nothing to overlap
        index,
        vector_ready if wants_cosines else None,
        dense_done,
    )
    if in_parallel:
        lexical_future = _workers().submit(lexical_side)
    try:
        query_vector = clock.run("embed", lambda: embedder.embed_query(text))
        vector_ready.set_result(query_vector)
        if uses_lexical and lexical_future is None:
            side = clock.run("lexical wait", lexical_side)
        keys: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        similarities: npt.NDArray[np.float32] = np.zeros(0, dtype=np.float32)
        if uses_dense:
            keys, similarities = clock.run(
                "dense", lambda: index.search(query_vector, depth, allowed)
            )
        dense_done.set()
        if lexical_future is not None:
            side = clock.run("lexical wait", lexical_future.result)
    finally:
        if not vector_ready.done():
            vector_ready.set_exception(RuntimeError("the query could not be embedded"))
        if lexical_future is not None:
            # The store must not be used from two threads at once (an in-memory SQLite
            # catalog has one connection), so a failed search still waits for its worker.
            wait([lexical_future])
    dense: dict[int, float] = dict(zip(keys.tolist(), similarities.tolist(), strict=True))
    candidates = Candidates(query_vector, dense, {})
    if side is not None:
        clock.timings["lexical"] = side.seconds
        candidates.lexical = {
            side.keys[doc_id]: score for doc_id, score in side.found.hits if doc_id in side.keys
        }
        for key, cosine in side.cosines.items():
            dense.setdefault(key, cosine)
        candidates.papers = side.papers
        candidates.known_ids = {key: doc_id for doc_id, key in side.keys.items()}
        candidates.id_source = side.found.index
        candidates.lexical_ceiling = side.found.ceiling
    if timings is not None:
        timings.update(clock.timings)
    return candidates


_WORKERS: list[ThreadPoolExecutor] = []


def _workers() -> ThreadPoolExecutor:
    if not _WORKERS:
        _WORKERS.append(ThreadPoolExecutor(max_workers=4, thread_name_prefix="likewise-bm25"))
    return _WORKERS[0]


def _lexical_side(
    store: CatalogStore,
    text: str,
    depth: int,
    filters: SearchFilters | None,
    allowed: npt.NDArray[np.int64] | None,
    lexical_index: LexicalSource | None,
    prefetch: range,
    index: VectorIndex,
    query_vector: Future[npt.NDArray[np.float32]] | None,
    dense_done: threading.Event,
) -> _LexicalSide:
    """BM25; once the query vector is ready, every candidate's cosine; then, while the dense
    search is still running, the best candidates' papers."""
    start = time.perf_counter()
    found = lexical_candidates(store, text, depth, filters, allowed, lexical_index)
    seconds = time.perf_counter() - start
    keys = dict(found.keys)
    unknown = [doc_id for doc_id, _ in found.hits if doc_id not in keys]
    if unknown:  # the store's full-text search names papers, not keys
        keys.update(store.paper_keys(unknown))
    cosines: dict[int, float] = {}
    if query_vector is not None and keys:
        wanted = np.fromiter(keys.values(), dtype=np.int64, count=len(keys))
        present, similarities = index.similarities_for(query_vector.result(), wanted)
        # Exact cosines, so that fusion and the calibrated score see every candidate's
        # similarity, also where the dense search did not return it.
        cosines = dict(zip(present.tolist(), similarities.tolist(), strict=True))
    papers: dict[str, Paper] = {}
    if len(prefetch) and found.hits and not dense_done.is_set():
        # After the query embedding (reading rows beside it slows it down), while the dense
        # search runs; once that is done the search waits on this thread, so reading ahead
        # would only delay it (the page's papers are read afterwards either way).
        chosen = found.hits[prefetch.start : prefetch.stop]
        papers = store.get_papers([doc_id for doc_id, _ in chosen])
    return _LexicalSide(found, keys, papers, cosines, seconds)
