"""Paired randomisation test and Holm–Bonferroni correction, against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from likewise.evaluate.significance import (
    compare_configs,
    holm_bonferroni,
    paired_randomization_test,
)


def test_holm_adjusts_a_hand_computed_family() -> None:
    # p = [0.01, 0.04, 0.03, 0.005], m = 4, sorted ascending:
    #   0.005 * 4 = 0.02; 0.01 * 3 = 0.03; 0.03 * 2 = 0.06;
    #   0.04 * 1 = 0.04, but adjusted p-values never decrease -> max(0.06, 0.04) = 0.06
    adjusted = holm_bonferroni([0.01, 0.04, 0.03, 0.005])
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_never_exceeds_one() -> None:
    assert holm_bonferroni([0.5, 0.9]) == [1.0, 1.0]


def test_identical_systems_are_not_significantly_different() -> None:
    scores = np.linspace(0.0, 1.0, 30)
    assert paired_randomization_test(scores, scores) == 1.0


def test_a_consistent_improvement_is_significant() -> None:
    generator = np.random.default_rng(3)
    base = generator.uniform(0.2, 0.6, size=40)
    # Every query gains 0.1 to 0.2: under random sign flips so large a mean is ~impossible.
    better = base + generator.uniform(0.1, 0.2, size=40)
    assert paired_randomization_test(better, base) < 0.001


def test_compare_reports_every_pair_and_metric_with_holm_adjustment() -> None:
    queries = [f"q{i}" for i in range(25)]
    good = {"ndcg@10": dict.fromkeys(queries, 0.9), "map": dict.fromkeys(queries, 0.8)}
    bad = {"ndcg@10": dict.fromkeys(queries, 0.1), "map": dict.fromkeys(queries, 0.2)}
    same = {"ndcg@10": dict.fromkeys(queries, 0.1), "map": dict.fromkeys(queries, 0.2)}
    comparisons = compare_configs({"good": good, "bad": bad, "same": same})
    assert len(comparisons) == 6  # 3 pairs x 2 metrics
    verdicts = {(c.first, c.second, c.metric): c.significant for c in comparisons}
    assert verdicts[("good", "bad", "ndcg@10")] and verdicts[("good", "same", "map")]
    assert not verdicts[("bad", "same", "ndcg@10")]
    assert all(c.adjusted_p >= c.p_value for c in comparisons)
