"""Paired significance tests between configurations, with Holm–Bonferroni correction.

Multiple-comparison correction follows the argument of "How Discriminative Are Your Qrels?"
(CIKM 2023); the paired randomisation test is Fisher's, as advocated for IR by Smucker, Allan &
Carterette (CIKM 2007); Holm, "A Simple Sequentially Rejective Multiple Test Procedure" (1979).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import numpy.typing as npt


def paired_randomization_test(
    first: npt.ArrayLike, second: npt.ArrayLike, *, rounds: int = 10_000, seed: int = 42
) -> float:
    """Two-sided p-value of the mean paired difference under random sign flips."""
    differences = np.asarray(first, dtype=np.float64) - np.asarray(second, dtype=np.float64)
    if differences.size == 0:
        return 1.0
    observed = abs(differences.mean())
    generator = np.random.default_rng(seed)
    signs = generator.choice(np.array([-1.0, 1.0]), size=(rounds, differences.size))
    permuted = np.abs((signs * differences).mean(axis=1))
    # Count the observed assignment itself, so the p-value is never exactly 0.
    return float((np.count_nonzero(permuted >= observed - 1e-12) + 1) / (rounds + 1))


def holm_bonferroni(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (same order as given), capped at 1."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [0.0] * len(p_values)
    running = 0.0
    for step, index in enumerate(order):
        running = max(running, (len(p_values) - step) * p_values[index])
        adjusted[index] = min(1.0, running)
    return adjusted


@dataclass(frozen=True, slots=True)
class Comparison:
    metric: str
    first: str
    second: str
    first_mean: float
    second_mean: float
    p_value: float
    adjusted_p: float
    significant: bool


def compare_configs(
    scores: Mapping[str, Mapping[str, Mapping[str, float]]], *, level: float = 0.05
) -> list[Comparison]:
    """Every pair of configurations on every metric; Holm-corrected over the whole family."""
    names = list(scores)
    raw: list[tuple[str, str, str, float, float, float]] = []
    for first, second in combinations(names, 2):
        for metric in scores[first]:
            queries = sorted(scores[first][metric])
            a = np.array([scores[first][metric][q] for q in queries])
            b = np.array([scores[second][metric].get(q, 0.0) for q in queries])
            p = paired_randomization_test(a, b)
            raw.append((metric, first, second, float(a.mean()), float(b.mean()), p))
    adjusted = holm_bonferroni([item[5] for item in raw])
    return [
        Comparison(m, f, s, fm, sm, p, q, q < level)
        for (m, f, s, fm, sm, p), q in zip(raw, adjusted, strict=True)
    ]
