"""The factory serves small catalogs exactly and large ones with the ANN index."""

from __future__ import annotations

import numpy as np
from sample_vectors import random_unit_vectors

from likewise.index.exact import ExactIndex
from likewise.index.factory import build_index
from likewise.index.usearch_index import UsearchIndex


def test_a_catalog_at_the_threshold_is_searched_exactly() -> None:
    vectors = random_unit_vectors(50, 16, seed=1)
    index = build_index(np.arange(50), vectors, dimension=16, ann_threshold=50)
    assert isinstance(index, ExactIndex) and len(index) == 50


def test_a_catalog_above_the_threshold_gets_the_ann_index() -> None:
    vectors = random_unit_vectors(51, 16, seed=2)
    index = build_index(np.arange(51), vectors, dimension=16, ann_threshold=50)
    assert isinstance(index, UsearchIndex) and len(index) == 51
    assert index.search(vectors[3], 1)[0].tolist() == [3]
