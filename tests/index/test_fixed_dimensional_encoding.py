"""Fixed dimensional encodings (MUVERA): hand-worked buckets and blocks, and inner products that
track Chamfer similarity on random point sets."""

from __future__ import annotations

import numpy as np
import pytest
from sample_vectors import unit_rows

from likewise.index.fixed_dimensional_encoding import (
    FdeConfig,
    FixedDimensionalEncoder,
    count_sketch,
    encode_repetition,
    simhash_buckets,
)
from likewise.rank.multi_vector import chamfer_similarity

# Two hyperplanes in the plane: bit 0 is "x > 0", bit 1 is "y > 0".
AXES = np.array([[1.0, 0.0], [0.0, 1.0]])


def test_a_points_bucket_has_one_bit_per_hyperplane_it_lies_above() -> None:
    points = np.array([[1.0, 1.0], [2.0, -1.0], [-1.0, 3.0], [-1.0, -1.0]])
    assert simhash_buckets(points, AXES).tolist() == [3, 1, 2, 0]


def test_a_query_block_sums_its_points_and_a_document_block_averages_them() -> None:
    # One hyperplane x > 0: bucket 0 is x <= 0, bucket 1 is x > 0.
    plane = np.array([[1.0, 0.0]])
    document = np.array([[1.0, 2.0], [3.0, 4.0], [-1.0, 0.0]])
    query = np.array([[1.0, 1.0], [2.0, 0.0]])
    assert encode_repetition(document, plane, document=True).tolist() == [-1, 0, 2, 3]
    # The query's empty bucket stays zero: queries are never filled.
    assert encode_repetition(query, plane, document=False).tolist() == [0, 0, 3, 1]


def test_empty_document_buckets_take_the_point_nearest_in_hamming_distance() -> None:
    # p = (1, 1) is in bucket 3 (binary 11), r = (-1, 1) in bucket 2 (binary 10).
    # Bucket 0 (00) is 1 bit from r and 2 from p; bucket 1 (01) is 1 bit from p, 2 from r.
    document = np.array([[1.0, 1.0], [-1.0, 1.0]])
    filled = encode_repetition(document, AXES, document=True)
    assert filled.tolist() == [-1, 1, 1, 1, -1, 1, 1, 1]
    unfilled = encode_repetition(document, AXES, document=True, fill_empty=False)
    assert unfilled.tolist() == [0, 0, 0, 0, -1, 1, 1, 1]


def test_when_each_bucket_holds_a_querys_nearest_point_the_encoding_is_exact() -> None:
    plane = np.array([[1.0, 0.0]])
    document = np.array([[1.0, 0.0], [-1.0, 0.5]])
    query = np.array([[2.0, 1.0], [-1.0, -1.0]])
    # Chamfer: (2, 1) best matches (1, 0) with 2; (-1, -1) best matches (-1, 0.5) with 0.5.
    assert chamfer_similarity(query, document) == pytest.approx(2.5)
    encoded = encode_repetition(query, plane, document=False) @ encode_repetition(
        document, plane, document=True
    )
    assert encoded == pytest.approx(2.5)


def test_a_projection_maps_each_point_before_bucketing_by_the_original_point() -> None:
    plane = np.array([[1.0, 0.0]])
    projection = np.array([[1.0], [1.0]])  # (x, y) -> x + y
    document = np.array([[1.0, 2.0], [-3.0, 1.0]])
    encoded = encode_repetition(document, plane, document=True, projection=projection)
    assert encoded.tolist() == [-2, 3]


def test_a_count_sketch_adds_signed_coordinates_into_their_targets() -> None:
    vectors = np.array([[1.0, 2.0, 3.0, 4.0], [0.0, 1.0, 0.0, 1.0]])
    targets = np.array([0, 1, 0, 2])
    signs = np.array([1.0, -1.0, -1.0, 1.0])
    sketched = count_sketch(vectors, targets, signs, 3)
    assert sketched.tolist() == [[1 - 3, -2, 4], [0, -1, 1]]


def test_encoding_sizes_follow_the_configuration() -> None:
    config = FdeConfig(dimension=8, simhash_bits=2, repetitions=3)
    assert FixedDimensionalEncoder(config).output_dimension == 3 * 4 * 8
    projected = FixedDimensionalEncoder(
        FdeConfig(dimension=8, simhash_bits=2, repetitions=3, projection_dimension=4)
    )
    assert projected.output_dimension == 3 * 4 * 4
    sketched = FixedDimensionalEncoder(
        FdeConfig(dimension=8, simhash_bits=2, repetitions=3, final_dimension=10)
    )
    points = unit_rows(np.random.default_rng(1).standard_normal((5, 8)))
    assert sketched.encode_documents([points, points[:2]]).shape == (2, 10)
    assert sketched.encode_queries([points[:0]]).tolist() == [[0.0] * 10]
    with pytest.raises(ValueError):
        FdeConfig(dimension=8, projection_dimension=0)


def test_encoded_inner_products_rank_documents_as_chamfer_similarity_does() -> None:
    rng = np.random.default_rng(2)
    topics = unit_rows(rng.standard_normal((12, 16)))

    def point_set(count: int) -> np.ndarray:
        chosen = topics[rng.integers(0, len(topics), count)]
        return unit_rows(chosen + rng.standard_normal(chosen.shape) * 0.3)

    documents = [point_set(6) for _ in range(200)]
    query = point_set(4)
    encoder = FixedDimensionalEncoder(FdeConfig(dimension=16, simhash_bits=3, repetitions=20))
    approximate = encoder.encode_documents(documents) @ encoder.encode_queries([query])[0]
    exact = np.array([chamfer_similarity(query, document) for document in documents])
    # Normalised by repetitions, the encoding estimates Chamfer similarity itself.
    correlation = np.corrcoef(approximate / 20, exact)[0, 1]
    assert correlation > 0.8
    best = set(np.argsort(-exact)[:10].tolist())
    assert len(best & set(np.argsort(-approximate)[:40].tolist())) >= 8


def test_one_seed_gives_one_encoding_and_another_seed_another() -> None:
    points = unit_rows(np.random.default_rng(3).standard_normal((4, 8)))
    first = FixedDimensionalEncoder(FdeConfig(dimension=8, seed=1)).encode_documents([points])
    again = FixedDimensionalEncoder(FdeConfig(dimension=8, seed=1)).encode_documents([points])
    other = FixedDimensionalEncoder(FdeConfig(dimension=8, seed=2)).encode_documents([points])
    assert np.array_equal(first, again) and not np.array_equal(first, other)
