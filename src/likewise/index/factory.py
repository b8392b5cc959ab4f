"""Choose and build the vector index for a catalog: exact below the ANN threshold, usearch above."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from likewise.index.base import VectorIndex
from likewise.index.exact import ExactIndex
from likewise.index.usearch_index import UsearchIndex


def wants_ann(count: int, ann_threshold: int) -> bool:
    """Whether a catalog of `count` vectors is served by the ANN index."""
    return count > ann_threshold


def build_index(
    keys: npt.NDArray[np.int64],
    vectors: npt.NDArray[np.float32],
    *,
    dimension: int,
    ann_threshold: int,
) -> VectorIndex:
    """An index holding the given vectors, of the kind their number calls for."""
    index: VectorIndex
    if wants_ann(len(keys), ann_threshold):
        index = UsearchIndex(dimension)
    else:
        index = ExactIndex(dimension)
    index.add(np.asarray(keys, dtype=np.int64), np.asarray(vectors, dtype=np.float32))
    return index
