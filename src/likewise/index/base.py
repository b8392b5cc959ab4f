"""The vector index protocol: integer keys to unit vectors, top-k by inner product."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt


class VectorIndex(Protocol):
    """Nearest neighbours by cosine (inner product of unit vectors).

    `allowed` restricts results to those keys and must still return the true top-k among
    them, however few they are (no post-filter starvation).
    """

    def __len__(self) -> int: ...

    def add(self, keys: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]) -> None:
        """Insert or replace vectors by key."""
        ...

    def remove(self, keys: npt.NDArray[np.int64]) -> None: ...

    def search(
        self,
        query: npt.NDArray[np.float32],
        k: int,
        allowed: npt.NDArray[np.int64] | None = None,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """(keys, similarities) best first, at most k."""
        ...

    def vector(self, key: int) -> npt.NDArray[np.float32] | None: ...

    def similarities_for(
        self, query: npt.NDArray[np.float32], keys: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """(keys, inner products with the query) for those of `keys` that are indexed, in
        one pass: what fusion needs for candidates the graph search did not return."""
        ...

    def save(self, path: Path) -> None: ...
