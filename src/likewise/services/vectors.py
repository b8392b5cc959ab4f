"""Vector service: embed new or changed papers, and keep the vector index in step with the store.

The store holds the vectors (keyed by content hash + model id); the index is derived state:
exact in memory for small catalogs, a usearch file next to the catalog above the ANN
threshold, rebuilt whenever its stamp no longer matches the stored vectors (or pgvector's
table on PostgreSQL, services/pgvectors.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from likewise.index.base import VectorIndex
from likewise.index.exact import ExactIndex
from likewise.index.factory import wants_ann
from likewise.index.linear_reduction import fit_pca
from likewise.index.persisted import (
    IndexStamp,
    file_lock,
    fingerprint,
    index_paths,
    read_stamp,
    remove_temporaries,
    stamp_identity,
    write_stamp,
)
from likewise.index.usearch_index import UsearchIndex, expansion_for, reduction_path
from likewise.models import Paper
from likewise.services.embedding import EmbedderProvider
from likewise.services.pgvectors import (
    finish_pgvector_index,
    open_pgvector_index,
    pgvector_available,
)
from likewise.services.progress import ProgressBar
from likewise.services.sentences import SentenceService
from likewise.settings import Settings
from likewise.store.base import CatalogStore

# Papers embedded and written per store transaction.
EMBED_CHUNK = 256

LocalIndex = ExactIndex | UsearchIndex


@dataclass(slots=True)
class _Loaded:
    model_id: str
    index: LocalIndex
    stamp_identity: tuple[int, int, int] | None


class VectorService:
    """Embedding upkeep and access to the vector index of the current embedding model; the
    only owner of this process's loaded index."""

    def __init__(
        self,
        settings: Settings,
        store: CatalogStore,
        embedding: EmbedderProvider,
        sentences: SentenceService | None = None,
    ) -> None:
        """With `sentences`, embedding a paper also stores its sentences (same pass)."""
        self._settings = settings
        self._store = store
        self._embedding = embedding
        self._sentences = sentences
        self._local: _Loaded | None = None
        self._shared: tuple[str, VectorIndex] | None = None  # (model id, pgvector's index)
        self._pgvector: bool | None = None  # whether pgvector's table exists, once asked

    def update_vectors(self, progress: bool = False) -> int:
        """Embed every paper that has no vector for the model or whose text changed since;
        returns how many were embedded. Unchanged papers are never embedded again."""
        embedder = self._embedding.get()
        model_id = embedder.model_id
        index = self.vector_index()
        done: set[str] = set()
        reporter = ProgressBar(progress, max(self._store.count_papers() - len(index), 0))
        try:
            while True:
                # Papers handled in this run are skipped: one that a concurrent ingest
                # changed again meanwhile waits for the next run instead of looping here.
                batch = [
                    paper
                    for paper in self._store.stale_for_model(model_id, limit=EMBED_CHUNK)
                    if paper.arxiv_id not in done
                ]
                if not batch:
                    break
                if self._sentences is not None:
                    vectors = self._sentences.embed_papers(embedder, batch)
                else:
                    vectors = embedder.embed_documents([p.embedding_text() for p in batch])
                self._store.put_vectors(
                    model_id,
                    [
                        (paper.arxiv_id, paper.content_hash(), vectors[row])
                        for row, paper in enumerate(batch)
                    ],
                )
                keys = self._store.paper_keys([paper.arxiv_id for paper in batch])
                rows = [row for row, paper in enumerate(batch) if paper.arxiv_id in keys]
                index.add(
                    np.array([keys[batch[row].arxiv_id] for row in rows], dtype=np.int64),
                    vectors[rows],
                )
                done.update(paper.arxiv_id for paper in batch)
                reporter.advance(len(batch))
        finally:
            reporter.close()
            if done:
                # Even after an interruption: what was embedded is stored, so publish it.
                if isinstance(index, ExactIndex | UsearchIndex):
                    self._publish(model_id, index)
                else:
                    _finish_shared(index, self._settings.ann_threshold)
        return len(done)

    def backfill_sentences(self, progress: bool = False) -> int:
        """Store sentences for papers whose current vector predates stored sentences (one
        embedding pass each; the vectors are left as they are); returns how many. Each batch
        is committed on its own, so an interrupted run loses one batch and a rerun resumes."""
        if self._sentences is None:
            return 0
        embedder = self._embedding.get()
        done: set[str] = set()
        stored = 0
        pending = len(self._sentences.missing(limit=self._store.count_papers() + 1))
        reporter = ProgressBar(progress, pending, label="sentences")
        try:
            while True:
                # Papers handled in this run are skipped, as in update_vectors.
                wanted = [i for i in self._sentences.missing(EMBED_CHUNK) if i not in done]
                if not wanted:
                    break
                found = self._store.get_papers(wanted)
                papers = [found[i] for i in wanted if i in found]  # not deleted meanwhile
                self._sentences.embed_papers(embedder, papers)
                done.update(wanted)
                stored += len(papers)
                reporter.advance(len(wanted))
        finally:
            reporter.close()
        return stored

    def store_vectors(
        self,
        arxiv_ids: Sequence[str],
        content_hashes: Sequence[str],
        matrix: npt.NDArray[np.float32],
    ) -> int:
        """Store vectors of the current model made elsewhere (rows aligned with the ids, already
        checked) in one transaction, then bring the index up to date; returns its size."""
        model_id = self._embedding.get().model_id
        index = self.vector_index()
        self._store.put_vectors(model_id, list(zip(arxiv_ids, content_hashes, matrix, strict=True)))
        keys = self._store.paper_keys(arxiv_ids)
        rows = [row for row, arxiv_id in enumerate(arxiv_ids) if arxiv_id in keys]
        held = matrix if len(rows) == len(arxiv_ids) else matrix[rows]
        index.add(np.array([keys[arxiv_ids[row]] for row in rows], dtype=np.int64), held)
        if isinstance(index, ExactIndex | UsearchIndex):
            return len(self._publish(model_id, index))
        _finish_shared(index, self._settings.ann_threshold)
        return len(index)

    def vector_index(self) -> VectorIndex:
        """The index over every stored vector of the current model: loaded once per process
        and reloaded when another process has published a newer one. On PostgreSQL with
        pgvector's table, the index is shared in the database instead."""
        model_id = self._embedding.get().model_id
        if self._uses_pgvector():
            if self._shared is not None and self._shared[0] == model_id:
                return self._shared[1]
            return self._open_shared(model_id, rebuild=False)
        return self._local_index(model_id)

    def reindex(self) -> int:
        """Rebuild the index of the current model from the stored vectors; returns its size."""
        model_id = self._embedding.get().model_id
        if self._uses_pgvector():
            return len(self._open_shared(model_id, rebuild=True))
        keys, matrix = self._store.load_vectors(model_id)
        return len(self._build(model_id, keys, matrix))

    def build_index(self, model_id: str, dimension: int) -> int:
        """Build and publish the index of any model from its stored vectors (a model upgrade
        builds the new model's before switching to it); returns its size."""
        if self._uses_pgvector():
            index = open_pgvector_index(
                self._store, model_id, dimension, self._settings.ann_threshold, rebuild=False
            )
            return len(index)
        keys, matrix = self._store.load_vectors(model_id)
        built = self._new_index(matrix.shape[1] if len(keys) else dimension, keys, matrix)
        return len(self._publish(model_id, built))

    def paper_vector(self, arxiv_id: str) -> npt.NDArray[np.float32] | None:
        """The stored vector of a paper under the current model, if it has one."""
        key = self._store.paper_keys([arxiv_id]).get(arxiv_id)
        if key is None:
            return None
        return self.vector_index().vector(key)

    def vectors_for(self, papers: Sequence[Paper]) -> npt.NDArray[np.float32]:
        """One row per paper: its stored vector under the current model, or (for papers not
        embedded yet) one embedded now and not stored."""
        embedder = self._embedding.get()
        matrix = np.zeros((len(papers), embedder.dimension), dtype=np.float32)
        if not papers:
            return matrix
        keys = self._store.paper_keys([paper.arxiv_id for paper in papers])
        index = self.vector_index()
        missing: list[int] = []
        for row, paper in enumerate(papers):
            key = keys.get(paper.arxiv_id)
            vector = index.vector(key) if key is not None else None
            if vector is None:
                missing.append(row)
            else:
                matrix[row] = vector
        if missing:
            matrix[missing] = embedder.embed_documents(
                [papers[r].embedding_text() for r in missing]
            )
        return matrix

    # -- internals ----------------------------------------------------------------------------
    def _uses_pgvector(self) -> bool:
        if self._pgvector is None:
            self._pgvector = pgvector_available(self._store)
        return self._pgvector

    def _open_shared(self, model_id: str, *, rebuild: bool) -> VectorIndex:
        index = open_pgvector_index(
            self._store,
            model_id,
            self._embedding.get().dimension,
            self._settings.ann_threshold,
            rebuild=rebuild,
        )
        self._shared = (model_id, index)
        return index

    def _local_index(self, model_id: str) -> LocalIndex:
        paths = index_paths(self._settings.home, model_id)
        loaded = self._local
        if (
            loaded is not None
            and loaded.model_id == model_id
            and loaded.stamp_identity == stamp_identity(paths.stamp)
        ):
            return loaded.index
        keys, matrix = self._store.load_vectors(model_id)
        if not wants_ann(len(keys), self._settings.ann_threshold) or not paths.usearch.is_file():
            return self._build(model_id, keys, matrix)
        try:
            index = UsearchIndex.load(
                paths.usearch,
                expansion_search=expansion_for(len(keys)),
                full_vectors=(keys, matrix),
                rerank_factor=self._settings.compressed_rerank_factor,
            )
        except (OSError, ValueError, RuntimeError):
            return self._build(model_id, keys, matrix)  # unreadable
        if index.dimension != matrix.shape[1] or index.kind != self._wanted_kind(len(keys)):
            return self._build(model_id, keys, matrix)
        fresh = read_stamp(paths.stamp) == _stamp_for(model_id, index.kind, keys, matrix)
        if fresh and len(index) == len(keys):
            self._local = _Loaded(model_id, index, stamp_identity(paths.stamp))
            return index
        # A stale file (say, a crash between storing vectors and saving it) is repaired
        # in place: rebuilding a large graph takes minutes, the difference milliseconds.
        _bring_up_to_date(index, keys, matrix)
        return self._publish(model_id, index)

    def _build(
        self, model_id: str, keys: npt.NDArray[np.int64], matrix: npt.NDArray[np.float32]
    ) -> LocalIndex:
        dimension = matrix.shape[1] if matrix.ndim == 2 and matrix.shape[1] else None
        dimension = dimension or self._embedding.get().dimension
        index = self._new_index(dimension, keys, matrix)
        return self._publish(model_id, index)

    def _wanted_kind(self, count: int) -> str:
        """The kind of index a catalog of `count` vectors calls for."""
        if not wants_ann(count, self._settings.ann_threshold):
            return "exact"
        threshold = self._settings.compressed_index_threshold
        return "usearch-compressed" if 0 < threshold <= count else "usearch"

    def _new_index(
        self, dimension: int, keys: npt.NDArray[np.int64], matrix: npt.NDArray[np.float32]
    ) -> LocalIndex:
        """An index of the wanted kind holding (keys, matrix); a compressed one fits its PCA on
        up to 100,000 of the vectors (evenly spaced), which is plenty for 384 dimensions."""
        kind = self._wanted_kind(len(keys))
        if kind == "exact":
            exact = ExactIndex(dimension)
            if len(keys):
                exact.add(keys, matrix)
            return exact
        if kind == "usearch":
            graph = UsearchIndex(dimension, expansion_search=expansion_for(len(keys)))
            if len(keys):
                graph.add(keys, matrix)
            return graph
        sample = matrix[:: max(1, len(matrix) // 100_000)]
        dimensions = min(self._settings.compressed_dimensions, dimension)
        return UsearchIndex(
            dimension,
            dtype="i8",
            expansion_search=expansion_for(len(keys)),
            reduction=fit_pca(sample, dimensions),
            rerank_factor=self._settings.compressed_rerank_factor,
            full_vectors=(keys, matrix),
        )

    def _publish(self, model_id: str, index: LocalIndex) -> LocalIndex:
        """Save the index (switching kind if its size crossed the threshold) and then its
        stamp, so other processes pick it up; cache it for this one.

        A stamp that already describes these vectors is left alone: processes that merely
        rebuilt the same index must not make each other reload it.
        """
        if _kind_of(index) != self._wanted_kind(len(index)):
            held_keys, held_vectors = index.export()
            index = self._new_index(index.dimension, held_keys, held_vectors)
        paths = index_paths(self._settings.home, model_id)
        keys, vectors = index.export()
        stamp = _stamp_for(model_id, _kind_of(index), keys, vectors)
        with file_lock(paths.lock, exclusive=True) as held:
            if held:  # no other writer is in progress: temporaries are a killed one's
                remove_temporaries(paths.usearch)
                remove_temporaries(paths.stamp)
            if isinstance(index, UsearchIndex):
                index.save(paths.usearch)
            else:
                paths.usearch.unlink(missing_ok=True)
                reduction_path(paths.usearch).unlink(missing_ok=True)
            if read_stamp(paths.stamp) != stamp:
                write_stamp(paths.stamp, stamp)
        self._local = _Loaded(model_id, index, stamp_identity(paths.stamp))
        return index


def _finish_shared(index: VectorIndex, ann_threshold: int) -> None:
    from likewise.index.pgvector_index import PgvectorIndex

    if isinstance(index, PgvectorIndex):
        finish_pgvector_index(index, ann_threshold)


def _stamp_for(
    model_id: str, kind: str, keys: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]
) -> IndexStamp:
    return IndexStamp(
        model_id=model_id, kind=kind, count=len(keys), fingerprint=fingerprint(keys, vectors)
    )


def _bring_up_to_date(
    index: UsearchIndex, keys: npt.NDArray[np.int64], matrix: npt.NDArray[np.float32]
) -> None:
    """Make the index hold exactly (keys, matrix): drop lost keys, add new or changed ones."""
    held_keys, held_vectors = index.export()  # sorted by key
    index.remove(np.setdiff1d(held_keys, keys))
    if len(keys) == 0:
        return
    slots = np.searchsorted(held_keys, keys).clip(max=max(len(held_keys) - 1, 0))
    known = (held_keys[slots] == keys) if len(held_keys) else np.zeros(len(keys), dtype=bool)
    # The index stores float16, so compare at that precision.
    rounded = matrix.astype(np.float16).astype(np.float32)
    differs = np.ones(len(keys), dtype=bool)
    differs[known] = np.any(held_vectors[slots[known]] != rounded[known], axis=1)
    if differs.any():
        index.add(keys[differs], matrix[differs])


def _kind_of(index: LocalIndex) -> str:
    return index.kind if isinstance(index, UsearchIndex) else "exact"
