"""ExactIndex returns exactly what brute force returns, with and without filters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sample_vectors import brute_force_top_k, random_unit_vectors

from likewise.index.exact import ExactIndex, top_k_exact


def _filled(count: int = 2000, dimension: int = 32, seed: int = 1) -> tuple[ExactIndex, np.ndarray]:
    vectors = random_unit_vectors(count, dimension, seed)
    index = ExactIndex(dimension)
    index.add(np.arange(count, dtype=np.int64) * 7 + 3, vectors)
    return index, vectors


def test_search_matches_brute_force_over_random_vectors() -> None:
    index, vectors = _filled()
    keys = np.arange(len(vectors), dtype=np.int64) * 7 + 3
    for query in random_unit_vectors(5, 32, seed=99):
        found, scores = index.search(query, 10)
        assert found.tolist() == brute_force_top_k(keys, vectors, query, 10)
        assert np.allclose(scores, vectors[(found - 3) // 7] @ query, atol=1e-5)
        assert np.all(np.diff(scores) <= 0)


def test_a_selective_filter_returns_the_brute_force_top_k_among_allowed_keys() -> None:
    count = 20_000
    vectors = random_unit_vectors(count, 16, seed=2)
    index = ExactIndex(16)
    keys = np.arange(count, dtype=np.int64)
    index.add(keys, vectors)
    allowed = np.array([17, 4242, 9001, 15000, 19999], dtype=np.int64)
    query = random_unit_vectors(1, 16, seed=3)[0]
    found, _ = index.search(query, 3, allowed=allowed)
    assert found.tolist() == brute_force_top_k(allowed, vectors[allowed], query, 3)


def test_a_large_filter_returns_the_brute_force_top_k_among_allowed_keys() -> None:
    index, vectors = _filled(count=9000)
    keys = np.arange(9000, dtype=np.int64) * 7 + 3
    allowed_rows = np.random.default_rng(4).choice(9000, size=6000, replace=False)
    query = random_unit_vectors(1, 32, seed=5)[0]
    found, _ = index.search(query, 20, allowed=keys[allowed_rows])
    expected = brute_force_top_k(keys[allowed_rows], vectors[allowed_rows], query, 20)
    assert found.tolist() == expected


def test_allowed_keys_that_are_not_indexed_are_ignored() -> None:
    index, _ = _filled(count=100)
    found, _ = index.search(random_unit_vectors(1, 32, 6)[0], 5, allowed=np.array([3, 4, 5]))
    assert found.tolist() == [3]


def test_k_larger_than_the_index_returns_every_vector_once() -> None:
    index, _ = _filled(count=12)
    found, _ = index.search(random_unit_vectors(1, 32, 7)[0], 50)
    assert sorted(found.tolist()) == sorted((np.arange(12) * 7 + 3).tolist())


def test_adding_an_existing_key_replaces_its_vector() -> None:
    index, vectors = _filled(count=50)
    replacement = -vectors[0]
    index.add(np.array([3], dtype=np.int64), replacement[None, :])
    assert len(index) == 50
    stored = index.vector(3)
    assert stored is not None and np.allclose(stored, replacement)
    found, _ = index.search(replacement, 1)
    assert found.tolist() == [3]


def test_removed_keys_are_never_returned_and_the_rest_stay_exact() -> None:
    index, vectors = _filled(count=300)
    keys = np.arange(300, dtype=np.int64) * 7 + 3
    removed = keys[::3]
    index.remove(np.concatenate([removed, np.array([999_999])]))
    kept_rows = np.setdiff1d(np.arange(300), np.arange(300)[::3])
    assert len(index) == len(kept_rows)
    query = random_unit_vectors(1, 32, 8)[0]
    found, _ = index.search(query, 25)
    assert found.tolist() == brute_force_top_k(keys[kept_rows], vectors[kept_rows], query, 25)
    assert index.vector(int(removed[0])) is None


def test_save_and_load_keep_every_vector(tmp_path: Path) -> None:
    index, _ = _filled(count=400)
    path = tmp_path / "exact.npz"
    index.save(path)
    loaded = ExactIndex.load(path)
    query = random_unit_vectors(1, 32, 9)[0]
    assert len(loaded) == len(index)
    assert loaded.search(query, 10)[0].tolist() == index.search(query, 10)[0].tolist()
    assert list(tmp_path.iterdir()) == [path]


def test_vectors_of_the_wrong_dimension_are_refused() -> None:
    index = ExactIndex(8)
    with pytest.raises(ValueError, match="dimension"):
        index.add(np.array([1], dtype=np.int64), np.ones((1, 9), dtype=np.float32))


def test_ties_are_broken_by_the_smaller_key() -> None:
    vectors = np.tile(np.eye(4, dtype=np.float32)[0], (4, 1))
    keys, _ = top_k_exact(np.array([9, 2, 7, 4], dtype=np.int64), vectors, vectors[0], 3)
    assert keys.tolist() == [2, 4, 7]


def test_a_filter_of_many_keys_after_removals_and_additions_stays_exact() -> None:
    # Over 4,096 allowed keys takes the sorted-key lookup; it must follow every change.
    index, vectors = _filled(count=12_000)
    keys = np.arange(12_000, dtype=np.int64) * 7 + 3
    rng = np.random.default_rng(8)
    allowed = keys[rng.choice(12_000, size=5_000, replace=False)]
    query = random_unit_vectors(1, 32, seed=9)[0]
    index.search(query, 10, allowed=allowed)  # builds the sorted view before the changes
    removed = allowed[:2_000]
    index.remove(removed)
    found, _ = index.search(query, 10, allowed=allowed)
    kept = allowed[2_000:]
    assert found.tolist() == brute_force_top_k(kept, vectors[(kept - 3) // 7], query, 10)
    extra = random_unit_vectors(50, 32, seed=10)
    extra_keys = np.arange(50, dtype=np.int64) * 7 + 1_000_000
    index.add(extra_keys, extra)
    # Unknown keys and duplicates in the filter are ignored.
    asked = np.concatenate([allowed, extra_keys, extra_keys[:5], np.array([5, 6], np.int64)])
    found, _ = index.search(query, 10, allowed=asked)
    live = np.concatenate([allowed[2_000:], extra_keys])
    live_vectors = np.concatenate([vectors[(allowed[2_000:] - 3) // 7], extra])
    assert found.tolist() == brute_force_top_k(live, live_vectors, query, 10)


def test_similarities_for_given_keys_skip_unknown_keys_and_match_inner_products() -> None:
    index, vectors = _filled(count=300)
    query = random_unit_vectors(1, 32, seed=12)[0]
    found, similarities = index.similarities_for(query, np.array([3, 11, 3 + 7 * 299, 4]))
    assert sorted(found.tolist()) == [3, 3 + 7 * 299]
    for key, similarity in zip(found.tolist(), similarities.tolist(), strict=True):
        assert similarity == pytest.approx(float(vectors[(key - 3) // 7] @ query), abs=1e-5)
