"""The pgvector index: exact answers where the graph cannot give them, upserts, removals and
sharing between processes. Needs PostgreSQL; the COPY encoding test runs anywhere."""

from __future__ import annotations

import os
import struct
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from sqlalchemy import create_engine, text

from likewise.index.pgvector_index import (
    COPY_HEADER,
    PgvectorIndex,
    PgvectorIndexError,
    binary_copy_rows,
    unique_keys,
)

needs_postgres = pytest.mark.skipif(
    os.environ.get("LIKEWISE_TEST_BACKEND", "sqlite") != "postgres",
    reason="needs the PostgreSQL pass",
)
DIMENSIONS = 16


def unit_vectors(count: int, seed: int) -> npt.NDArray[np.float32]:
    matrix = np.random.default_rng(seed).standard_normal((count, DIMENSIONS)).astype(np.float32)
    normalised: npt.NDArray[np.float32] = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    return normalised


def true_top(
    keys: npt.NDArray[np.int64], matrix: npt.NDArray[np.float32], query: Any, k: int
) -> list[int]:
    order = np.argsort(-(matrix @ query), kind="stable")[:k]
    return [int(key) for key in keys[order]]


@pytest.fixture
def filled(store: Any) -> tuple[PgvectorIndex, npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    index = PgvectorIndex(store.engine, "test-model", DIMENSIONS)
    keys = np.arange(1, 601, dtype=np.int64) * 7
    matrix = unit_vectors(len(keys), seed=1)
    index.add(keys, matrix)
    index.build()
    return index, keys, matrix


def test_copy_rows_follow_postgres_binary_layout() -> None:
    vectors = np.array([[0.5, -1.0]], dtype=np.float32)
    row = binary_copy_rows(np.array([42], dtype=np.int64), vectors)

    assert COPY_HEADER.startswith(b"PGCOPY\n\xff\r\n\x00")
    fields, key_length, key, vector_length, dimensions, unused = struct.unpack(">hiqihh", row[:22])
    assert (fields, key_length, key, vector_length, dimensions, unused) == (2, 8, 42, 12, 2, 0)
    assert struct.unpack(">ff", row[22:]) == (0.5, -1.0)


def test_filter_keys_are_made_sorted_and_distinct() -> None:
    already = np.array([2, 5, 9], dtype=np.int64)

    assert unique_keys(already).tolist() == [2, 5, 9]
    assert unique_keys(np.array([9, 2, 5, 2, 9], dtype=np.int64)).tolist() == [2, 5, 9]
    assert unique_keys(np.array([], dtype=np.int64)).tolist() == []


@needs_postgres
def test_unfiltered_search_finds_the_true_neighbours_with_their_similarities(filled: Any) -> None:
    index, keys, matrix = filled
    query = unit_vectors(1, seed=99)[0]

    found, similarities = index.search(query, 10)

    assert found.tolist() == true_top(keys, matrix, query, 10)
    expected = np.sort(matrix @ query)[::-1][:10]
    np.testing.assert_allclose(similarities, expected, rtol=1e-5, atol=1e-6)


@needs_postgres
def test_a_very_selective_filter_still_returns_the_true_top_k(filled: Any) -> None:
    index, keys, matrix = filled
    query = matrix[0]
    # The allowed papers are the ones least like the query: a graph search plus a filter
    # would find none of them among its candidates.
    farthest = np.argsort(matrix @ query)[:12]
    allowed = keys[farthest]

    found, _ = index.search(query, 5, allowed)

    assert found.tolist() == true_top(allowed, matrix[farthest], query, 5)


@needs_postgres
def test_a_broad_filter_returns_k_allowed_papers_best_first(filled: Any) -> None:
    index, keys, matrix = filled
    index.exact_limit = 10  # force the graph path for this 600-vector index
    query = unit_vectors(1, seed=5)[0]
    chosen = np.arange(len(keys)) % 3 == 0
    allowed = keys[chosen]

    found, similarities = index.search(query, 10, allowed)

    assert set(found.tolist()) <= set(allowed.tolist())
    assert found.tolist() == true_top(allowed, matrix[chosen], query, 10)
    assert list(similarities) == sorted(similarities, reverse=True)


@needs_postgres
def test_adding_a_key_again_replaces_its_vector(filled: Any) -> None:
    index, keys, _matrix = filled
    replacement = unit_vectors(1, seed=42)

    index.add(keys[:1], replacement)

    stored = index.vector(int(keys[0]))
    assert stored is not None
    np.testing.assert_array_equal(stored, replacement[0])
    assert len(index) == len(keys)
    assert index.search(replacement[0], 1)[0].tolist() == [int(keys[0])]


@needs_postgres
def test_removed_keys_are_never_returned(filled: Any) -> None:
    index, keys, matrix = filled

    index.remove(keys[:3])

    assert len(index) == len(keys) - 3
    assert index.vector(int(keys[0])) is None
    found, _ = index.search(matrix[0], 5)
    assert int(keys[0]) not in found.tolist()
    assert index.search(matrix[0], 5, keys[:3])[0].tolist() == []


@needs_postgres
def test_a_search_before_the_graph_is_built_is_exact(store: Any) -> None:
    index = PgvectorIndex(store.engine, "fresh", DIMENSIONS)
    keys = np.arange(50, dtype=np.int64)
    matrix = unit_vectors(50, seed=3)
    index.add(keys, matrix)

    assert not index.has_graph()
    assert index.search(matrix[7], 4)[0].tolist() == true_top(keys, matrix, matrix[7], 4)


@needs_postgres
def test_two_models_keep_separate_vectors(filled: Any, store: Any) -> None:
    index, keys, matrix = filled
    other = PgvectorIndex(store.engine, "other-model", DIMENSIONS)
    other.add(np.array([1], dtype=np.int64), unit_vectors(1, seed=8))
    other.build()

    assert len(other) == 1
    assert other.search(matrix[0], 5)[0].tolist() == [1]
    assert len(index) == len(keys)


@needs_postgres
def test_another_process_sees_the_same_index_without_loading_it(
    filled: Any, database_url: str
) -> None:
    index, _keys, matrix = filled
    engine = create_engine(database_url)
    try:
        elsewhere = PgvectorIndex(engine, "test-model", DIMENSIONS)
        assert elsewhere.has_graph()
        assert elsewhere.search(matrix[3], 5)[0].tolist() == index.search(matrix[3], 5)[0].tolist()
    finally:
        engine.dispose()


@needs_postgres
def test_the_graph_is_used_for_unfiltered_queries(filled: Any) -> None:
    index, _, matrix = filled
    literal = "[" + ",".join(map(repr, matrix[0].tolist())) + "]"
    with index.engine.connect() as connection:
        plan = "\n".join(
            row[0]
            for row in connection.execute(
                text(
                    "EXPLAIN SELECT paper_key FROM vector_index WHERE model_id = 'test-model' "
                    f"ORDER BY embedding::vector({DIMENSIONS}) <#> "
                    f"CAST(:query AS vector({DIMENSIONS})) LIMIT 10"
                ),
                {"query": literal},
            )
        )
    assert "ix_vector_index_hnsw_test_model" in plan


@needs_postgres
def test_bad_requests_are_refused_with_a_reason(store: Any) -> None:
    with pytest.raises(PgvectorIndexError, match="model id"):
        PgvectorIndex(store.engine, "bad'; DROP TABLE papers; --", DIMENSIONS)
    index = PgvectorIndex(store.engine, "test-model", DIMENSIONS)
    with pytest.raises(PgvectorIndexError, match="dimensions"):
        index.add(np.array([1], dtype=np.int64), np.zeros((1, 3), dtype=np.float32))
    with pytest.raises(PgvectorIndexError, match="dimensions"):
        index.search(np.zeros(3, dtype=np.float32), 5)


def test_the_pgvector_index_refuses_a_sqlite_engine(tmp_path: Any) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(PgvectorIndexError, match="PostgreSQL"):
        PgvectorIndex(engine, "model", DIMENSIONS)
    engine.dispose()


@needs_postgres
def test_a_key_given_twice_in_one_add_keeps_its_last_vector(store: Any) -> None:
    index = PgvectorIndex(store.engine, "test-model", DIMENSIONS)
    first, last = unit_vectors(2, seed=11)

    index.add(np.array([5, 3, 5], dtype=np.int64), np.stack([first, first, last]))

    assert len(index) == 2
    np.testing.assert_array_equal(index.vector(5), last)


@needs_postgres
def test_building_the_graph_raises_maintenance_memory_but_never_lowers_it(store: Any) -> None:
    index = PgvectorIndex(store.engine, "test-model", DIMENSIONS)
    index.add(np.arange(20, dtype=np.int64), unit_vectors(20, seed=4))

    with store.engine.begin() as connection:
        configured = connection.execute(text("SHOW maintenance_work_mem")).scalar_one()
        index.create_graph(connection, maintenance_memory="1kB")
        kept = connection.execute(text("SHOW maintenance_work_mem")).scalar_one()
        index.create_graph(connection, maintenance_memory="3GB")
        raised = connection.execute(text("SHOW maintenance_work_mem")).scalar_one()

    assert kept == configured
    assert raised == "3GB"
    assert index.has_graph()


@needs_postgres
def test_similarities_for_given_keys_are_the_exact_inner_products(filled: Any) -> None:
    index, keys, matrix = filled
    query = unit_vectors(1, seed=31)[0]
    asked = np.array([keys[5], keys[300], 999_999, keys[5]], dtype=np.int64)
    found, similarities = index.similarities_for(query, asked)
    assert sorted(found.tolist()) == sorted([int(keys[5]), int(keys[300])])
    expected = {int(keys[row]): float(matrix[row] @ query) for row in (5, 300)}
    for key, similarity in zip(found.tolist(), similarities.tolist(), strict=True):
        assert similarity == pytest.approx(expected[key], abs=1e-5)
