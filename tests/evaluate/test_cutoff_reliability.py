"""The reliability table and expected calibration error of the displayed probability."""

from __future__ import annotations

import numpy as np
import pytest

from likewise.evaluate.cutoff_reliability import (
    calibrated_floor,
    query_bootstrap,
    reliability_table,
)


def test_a_perfectly_calibrated_score_has_no_calibration_error() -> None:
    probabilities = np.repeat([0.05, 0.55], 20)
    relevant = np.array([i == 0 for i in range(20)] + [i < 11 for i in range(20)])
    table, ece = reliability_table(probabilities, relevant)
    assert ece == pytest.approx(0.0)
    assert [item.pairs for item in table if item.pairs] == [20, 20]


def test_an_overconfident_score_shows_its_gap_weighted_by_share() -> None:
    # 10 pairs shown at 0.95 of which 5 relevant (gap 0.45), 30 at 0.05 none relevant (0.05).
    probabilities = np.array([0.95] * 10 + [0.05] * 30)
    relevant = np.array([True] * 5 + [False] * 35)
    table, ece = reliability_table(probabilities, relevant)
    assert ece == pytest.approx(0.25 * 0.45 + 0.75 * 0.05)
    assert table[9].observed_rate == pytest.approx(0.5)
    assert table[9].mean_probability == pytest.approx(0.95)


def test_a_probability_of_one_falls_in_the_last_bin() -> None:
    table, _ = reliability_table([1.0, 0.0], [True, False])
    assert table[9].pairs == 1 and table[0].pairs == 1


def test_labels_and_probabilities_must_align() -> None:
    with pytest.raises(ValueError, match="one label per probability"):
        reliability_table([0.5, 0.5], [True])


def test_certain_probabilities_have_no_sampling_floor() -> None:
    assert calibrated_floor([0.0, 1.0, 1.0, 0.0], rounds=50) == (0.0, 0.0, 1.0)


def test_two_coin_flips_read_a_quarter_of_calibration_error_on_average() -> None:
    # Both labels drawn at 0.5: mean label 0 or 1 (chance 1/2 together, error 0.5) or 1/2
    # (chance 1/2, error 0), so a perfectly calibrated score reads 0.25 on average.
    mean, high, within = calibrated_floor([0.5, 0.5], rounds=4000, seed=3)
    assert mean == pytest.approx(0.25, abs=0.02)
    assert high == pytest.approx(0.5)
    assert within == pytest.approx(0.5, abs=0.03)


def test_query_bootstrap_spans_the_ece_of_the_resampled_query_sets() -> None:
    # One query shown at 1.0 and not relevant (ECE 1), one at 0.0 and not relevant (ECE 0):
    # resamples read 1 (both the first), 0 (both the second) or 0.5 (one of each).
    low, high = query_bootstrap(
        [np.array([1.0]), np.array([0.0])], [np.array([False]), np.array([False])], rounds=400
    )
    assert (low, high) == (0.0, 1.0)
    single = query_bootstrap([np.array([0.9, 0.1])], [np.array([True, True])], rounds=20)
    assert single == pytest.approx((0.5, 0.5))
