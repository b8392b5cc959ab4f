"""The reliability table and expected calibration error of the displayed probability."""

from __future__ import annotations

import numpy as np
import pytest

from likewise.evaluate.cutoff_reliability import reliability_table


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
