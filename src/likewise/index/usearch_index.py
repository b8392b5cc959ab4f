"""Approximate nearest neighbours with usearch (HNSW; Malkov & Yashunin, TPAMI 2018).

Filtered search stays exact for selective filters: few allowed keys are scored exactly
from a float16 mirror of the vectors; many are served by oversampled ANN search, falling
back to exact scoring when the oversampled candidates do not hold k allowed keys.

Compressed (given a LinearReduction): the graph holds reduced vectors, each search takes
k * rerank_factor candidates from it and re-ranks them exactly with the full vectors, which
come from the store at load time (the file and its `.reduction.npz` sidecar do not hold them).
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from likewise.index.exact import ExactIndex, check_vectors, top_k_of_scores
from likewise.index.linear_reduction import LinearReduction
from likewise.index.persisted import publish_file

# Filters letting through at most this many keys are always scored exactly. Above it the
# choice is by cost: exact scoring reads m rows, oversampled graph search visits about
# 2*k*n/m candidates at a similar cost per item (measured), so exact wins while m*m <= 2*k*n.
DEFAULT_EXACT_LIMIT = 256
# Search breadth: over 1M vectors, 96 gave recall@10 0.91, 200 gave 0.93 and 400 gave 0.96
# at p95 10 ms (bench/scale.py, docs/operations.md); below 100k even 96 recalls over 0.99.
DEFAULT_EXPANSION_SEARCH = 400
# Over 3M vectors 400 recalled only 0.927-0.938 and 800 recalled 0.963 at p95 10 ms (plain graph;
# bench/scale.py at 3M, docs/operations.md); the switch sits between the measured sizes.
LARGE_CATALOG = 2_000_000
LARGE_EXPANSION_SEARCH = 800


def expansion_for(size: int) -> int:
    """The search breadth for a graph of `size` vectors."""
    return LARGE_EXPANSION_SEARCH if size >= LARGE_CATALOG else DEFAULT_EXPANSION_SEARCH


# Oversampled ANN is abandoned for exact scoring once it would visit this share of the index.
_MAX_OVERSAMPLED_SHARE = 0.25
# Candidates per result taken from a compressed graph for exact re-ranking: 8 kept
# recall@10 at 0.995 with 128 int8 dimensions over 100k (bench/scale.py, docs/operations.md).
DEFAULT_RERANK_FACTOR = 8
# A graph vector whose cosine with the reduction of the store's vector is below this was made
# from another vector (int8 rounding alone stays above 0.999).
_SAME_VECTOR_COSINE = 0.99
_BLOCK = 65_536

FullVectors = tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]


def reduction_path(path: Path) -> Path:
    """The sidecar holding a compressed index's reduction, next to the index file."""
    return path.with_name(path.name + ".reduction.npz")


class UsearchIndex:
    """HNSW graph over unit vectors, inner-product metric, stored as f16 (or i8) scalars.

    With `reduction`, the graph holds `reduction.apply(vectors)` and `full_vectors` (keys,
    vectors) fills the exact mirror; a restored graph is brought to hold exactly those.
    """

    def __init__(
        self,
        dimension: int,
        *,
        dtype: str = "f16",
        connectivity: int = 16,
        expansion_add: int = 128,
        expansion_search: int = DEFAULT_EXPANSION_SEARCH,
        exact_limit: int = DEFAULT_EXACT_LIMIT,
        reduction: LinearReduction | None = None,
        rerank_factor: int = DEFAULT_RERANK_FACTOR,
        full_vectors: FullVectors | None = None,
        index: Any = None,
    ) -> None:
        from usearch.index import Index

        if reduction is not None and reduction.source_dimension != dimension:
            raise ValueError(
                f"the reduction takes {reduction.source_dimension}-d vectors, not {dimension}-d"
            )
        if rerank_factor < 1:
            raise ValueError("rerank_factor must be at least 1")
        self.dimension = dimension
        self.exact_limit = exact_limit
        self.reduction = reduction
        self.rerank_factor = rerank_factor
        if index is None:  # (not `index or`: an empty restored index is falsy)
            index = Index(
                ndim=dimension if reduction is None else reduction.dimensions,
                # usearch's int8 scaling assumes the cosine metric; on unit vectors it equals
                # ip. Reduced vectors are not unit: they are ranked by cosine, which uncentred
                # PCA keeps close to their inner product (fit_pca), and re-ranked exactly.
                metric="cos" if dtype == "i8" else "ip",
                dtype=dtype,
                connectivity=connectivity,
                expansion_add=expansion_add,
                expansion_search=expansion_search,
            )
        self._index = index
        # usearch fetches vectors key by key; filtered scoring reads this mirror instead.
        self._mirror = ExactIndex(dimension, storage=np.float16)
        if reduction is not None:
            if full_vectors is None and len(self._index):
                raise ValueError("a compressed index needs the full vectors (from the store)")
            if full_vectors is not None:
                self._hold_exactly(*full_vectors)
        elif len(self._index):
            stored = self._stored_keys()
            fetched: Any = self._index.get(stored, dtype="f32")
            self._mirror.add(stored.astype(np.int64), np.vstack(fetched).astype(np.float32))

    def __len__(self) -> int:
        return len(self._index)

    @property
    def kind(self) -> str:
        """What the index stamp calls this index: a change of kind means a rebuild."""
        return "usearch" if self.reduction is None else "usearch-compressed"

    @property
    def keys(self) -> npt.NDArray[np.int64]:
        return np.sort(self._stored_keys().astype(np.int64))

    def add(self, keys: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]) -> None:
        keys, vectors = check_vectors(keys, vectors, self.dimension)
        if len(keys) == 0:
            return
        unsigned = keys.astype(np.uint64)
        present = np.asarray(self._index.contains(unsigned), dtype=bool).reshape(-1)
        if present.any():
            # usearch refuses duplicate keys: replacing is remove-then-add.
            self._index.remove(unsigned[present])
        self._index.add(unsigned, self._graph_vectors(vectors))
        self._mirror.add(keys, vectors)

    def remove(self, keys: npt.NDArray[np.int64]) -> None:
        keys = np.asarray(keys, dtype=np.int64).reshape(-1)
        if len(keys):
            self._index.remove(keys.astype(np.uint64))
            self._mirror.remove(keys)

    def search(
        self,
        query: npt.NDArray[np.float32],
        k: int,
        allowed: npt.NDArray[np.int64] | None = None,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(-1)
        total = len(self)
        if k <= 0 or total == 0:
            return _empty()
        # How many graph answers to take: a compressed graph's are re-ranked down to k.
        reach = k if self.reduction is None else k * self.rerank_factor
        graph_query = query if self.reduction is None else self.reduction.apply_query(query)
        if allowed is None:
            keys, scores = self._graph_search(graph_query, min(reach, total))
            return (keys, scores) if self.reduction is None else self._rerank(query, keys, k)
        rows = self._mirror.rows_for(allowed)
        matching = len(rows)
        if matching == 0:
            return _empty()
        if matching <= max(self.exact_limit, k) or matching**2 <= 2 * reach * total:
            return self._mirror.search_rows(query, k, rows)
        allowed_keys = self._mirror.keys_at(rows)
        needed = min(reach, matching)
        # Expect matching/total of the graph's answers to pass; ask for twice that many.
        count = math.ceil(2 * reach * total / matching) + 16
        while count <= _MAX_OVERSAMPLED_SHARE * total:
            keys, scores = self._graph_search(graph_query, count)
            passing = np.isin(keys, allowed_keys)
            if int(passing.sum()) >= needed:
                if self.reduction is None:
                    return keys[passing][:k], scores[passing][:k]
                return self._rerank(query, keys[passing][:reach], k)
            count *= 4
        return self._mirror.search_rows(query, k, rows)

    def vector(self, key: int) -> npt.NDArray[np.float32] | None:
        return self._mirror.vector(key)

    def similarities_for(
        self, query: npt.NDArray[np.float32], keys: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        return self._mirror.similarities_for(query, keys)

    def vectors_for(
        self, keys: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """(present keys, their stored vectors as float32) for the given keys."""
        return self._mirror.vectors_for(keys)

    def export(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Every (key, vector as stored, widened to float32), ordered by key."""
        return self._mirror.export()

    def save(self, path: Path) -> None:
        """Write the graph to `path` atomically (readers never see half a file), and the
        reduction of a compressed index to its sidecar first (`reduction_path`). A reader
        that finds a sidecar and a graph of another dimension refuses them (ValueError)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        sidecar = reduction_path(path)
        if self.reduction is not None and not _holds(sidecar, self.reduction):
            self.reduction.save(sidecar)
        handle, temporary = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        os.close(handle)
        try:
            self._index.save(temporary)
            publish_file(Path(temporary), path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        if self.reduction is None:
            sidecar.unlink(missing_ok=True)

    @classmethod
    def load(
        cls,
        path: Path,
        *,
        exact_limit: int = DEFAULT_EXACT_LIMIT,
        expansion_search: int = DEFAULT_EXPANSION_SEARCH,
        full_vectors: FullVectors | None = None,
        rerank_factor: int = DEFAULT_RERANK_FACTOR,
    ) -> UsearchIndex:
        """The index saved at `path`. A compressed one (its sidecar exists) needs
        `full_vectors`, the store's (keys, vectors), and comes back holding exactly those:
        graph entries of other keys are dropped, missing or changed ones (re)added. A plain
        graph holds its own vectors and ignores `full_vectors`."""
        from usearch.index import Index

        restored = Index.restore(str(path))
        if restored is None:
            raise ValueError(f"{path} is not a usearch index")
        # The file does not keep the search breadth: a restored index would search with
        # usearch's default of 64.
        restored.expansion_search = expansion_search  # type: ignore[misc]  # has a setter
        sidecar = reduction_path(path)
        if not sidecar.is_file():
            return cls(int(restored.ndim), exact_limit=exact_limit, index=restored)
        reduction = LinearReduction.load(sidecar)
        if int(restored.ndim) != reduction.dimensions:
            raise ValueError(
                f"{path} holds {restored.ndim}-d vectors; its reduction makes "
                f"{reduction.dimensions}-d ones"
            )
        if full_vectors is None:
            raise ValueError(f"{path} is compressed: load it with the full vectors")
        return cls(
            reduction.source_dimension,
            exact_limit=exact_limit,
            reduction=reduction,
            rerank_factor=rerank_factor,
            full_vectors=full_vectors,
            index=restored,
        )

    def _stored_keys(self) -> npt.NDArray[np.uint64]:
        # Slicing asks usearch for a plain array (its array protocol predates NumPy 2).
        keys: npt.NDArray[np.uint64] = np.asarray(self._index.keys[:], dtype=np.uint64)
        return keys

    def _graph_search(
        self, query: npt.NDArray[np.float32], count: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        matches = self._index.search(query, min(count, len(self)))
        keys = np.asarray(matches.keys, dtype=np.int64)
        # Both metrics report 1 - similarity.
        return keys, (1.0 - np.asarray(matches.distances, dtype=np.float32)).astype(np.float32)

    def _graph_vectors(self, vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        return vectors if self.reduction is None else self.reduction.apply(vectors)

    def _rerank(
        self, query: npt.NDArray[np.float32], candidates: npt.NDArray[np.int64], k: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """The exact top k of the candidates, scored with the full vectors."""
        keys, scores = self._mirror.similarities_for(query, candidates)
        return top_k_of_scores(keys, scores, k)

    def _hold_exactly(self, keys: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]) -> None:
        """Make a compressed graph and the mirror hold exactly (keys, vectors)."""
        keys, vectors = check_vectors(keys, vectors, self.dimension)
        stored = self._stored_keys().astype(np.int64)
        gone = np.setdiff1d(stored, keys)
        if len(gone):
            self._index.remove(gone.astype(np.uint64))
        present = np.isin(keys, stored)
        stale = ~present
        for start in range(0, len(keys), _BLOCK):
            block = slice(start, start + _BLOCK)
            rows = np.flatnonzero(present[block]) + start
            if len(rows):
                stale[rows] = ~self._graph_matches(keys[rows], vectors[rows])
        changed = keys[stale & present].astype(np.uint64)
        if len(changed):
            self._index.remove(changed)
        for start in range(0, len(keys), _BLOCK):
            rows = np.flatnonzero(stale[start : start + _BLOCK]) + start
            if len(rows):
                self._index.add(keys[rows].astype(np.uint64), self._graph_vectors(vectors[rows]))
        self._mirror.add(keys, vectors)

    def _graph_matches(
        self, keys: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.bool_]:
        """Per key, whether the graph's vector was made from `vectors` (up to rounding)."""
        fetched: Any = self._index.get(keys.astype(np.uint64), dtype="f32")
        held = np.vstack(fetched).astype(np.float32)
        expected = self._graph_vectors(vectors)
        dot = np.einsum("ij,ij->i", held, expected)
        norms = np.linalg.norm(held, axis=1) * np.linalg.norm(expected, axis=1)
        matches: npt.NDArray[np.bool_] = dot >= _SAME_VECTOR_COSINE * np.maximum(norms, 1e-12)
        return matches


def _holds(sidecar: Path, reduction: LinearReduction) -> bool:
    """Whether the sidecar already holds this reduction (then it is not rewritten)."""
    try:
        return LinearReduction.load(sidecar).same_as(reduction)
    except (OSError, ValueError):
        return False


def _empty() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
