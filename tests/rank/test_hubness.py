"""DBNorm hub penalties (hand-computed on tiny matrices) and the hubness measures."""

from __future__ import annotations

import math

import numpy as np
import pytest

from likewise.rank.hubness import (
    DualBankNormaliser,
    HubPenaltyTable,
    k_occurrence,
    summarise_hubness,
    top_k_neighbours,
)


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_log_normaliser_is_the_hand_computed_log_sum_of_exponentials() -> None:
    gallery = np.array([[1.0, 0.0]], dtype=np.float32)
    bank = np.array([[0.0, 1.0], [0.6, 0.8]], dtype=np.float32)
    result = DualBankNormaliser().log_normalisers(gallery, bank, inverse_temperature=2.0)
    # cosines 0 and 0.6, times 2: log(e^0 + e^1.2)
    assert result[0] == pytest.approx(math.log(1.0 + math.exp(1.2)), rel=1e-6)


def test_a_bank_row_identical_to_the_gallery_paper_is_left_out_of_its_sum() -> None:
    gallery = np.array([[1.0, 0.0]], dtype=np.float32)
    bank = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    result = DualBankNormaliser().log_normalisers(gallery, bank, inverse_temperature=3.0)
    assert result[0] == pytest.approx(0.0, abs=1e-9)  # only e^0 from the orthogonal row


def test_dual_penalty_matches_the_formula_and_ranks_like_the_product_of_inverted_softmaxes() -> (
    None
):
    gallery = np.stack([unit(1, 0), unit(0.8, 0.6), unit(0, 1)])
    query_bank = np.stack([unit(1, 0.1), unit(0.9, 0.5)])
    gallery_bank = np.stack([unit(0.7, 0.7), unit(0.2, 1), unit(1, 0.3)])
    normaliser = DualBankNormaliser(query_inverse_temperature=1.0, gallery_inverse_temperature=2.0)
    penalties = normaliser.hub_penalties(gallery, query_bank=query_bank, gallery_bank=gallery_bank)

    expected = []
    for item in gallery:
        z_query = sum(math.exp(1.0 * float(row @ item)) for row in query_bank)
        z_gallery = sum(math.exp(2.0 * float(row @ item)) for row in gallery_bank)
        expected.append((math.log(z_query) + math.log(z_gallery)) / 3.0)
    expected_centred = np.array(expected) - np.mean(expected)
    assert penalties == pytest.approx(expected_centred, abs=1e-6)

    query = unit(0.9, 0.45)
    cosines = gallery @ query
    product = []
    for item, cosine in zip(gallery, cosines, strict=True):
        z_query = sum(math.exp(1.0 * float(row @ item)) for row in query_bank)
        z_gallery = sum(math.exp(2.0 * float(row @ item)) for row in gallery_bank)
        product.append(
            math.exp(1.0 * float(cosine)) / z_query * math.exp(2.0 * float(cosine)) / z_gallery
        )
    assert list(np.argsort(-np.array(product))) == list(np.argsort(-(cosines - penalties)))


def test_penalties_are_largest_for_the_paper_close_to_every_bank_item() -> None:
    hub = unit(1, 1, 1)
    loners = [unit(1, 0, 0), unit(0, 1, 0), unit(0, 0, 1)]
    gallery = np.stack([hub, *loners])
    penalties = DualBankNormaliser().hub_penalties(
        gallery, query_bank=gallery, gallery_bank=gallery
    )
    assert int(np.argmax(penalties)) == 0
    assert penalties.mean() == pytest.approx(0.0, abs=1e-9)


def test_inverse_temperatures_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        DualBankNormaliser(query_inverse_temperature=0.0)


def test_penalty_table_remembers_keys_and_agrees_with_direct_computation() -> None:
    generator = np.random.default_rng(3)
    matrix = generator.normal(size=(30, 8)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    keys = np.arange(100, 130, dtype=np.int64)
    normaliser = DualBankNormaliser()
    table = HubPenaltyTable.sample(
        keys, matrix, normaliser, query_bank_size=10, gallery_bank_size=12
    )
    assert table.query_bank.shape == (10, 8) and table.gallery_bank.shape == (12, 8)
    chosen = np.array([3, 7, 3], dtype=np.int64)
    first = table.penalties(keys[chosen], matrix[chosen])
    direct = normaliser.raw_penalties(
        matrix[chosen], query_bank=table.query_bank, gallery_bank=table.gallery_bank
    )
    assert first == pytest.approx(direct - table.centre, abs=1e-9)
    # The second call must come from memory: wrong vectors would change a fresh computation.
    again = table.penalties(keys[chosen], np.zeros_like(matrix[chosen]))
    assert again == pytest.approx(first)


def test_top_k_neighbours_leave_out_the_row_itself_and_come_best_first() -> None:
    vectors = np.stack([unit(1, 0), unit(0.9, 0.1), unit(0.5, 0.5), unit(0, 1)])
    neighbours = top_k_neighbours(vectors, 2)
    assert neighbours[0].tolist() == [1, 2]
    assert neighbours[3].tolist() == [2, 1]
    assert all(row not in neighbours[row] for row in range(4))


def test_penalties_change_who_is_a_neighbour() -> None:
    vectors = np.stack([unit(1, 0), unit(0.9, 0.1), unit(0.5, 0.5), unit(0, 1)])
    penalties = np.array([0.0, 1.0, 0.0, 0.0])
    assert top_k_neighbours(vectors, 1, penalties=penalties)[0].tolist() == [2]


def test_hubness_summary_is_the_hand_computed_skewness_and_orphan_share() -> None:
    neighbours = np.array([[3], [3], [3], [3], [3], [2]], dtype=np.int64)
    occurrences = k_occurrence(neighbours, 4)
    assert occurrences.tolist() == [0, 0, 1, 5]
    summary = summarise_hubness(occurrences)
    # mean 1.5; central moments: m2 = 17/4, m3 = 36/4
    assert summary.skewness == pytest.approx(9.0 / (4.25**1.5), rel=1e-9)
    assert summary.orphan_share == 0.5
    assert summary.largest == 5


def test_a_flat_k_occurrence_has_no_skew() -> None:
    summary = summarise_hubness(np.array([2, 2, 2], dtype=np.int64))
    assert summary.skewness == 0.0 and summary.orphan_share == 0.0
