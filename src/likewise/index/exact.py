"""Exact nearest neighbours: a NumPy matrix of unit vectors searched by inner product.

Also the exactness fallback of the ANN index: `top_k_exact` ranks any set of vectors.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from likewise.index.persisted import publish_file

# Below this many allowed keys, rows are looked up one by one; above, a vectorised isin wins.
_DICT_LOOKUP_LIMIT = 4096
# When the allowed rows are at least 1/this of the matrix, score all rows instead of copying.
_GATHER_SHARE = 4


def inner_products(
    vectors: npt.NDArray[np.floating[Any]], query: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """vectors @ query as float32."""
    # einsum runs on one core without BLAS threads, which stall on a busy 2-core machine
    # (3x slower than einsum there); float16 storage is widened first.
    scores: npt.NDArray[np.float32] = np.einsum(
        "ij,j->i", vectors.astype(np.float32, copy=False), query.astype(np.float32, copy=False)
    )
    return scores


def top_k_of_scores(
    keys: npt.NDArray[np.int64], scores: npt.NDArray[np.float32], k: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """The k best (key, score) pairs, best first; ties go to the smaller key."""
    if k <= 0 or len(keys) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    if k < len(scores):
        # Everything tied with the k-th best competes, so the cut never depends on row order.
        kth_best = scores[np.argpartition(-scores, k - 1)[k - 1]]
        candidates = np.flatnonzero(scores >= kth_best)
    else:
        candidates = np.arange(len(scores))
    order = np.lexsort((keys[candidates], -scores[candidates]))
    chosen = candidates[order][:k]
    return keys[chosen].astype(np.int64), scores[chosen].astype(np.float32)


def top_k_exact(
    keys: npt.NDArray[np.int64],
    vectors: npt.NDArray[np.floating[Any]],
    query: npt.NDArray[np.float32],
    k: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """The k rows of `vectors` with the highest inner product with `query`, best first."""
    if k <= 0 or len(keys) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    return top_k_of_scores(keys, inner_products(vectors, query), k)


def check_vectors(
    keys: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32], dimension: int | None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Validate an add() batch and return it as (int64 keys, float32 C-contiguous matrix)."""
    keys = np.asarray(keys, dtype=np.int64).reshape(-1)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != len(keys):
        raise ValueError(f"expected {len(keys)} vectors, got an array of shape {vectors.shape}")
    if dimension is not None and vectors.shape[1] != dimension:
        raise ValueError(f"expected vectors of dimension {dimension}, got {vectors.shape[1]}")
    if len(np.unique(keys)) != len(keys):
        raise ValueError("duplicate keys in one add() call")
    if len(keys) and keys.min() < 0:
        raise ValueError("keys must be non-negative")
    return keys, vectors


class ExactIndex:
    """Brute-force inner product over every stored vector; exact for any filter.

    `storage` float16 halves the memory (the ANN index keeps such a mirror for filtered
    scoring); scores then carry float16 rounding (about 1e-3).
    """

    def __init__(self, dimension: int, storage: type[np.floating[Any]] = np.float32) -> None:
        self.dimension = dimension
        self._storage = storage
        self._keys = np.zeros(0, dtype=np.int64)
        self._matrix: npt.NDArray[np.floating[Any]] = np.zeros((0, dimension), dtype=storage)
        self._size = 0
        self._row_of: dict[int, int] = {}
        # (version, sorted keys, their rows): a search thread may build it while another
        # thread adds or removes, so it is only trusted for the version it was built from.
        self._version = 0
        self._sorted: tuple[int, npt.NDArray[np.int64], npt.NDArray[np.int64]] | None = None

    def __len__(self) -> int:
        return self._size

    @property
    def keys(self) -> npt.NDArray[np.int64]:
        return self._keys[: self._size].copy()

    def add(self, keys: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]) -> None:
        keys, vectors = check_vectors(keys, vectors, self.dimension)
        fresh: list[int] = []
        for position, key in enumerate(keys.tolist()):
            row = self._row_of.get(key)
            if row is None:
                fresh.append(position)
            else:
                self._matrix[row] = vectors[position]
        if not fresh:
            return
        self._reserve(self._size + len(fresh))
        start, stop = self._size, self._size + len(fresh)
        self._keys[start:stop] = keys[fresh]
        self._matrix[start:stop] = vectors[fresh]
        for offset, key in enumerate(keys[fresh].tolist()):
            self._row_of[key] = start + offset
        self._size = stop
        self._version += 1

    def remove(self, keys: npt.NDArray[np.int64]) -> None:
        for key in np.asarray(keys, dtype=np.int64).reshape(-1).tolist():
            row = self._row_of.pop(key, None)
            if row is None:
                continue
            last = self._size - 1
            if row != last:
                # Move the last row into the hole so the live rows stay contiguous.
                moved_key = int(self._keys[last])
                self._keys[row] = moved_key
                self._matrix[row] = self._matrix[last]
                self._row_of[moved_key] = row
            self._size = last
        self._version += 1

    def search(
        self,
        query: npt.NDArray[np.float32],
        k: int,
        allowed: npt.NDArray[np.int64] | None = None,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        if allowed is None:
            return top_k_exact(self._keys[: self._size], self._matrix[: self._size], query, k)
        return self.search_rows(query, k, self.rows_for(allowed))

    def search_rows(
        self, query: npt.NDArray[np.float32], k: int, rows: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """The exact top k among the given matrix rows (from `rows_for`)."""
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        if len(rows) * _GATHER_SHARE < self._size:
            return top_k_exact(self._keys[rows], self._matrix[rows], query, k)
        # Scoring every contiguous row beats gathering a large share of the matrix.
        scores = inner_products(self._matrix[: self._size], query)
        return top_k_of_scores(self._keys[rows], scores[rows], k)

    def rows_for(self, allowed: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Matrix rows of the allowed keys that are present (unknown keys are skipped)."""
        allowed = np.asarray(allowed, dtype=np.int64).reshape(-1)
        if len(allowed) <= _DICT_LOOKUP_LIMIT:
            row_of = self._row_of
            rows = {row_of[key] for key in allowed.tolist() if key in row_of}
            return np.fromiter(rows, dtype=np.int64, count=len(rows))
        # Binary search in a sorted copy of the keys: O(m log n), where isin over every key
        # sorted the whole key array per query (50 ms for 5,000 keys among 1M).
        sorted_keys, rows_by_key = self._sorted_keys()
        if len(sorted_keys) == 0:
            return np.zeros(0, dtype=np.int64)
        slots = np.searchsorted(sorted_keys, allowed).clip(max=len(sorted_keys) - 1)
        present = sorted_keys[slots] == allowed
        return np.unique(rows_by_key[slots[present]]).astype(np.int64)

    def _sorted_keys(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """(keys in ascending order, the row of each); rebuilt after any add or remove."""
        cached = self._sorted
        if cached is None or cached[0] != self._version:
            version = self._version  # read first: a change during the sort makes it stale
            order = np.argsort(self._keys[: self._size], kind="stable").astype(np.int64)
            cached = (version, self._keys[order], order)
            self._sorted = cached
        return cached[1], cached[2]

    def similarities_for(
        self, query: npt.NDArray[np.float32], keys: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        rows = self.rows_for(keys)
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        return self._keys[rows].copy(), inner_products(self._matrix[rows], query)

    def keys_at(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """The keys stored in the given matrix rows."""
        return self._keys[rows].copy()

    def vector(self, key: int) -> npt.NDArray[np.float32] | None:
        row = self._row_of.get(int(key))
        return None if row is None else self._matrix[row].astype(np.float32)

    def vectors_for(
        self, keys: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """(present keys, their vectors) for the given keys."""
        rows = self.rows_for(keys)
        return self._keys[rows].copy(), self._matrix[rows].astype(np.float32)

    def export(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Every (key, vector), ordered by key."""
        order = np.argsort(self._keys[: self._size], kind="stable")
        return self._keys[order].copy(), self._matrix[order].astype(np.float32)

    def save(self, path: Path) -> None:
        """Write keys and vectors to `path` atomically (readers never see half a file)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as file:
                np.savez(file, keys=self._keys[: self._size], vectors=self._matrix[: self._size])
            publish_file(Path(temporary), path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> ExactIndex:
        with np.load(path, allow_pickle=False) as data:
            keys = np.asarray(data["keys"], dtype=np.int64)
            vectors = np.asarray(data["vectors"], dtype=np.float32)
        index = cls(vectors.shape[1])
        index.add(keys, vectors)
        return index

    def _reserve(self, needed: int) -> None:
        capacity = len(self._keys)
        if needed <= capacity:
            return
        grown = max(needed, capacity * 2, 1024)
        keys = np.zeros(grown, dtype=np.int64)
        matrix = np.zeros((grown, self.dimension), dtype=self._storage)
        keys[: self._size] = self._keys[: self._size]
        matrix[: self._size] = self._matrix[: self._size]
        self._keys, self._matrix = keys, matrix
