"""Approximate nearest neighbours with usearch (HNSW; Malkov & Yashunin, TPAMI 2018).

Filtered search stays exact for selective filters: few allowed keys are scored exactly
from a float16 mirror of the vectors; many are served by oversampled ANN search, falling
back to exact scoring when the oversampled candidates do not hold k allowed keys.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from likewise.index.exact import ExactIndex, check_vectors
from likewise.index.persisted import publish_file

# Filters letting through at most this many keys are always scored exactly. Above it the
# choice is by cost: exact scoring reads m rows, oversampled graph search visits about
# 2*k*n/m candidates at a similar cost per item (measured), so exact wins while m*m <= 2*k*n.
DEFAULT_EXACT_LIMIT = 256
# Search breadth: over 1M vectors, 96 gave recall@10 0.91, 200 gave 0.93 and 400 gave 0.96
# at p95 10 ms (bench/scale.py, docs/operations.md); below 100k even 96 recalls over 0.99.
DEFAULT_EXPANSION_SEARCH = 400
# Oversampled ANN is abandoned for exact scoring once it would visit this share of the index.
_MAX_OVERSAMPLED_SHARE = 0.25


class UsearchIndex:
    """HNSW graph over unit vectors, inner-product metric, stored as f16 (or i8) scalars."""

    def __init__(
        self,
        dimension: int,
        *,
        dtype: str = "f16",
        connectivity: int = 16,
        expansion_add: int = 128,
        expansion_search: int = DEFAULT_EXPANSION_SEARCH,
        exact_limit: int = DEFAULT_EXACT_LIMIT,
        index: Any = None,
    ) -> None:
        from usearch.index import Index

        self.dimension = dimension
        self.exact_limit = exact_limit
        self._index = index or Index(
            ndim=dimension,
            # usearch's int8 scaling assumes the cosine metric; on unit vectors it equals ip.
            metric="cos" if dtype == "i8" else "ip",
            dtype=dtype,
            connectivity=connectivity,
            expansion_add=expansion_add,
            expansion_search=expansion_search,
        )
        # usearch fetches vectors key by key; filtered scoring reads this mirror instead.
        self._mirror = ExactIndex(dimension, storage=np.float16)
        if len(self._index):
            stored = self._stored_keys()
            fetched: Any = self._index.get(stored, dtype="f32")
            self._mirror.add(stored.astype(np.int64), np.vstack(fetched).astype(np.float32))

    def __len__(self) -> int:
        return len(self._index)

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
        self._index.add(unsigned, vectors)
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
        if allowed is None:
            return self._graph_search(query, min(k, total))
        rows = self._mirror.rows_for(allowed)
        matching = len(rows)
        if matching == 0:
            return _empty()
        if matching <= max(self.exact_limit, k) or matching**2 <= 2 * k * total:
            return self._mirror.search_rows(query, k, rows)
        allowed_keys = self._mirror.keys_at(rows)
        # Expect matching/total of the graph's answers to pass; ask for twice that many.
        count = math.ceil(2 * k * total / matching) + 16
        while count <= _MAX_OVERSAMPLED_SHARE * total:
            keys, scores = self._graph_search(query, count)
            passing = np.isin(keys, allowed_keys)
            if int(passing.sum()) >= k:
                return keys[passing][:k], scores[passing][:k]
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
        """Write the graph to `path` atomically (readers never see half a file)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        os.close(handle)
        try:
            self._index.save(temporary)
            publish_file(Path(temporary), path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @classmethod
    def load(
        cls,
        path: Path,
        *,
        exact_limit: int = DEFAULT_EXACT_LIMIT,
        expansion_search: int = DEFAULT_EXPANSION_SEARCH,
    ) -> UsearchIndex:
        from usearch.index import Index

        restored = Index.restore(str(path))
        if restored is None:
            raise ValueError(f"{path} is not a usearch index")
        # The file does not keep the search breadth: a restored index would search with
        # usearch's default of 64.
        restored.expansion_search = expansion_search  # type: ignore[misc]  # has a setter
        return cls(int(restored.ndim), exact_limit=exact_limit, index=restored)

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


def _empty() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
