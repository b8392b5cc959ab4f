"""The nearest-neighbour halves of the personal feed: a candidate scores its similarity to the
reader's single closest paper — item-based k-nearest-neighbour scoring with k = 1 (Sarwar et
al., "Item-based Collaborative Filtering Recommendation Algorithms", WWW 2001), with content
cosines in place of rating similarities; every reader from one product of stacked positives."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt


def block_nearest(
    sizes: Sequence[int], similarities: npt.NDArray[np.float32]
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """similarities: (sum(sizes), candidates), the rows of reader 0's positives, then reader
    1's, ... Returns (best, index): per reader and candidate the largest similarity and the
    index (within that reader's positives) it came from; 0.0 and -1 for a reader with none."""
    count = similarities.shape[1]
    best = np.zeros((len(sizes), count), dtype=np.float32)
    index = np.full((len(sizes), count), -1, dtype=np.int64)
    if sum(sizes) != similarities.shape[0]:
        raise ValueError("one similarity row per positive is needed")
    start = 0
    for row, size in enumerate(sizes):
        if size:
            block = similarities[start : start + size]
            index[row] = block.argmax(axis=0)
            best[row] = block[index[row], np.arange(count)]
        start += size
    return best, index
