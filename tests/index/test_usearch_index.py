"""UsearchIndex: high recall unfiltered, exact top-k under selective filters, durable files;
the same for the compressed graph that re-ranks with the full vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sample_vectors import (
    brute_force_top_k,
    clustered_unit_vectors,
    random_unit_vectors,
    unit_rows,
)

from likewise.index.linear_reduction import fit_pca
from likewise.index.usearch_index import UsearchIndex, expansion_for, reduction_path


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


def test_graphs_of_millions_search_twice_as_broadly() -> None:
    assert expansion_for(0) == 400
    assert expansion_for(1_999_999) == 400
    assert expansion_for(2_000_000) == 800
    assert expansion_for(3_000_000) == 800


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
    # The new vector is one no other key holds: an exact copy of another key's vector lets
    # HNSW's neighbour pruning cut that key off the graph now and then (about 1 run in 100),
    # which is not what this test is about.
    vectors = random_unit_vectors(501, 32, seed=20)
    fresh = vectors[500]
    index = UsearchIndex(32)
    index.add(np.arange(500, dtype=np.int64), vectors[:500])
    index.add(np.array([7], dtype=np.int64), vectors[500:501])
    assert len(index) == 500
    assert index.search(fresh, 1)[0].tolist() == [7]
    assert 7 not in index.search(vectors[7], 1)[0].tolist()
    stored = index.vector(7)
    assert stored is not None and np.allclose(stored, fresh, atol=1e-3)


# -- compressed: a reduced graph, re-ranked with the full vectors ----------------------------


def _low_rank_vectors(count: int, seed: int) -> np.ndarray:
    """64-d unit vectors whose spread lies mostly in 24 directions, as embeddings' does."""
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((64, 64)))[0]
    centres = rng.standard_normal((80, 24)) * 2
    signal = centres[rng.integers(0, 80, count)] + rng.standard_normal((count, 24))
    noise = rng.standard_normal((count, 40)) * 0.15
    return unit_rows(np.hstack([signal, noise]) @ basis.T)


@pytest.fixture(scope="module")
def low_rank() -> tuple[np.ndarray, np.ndarray]:
    return np.arange(8000, dtype=np.int64) * 2 + 5, _low_rank_vectors(8000, seed=31)


@pytest.fixture(scope="module")
def compressed(low_rank: tuple[np.ndarray, np.ndarray]) -> UsearchIndex:
    keys, vectors = low_rank
    reduction = fit_pca(vectors, 24)
    return UsearchIndex(64, dtype="i8", reduction=reduction, full_vectors=(keys, vectors))


def _recall(
    index: UsearchIndex, keys: np.ndarray, vectors: np.ndarray, queries: np.ndarray
) -> float:
    hits = 0
    for query in queries:
        found, _ = index.search(query, 10)
        hits += len(set(found.tolist()) & set(brute_force_top_k(keys, vectors, query, 10)))
    return hits / (10 * len(queries))


def test_a_compressed_index_recalls_the_exact_top_10_of_the_full_vectors(
    compressed: UsearchIndex, low_rank: tuple[np.ndarray, np.ndarray]
) -> None:
    keys, vectors = low_rank
    assert compressed.kind == "usearch-compressed" and len(compressed) == 8000
    assert compressed._index.ndim == 24
    queries = _queries(vectors, 100, seed=32)
    assert _recall(compressed, keys, vectors, queries) >= 0.95
    # Scores come from the full vectors (stored as float16), not from the reduced graph.
    found, scores = compressed.search(queries[0], 10)
    assert np.allclose(scores, vectors[(found - 5) // 2] @ queries[0], atol=2e-3)
    assert np.all(np.diff(scores) <= 1e-6)


def test_re_ranking_more_candidates_recalls_at_least_as_well(
    low_rank: tuple[np.ndarray, np.ndarray],
) -> None:
    keys, vectors = low_rank
    reduction = fit_pca(vectors, 12)  # too few dimensions to rank well unaided
    queries = _queries(vectors, 50, seed=33)
    figures = []
    for factor in (1, 8):
        index = UsearchIndex(
            64, dtype="i8", reduction=reduction, rerank_factor=factor, full_vectors=(keys, vectors)
        )
        figures.append(_recall(index, keys, vectors, queries))
    # Measured: 0.48 with the graph's own order, 0.96 re-ranking 8x the candidates.
    assert figures[0] < 0.8 and figures[1] >= 0.9


def test_a_compressed_index_reloads_from_its_file_and_sidecar(
    tmp_path: Path, compressed: UsearchIndex, low_rank: tuple[np.ndarray, np.ndarray]
) -> None:
    keys, vectors = low_rank
    path = tmp_path / "index.usearch"
    compressed.save(path)
    assert sorted(item.name for item in tmp_path.iterdir()) == [
        "index.usearch",
        "index.usearch.reduction.npz",
    ]
    assert reduction_path(path).name == "index.usearch.reduction.npz"
    plain = UsearchIndex(64, dtype="i8")
    plain.add(keys, vectors)
    plain.save(tmp_path / "plain.usearch")
    # 24 int8 scalars per vector instead of 64: 40 bytes less per vector, the links alike.
    saved = (tmp_path / "plain.usearch").stat().st_size - path.stat().st_size
    assert saved >= 0.9 * 8000 * (64 - 24)
    with pytest.raises(ValueError):
        UsearchIndex.load(path)  # the full vectors live in the store, not in the file
    loaded = UsearchIndex.load(path, full_vectors=(keys, vectors))
    assert loaded.kind == "usearch-compressed" and len(loaded) == 8000
    assert loaded.reduction is not None and loaded.reduction.same_as(compressed.reduction)  # type: ignore[arg-type]
    for query in _queries(vectors, 5, seed=34):
        assert loaded.search(query, 10)[0].tolist() == compressed.search(query, 10)[0].tolist()
    stored = loaded.vector(int(keys[42]))
    assert stored is not None and np.allclose(stored, vectors[42], atol=1e-3)


def test_a_reloaded_compressed_index_follows_the_stores_vectors(
    tmp_path: Path, low_rank: tuple[np.ndarray, np.ndarray]
) -> None:
    keys, vectors = low_rank
    keys, vectors = keys[:2000], vectors[:2000]
    index = UsearchIndex(64, reduction=fit_pca(vectors, 24), full_vectors=(keys, vectors))
    index.save(tmp_path / "index.usearch")
    # Since the save: key 0 left the store, key 1's paper changed, a new paper came.
    changed = vectors.copy()
    changed[1] = vectors[1500]
    fresh = _low_rank_vectors(1, seed=35)
    store_keys = np.concatenate([keys[1:], [99_999]])
    store_vectors = np.vstack([changed[1:], fresh])
    loaded = UsearchIndex.load(tmp_path / "index.usearch", full_vectors=(store_keys, store_vectors))
    assert len(loaded) == 2000 and loaded.vector(int(keys[0])) is None
    assert loaded.search(fresh[0], 1)[0].tolist() == [99_999]
    assert sorted(loaded.search(vectors[1500], 2)[0].tolist()) == sorted([keys[1], keys[1500]])
    found, _ = loaded.search(vectors[0], 50)
    assert int(keys[0]) not in found.tolist()
    exported_keys, exported = loaded.export()
    order = np.argsort(store_keys)
    assert exported_keys.tolist() == store_keys[order].tolist()
    assert np.allclose(exported, store_vectors[order], atol=1e-3)


def test_saving_a_plain_index_over_a_compressed_one_drops_the_sidecar(tmp_path: Path) -> None:
    vectors = _low_rank_vectors(500, seed=36)
    keys = np.arange(500, dtype=np.int64)
    path = tmp_path / "index.usearch"
    UsearchIndex(64, reduction=fit_pca(vectors, 16), full_vectors=(keys, vectors)).save(path)
    assert reduction_path(path).is_file()
    plain = UsearchIndex(64)
    plain.add(keys, vectors)
    plain.save(path)
    assert not reduction_path(path).exists()
    assert UsearchIndex.load(path).kind == "usearch"


def test_a_selective_filter_on_a_compressed_index_gives_the_exact_top_k(
    compressed: UsearchIndex, low_rank: tuple[np.ndarray, np.ndarray]
) -> None:
    keys, vectors = low_rank
    rows = np.array([3, 300, 3000, 7000, 7999])
    query = _queries(vectors, 1, seed=37)[0]
    found, _ = compressed.search(query, 3, allowed=keys[rows])
    assert found.tolist() == brute_force_top_k(keys[rows], vectors[rows], query, 3)


def test_a_broad_filter_on_a_compressed_index_oversamples_and_re_ranks(
    low_rank: tuple[np.ndarray, np.ndarray],
) -> None:
    keys, vectors = low_rank
    index = UsearchIndex(
        64, dtype="i8", reduction=fit_pca(vectors, 24), exact_limit=10, full_vectors=(keys, vectors)
    )
    rows = np.random.default_rng(38).choice(len(keys), 4000, replace=False)
    allowed = set(keys[rows].tolist())
    hits = 0
    queries = _queries(vectors, 30, seed=39)
    for query in queries:
        found, scores = index.search(query, 10, allowed=keys[rows])
        assert len(found) == 10 and set(found.tolist()) <= allowed
        assert np.all(np.diff(scores) <= 1e-6)
        hits += len(
            set(found.tolist()) & set(brute_force_top_k(keys[rows], vectors[rows], query, 10))
        )
    assert hits / (10 * len(queries)) >= 0.95


def test_adding_and_removing_keep_a_compressed_index_in_step() -> None:
    vectors = _low_rank_vectors(1000, seed=40)
    index = UsearchIndex(64, reduction=fit_pca(vectors, 16))
    index.add(np.arange(900, dtype=np.int64), vectors[:900])
    index.add(np.arange(900, 1000, dtype=np.int64), vectors[900:])
    index.add(np.array([7], dtype=np.int64), vectors[950:951])  # replaced
    index.remove(np.array([950], dtype=np.int64))
    assert len(index) == 999
    assert index.search(vectors[950], 1)[0].tolist() == [7]
    assert index.search(vectors[3], 1)[0].tolist() == [3]


def test_a_reduction_of_another_dimension_is_refused() -> None:
    with pytest.raises(ValueError):
        UsearchIndex(32, reduction=fit_pca(np.eye(64), 8))


def test_an_empty_compressed_index_reloads_with_its_int8_graph(tmp_path: Path) -> None:
    reduction = fit_pca(_low_rank_vectors(200, seed=41), 16)
    UsearchIndex(64, dtype="i8", reduction=reduction).save(tmp_path / "index.usearch")
    nothing = (np.zeros(0, dtype=np.int64), np.zeros((0, 64), dtype=np.float32))
    loaded = UsearchIndex.load(tmp_path / "index.usearch", full_vectors=nothing)
    assert len(loaded) == 0 and loaded.kind == "usearch-compressed"
    assert "i8" in str(loaded._index.dtype).lower()
    vectors = _low_rank_vectors(50, seed=42)
    loaded.add(np.arange(50, dtype=np.int64), vectors)
    assert loaded.search(vectors[7], 1)[0].tolist() == [7]
