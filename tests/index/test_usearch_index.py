"""UsearchIndex: high recall unfiltered, exact top-k under selective filters, durable files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sample_vectors import brute_force_top_k, clustered_unit_vectors, random_unit_vectors

from likewise.index.usearch_index import UsearchIndex


@pytest.fixture(scope="module")
def clustered() -> tuple[np.ndarray, np.ndarray]:
    vectors = clustered_unit_vectors(20_000, 48, clusters=150, seed=11)
    return np.arange(20_000, dtype=np.int64) * 3 + 1, vectors


@pytest.fixture(scope="module")
def built(clustered: tuple[np.ndarray, np.ndarray]) -> UsearchIndex:
    keys, vectors = clustered
    index = UsearchIndex(48)
    index.add(keys, vectors)
    return index


def _queries(vectors: np.ndarray, count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    picked = vectors[rng.choice(len(vectors), count, replace=False)]
    noisy = picked + rng.standard_normal(picked.shape) * 0.1
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


def test_recall_at_10_on_clustered_vectors_is_at_least_95_percent(
    built: UsearchIndex, clustered: tuple[np.ndarray, np.ndarray]
) -> None:
    keys, vectors = clustered
    hits = 0
    queries = _queries(vectors, 100, seed=12)
    for query in queries:
        found, _ = built.search(query, 10)
        hits += len(set(found.tolist()) & set(brute_force_top_k(keys, vectors, query, 10)))
    assert hits / (10 * len(queries)) >= 0.95


def test_similarities_are_inner_products_best_first(
    built: UsearchIndex, clustered: tuple[np.ndarray, np.ndarray]
) -> None:
    _, vectors = clustered
    query = _queries(vectors, 1, seed=13)[0]
    found, scores = built.search(query, 10)
    expected = vectors[(found - 1) // 3] @ query
    assert np.allclose(scores, expected, atol=2e-3)
    assert np.all(np.diff(scores) <= 1e-6)


def test_five_allowed_keys_out_of_20000_give_the_brute_force_top_k(
    built: UsearchIndex, clustered: tuple[np.ndarray, np.ndarray]
) -> None:
    keys, vectors = clustered
    rows = np.array([5, 777, 4321, 12_000, 19_998])
    query = _queries(vectors, 1, seed=14)[0]
    found, _ = built.search(query, 3, allowed=keys[rows])
    assert found.tolist() == brute_force_top_k(keys[rows], vectors[rows], query, 3)
    everything, _ = built.search(query, 10, allowed=keys[rows])
    assert sorted(everything.tolist()) == sorted(keys[rows].tolist())


def test_a_filter_far_from_the_query_falls_back_to_exact_scoring() -> None:
    vectors = clustered_unit_vectors(6000, 48, clusters=60, seed=21)
    keys = np.arange(6000, dtype=np.int64)
    index = UsearchIndex(48, exact_limit=10)
    index.add(keys, vectors)
    query = vectors[0]
    # The 1,000 papers least like the query: the graph's neighbourhood holds none of them.
    far_rows = np.argsort(vectors @ query)[:1000]
    found, _ = index.search(query, 10, allowed=keys[far_rows])
    # Exact over what the index stores: float16 copies of the vectors.
    stored = vectors[far_rows].astype(np.float16).astype(np.float32)
    assert found.tolist() == brute_force_top_k(keys[far_rows], stored, query, 10)


def test_a_broad_filter_returns_k_allowed_keys_with_high_recall(
    built: UsearchIndex, clustered: tuple[np.ndarray, np.ndarray]
) -> None:
    keys, vectors = clustered
    rows = np.random.default_rng(15).choice(len(keys), 4000, replace=False)
    allowed = set(keys[rows].tolist())
    hits = 0
    queries = _queries(vectors, 30, seed=16)
    for query in queries:
        found, _ = built.search(query, 10, allowed=keys[rows])
        assert len(found) == 10 and set(found.tolist()) <= allowed
        expected = brute_force_top_k(keys[rows], vectors[rows], query, 10)
        hits += len(set(found.tolist()) & set(expected))
    assert hits / (10 * len(queries)) >= 0.95


def test_saving_and_loading_gives_the_same_answers(tmp_path: Path) -> None:
    vectors = random_unit_vectors(3000, 32, seed=17)
    index = UsearchIndex(32)
    index.add(np.arange(3000, dtype=np.int64), vectors)
    path = tmp_path / "index.usearch"
    index.save(path)
    loaded = UsearchIndex.load(path)
    assert len(loaded) == 3000
    assert sorted(loaded.keys.tolist()) == list(range(3000))
    for query in random_unit_vectors(5, 32, seed=18):
        assert loaded.search(query, 10)[0].tolist() == index.search(query, 10)[0].tolist()
        allowed = np.array([3, 30, 300])
        expected = index.search(query, 2, allowed)[0].tolist()
        assert loaded.search(query, 2, allowed)[0].tolist() == expected
    stored = loaded.vector(42)
    assert stored is not None and np.allclose(stored, vectors[42], atol=1e-3)
    assert [item.name for item in tmp_path.iterdir()] == ["index.usearch"]


def test_a_loaded_index_searches_as_broadly_as_a_built_one(tmp_path: Path) -> None:
    # usearch's file does not keep the search breadth; a restored index must not fall back
    # to the library's narrower default.
    index = UsearchIndex(16, expansion_search=300)
    index.add(np.arange(100, dtype=np.int64), random_unit_vectors(100, 16, seed=19))
    index.save(tmp_path / "index.usearch")
    assert UsearchIndex.load(tmp_path / "index.usearch")._index.expansion_search == 400
    narrow = UsearchIndex.load(tmp_path / "index.usearch", expansion_search=50)
    assert narrow._index.expansion_search == 50


def test_added_keys_are_found_and_removed_keys_are_gone() -> None:
    vectors = random_unit_vectors(1200, 32, seed=19)
    index = UsearchIndex(32)
    index.add(np.arange(1000, dtype=np.int64), vectors[:1000])
    index.add(np.arange(1000, 1200, dtype=np.int64), vectors[1000:])
    assert len(index) == 1200
    found, _ = index.search(vectors[1100], 1)
    assert found.tolist() == [1100]
    index.remove(np.array([1100, 5], dtype=np.int64))
    assert len(index) == 1198
    assert index.vector(1100) is None
    found, _ = index.search(vectors[1100], 50)
    assert 1100 not in found.tolist() and 5 not in found.tolist()
    assert index.search(vectors[5], 5, allowed=np.array([5]))[0].tolist() == []


def test_adding_an_existing_key_replaces_its_vector() -> None:
    vectors = random_unit_vectors(500, 32, seed=20)
    index = UsearchIndex(32)
    index.add(np.arange(500, dtype=np.int64), vectors)
    index.add(np.array([7], dtype=np.int64), vectors[300:301])
    assert len(index) == 500
    found, _ = index.search(vectors[300], 2)
    assert sorted(found.tolist()) == [7, 300]
    stored = index.vector(7)
    assert stored is not None and np.allclose(stored, vectors[300], atol=1e-3)
