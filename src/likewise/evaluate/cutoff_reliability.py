"""Reliability of the displayed relevance probability: a 10-bin reliability table, the
expected calibration error (ECE) of an adapter over judged (held-out) queries, and how large an
ECE a perfectly calibrated score would show on as few pairs (its sampling floor)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from likewise.evaluate.cutoff import Retrieved, judged_queries
from likewise.evaluate.cutoff_choice import log_loss
from likewise.rank.cosine_adapter import RelevanceCalibration

BINS = 10
FLOOR_ROUNDS = 2000
# Issue 11's target for every held-out part.
ECE_TARGET = 0.05


@dataclass(frozen=True, slots=True)
class ReliabilityBin:
    """Judged pairs whose probability fell in [low, high): how many, mean p, share relevant."""

    low: float
    high: float
    pairs: int
    mean_probability: float
    observed_rate: float


@dataclass(frozen=True, slots=True)
class Reliability:
    """One held-out part's reliability table and its expected calibration error."""

    source: str
    method: str
    queries: int
    pairs: int
    bins: tuple[ReliabilityBin, ...]
    ece: float
    no_match_queries: int  # queries whose every top-20 probability is below 0.5
    zero_above_half: int  # non-relevant labelled pairs shown above 0.5
    # ECE of labels drawn from the probabilities themselves: mean, 95th percentile, and the
    # share of draws at or below ECE_TARGET.
    floor_mean: float = 0.0
    floor_high: float = 0.0
    floor_within_target: float = 1.0
    # 5th and 95th percentiles of the ECE over query bootstrap resamples.
    ece_low: float = 0.0
    ece_high: float = 0.0
    log_loss: float = 0.0  # mean binary cross-entropy of the labelled pairs


def reliability_table(
    probabilities: npt.ArrayLike, relevant: npt.ArrayLike, bins: int = BINS
) -> tuple[tuple[ReliabilityBin, ...], float]:
    """Equal-width bins over [0, 1] and ECE = sum over bins of share * |mean p - rate|."""
    p = np.asarray(probabilities, dtype=np.float64).ravel()
    y = np.asarray(relevant, dtype=np.float64).ravel()
    if p.shape != y.shape:
        raise ValueError("give one label per probability")
    index = np.minimum((p * bins).astype(int), bins - 1)
    table = []
    ece = 0.0
    for b in range(bins):
        inside = index == b
        count = int(inside.sum())
        mean_p = float(p[inside].mean()) if count else 0.0
        rate = float(y[inside].mean()) if count else 0.0
        table.append(ReliabilityBin(b / bins, (b + 1) / bins, count, mean_p, rate))
        if count:
            ece += count / p.size * abs(mean_p - rate)
    return tuple(table), ece


def calibrated_floor(
    probabilities: npt.ArrayLike,
    rounds: int = FLOOR_ROUNDS,
    seed: int = 0,
    target: float = ECE_TARGET,
) -> tuple[float, float, float]:
    """(mean, 95th percentile, share at or below target) of the ECE a perfectly calibrated
    score shows on these pairs: each round draws every label from Bernoulli(p) and measures
    the ECE of the same p. An ECE inside this range cannot be told apart from perfect
    calibration on so few pairs, and a small share means the target cannot be shown met."""
    p = np.asarray(probabilities, dtype=np.float64).ravel()
    if p.size == 0:
        return 0.0, 0.0, 1.0
    generator = np.random.default_rng(seed)
    draws = np.array([reliability_table(p, generator.random(p.size) < p)[1] for _ in range(rounds)])
    within = float(np.mean(draws <= target + 1e-12))
    return float(draws.mean()), float(np.quantile(draws, 0.95)), within


def query_bootstrap(
    probabilities: Sequence[npt.NDArray[np.float64]],
    relevant: Sequence[npt.NDArray[np.bool_]],
    rounds: int = FLOOR_ROUNDS,
    seed: int = 0,
) -> tuple[float, float]:
    """5th and 95th percentiles of the ECE over resamples of whole queries with replacement
    (Efron and Tibshirani, *An Introduction to the Bootstrap*, 1993): how much the figure
    would move with another draw of queries like these."""
    if not probabilities:
        return 0.0, 0.0
    generator = np.random.default_rng(seed)
    count = len(probabilities)
    values = []
    for _ in range(rounds):
        chosen = generator.integers(count, size=count)
        values.append(
            reliability_table(
                np.concatenate([probabilities[i] for i in chosen]),
                np.concatenate([relevant[i] for i in chosen]),
            )[1]
        )
    return float(np.quantile(values, 0.05)), float(np.quantile(values, 0.95))


def reliability_for(
    source: str,
    retrieved: Sequence[Retrieved],
    calibration: RelevanceCalibration,
    method: str = "convex",
) -> Reliability | None:
    """The reliability of `method`'s probabilities on these queries' labelled top-20 pairs."""
    adapter = calibration.adapter_for(method)
    if adapter is None or not retrieved:
        return None
    ps, ys = [], []
    no_match = 0
    judged = judged_queries(retrieved, method, calibration.convex_alpha)
    for query in judged:
        p = adapter.probabilities(
            query.query_vector, query.scores, query.dense_cosines, query.pairs
        )
        mask = query.label_mask()
        no_match += int(not np.any(p >= 0.5))
        ps.append(p[mask])
        ys.append(query.relevant[mask])
    p_all, y_all = np.concatenate(ps), np.concatenate(ys)
    table, ece = reliability_table(p_all, y_all)
    zero_above = int(np.count_nonzero((p_all > 0.5) & ~y_all))
    floor = calibrated_floor(p_all)
    interval = query_bootstrap(ps, ys)
    return Reliability(
        source,
        method,
        len(retrieved),
        int(p_all.size),
        table,
        ece,
        no_match,
        zero_above,
        *floor,
        *interval,
        log_loss(adapter, judged),
    )


def format_reliability(report: Reliability) -> str:
    """The table as text: one line per non-empty bin, then ECE and the no-match count."""
    lines = [
        f"{report.source} ({report.method}): {report.queries} queries, {report.pairs} judged "
        f"pairs, ECE {report.ece:.4f}, no good matches {report.no_match_queries}, "
        f"non-relevant above 50% {report.zero_above_half}, log loss {report.log_loss:.4f}",
        f"  ECE over query resamples {report.ece_low:.4f}-{report.ece_high:.4f} (90%); a "
        f"perfectly calibrated score would read {report.floor_mean:.4f} on these pairs "
        f"(95th percentile {report.floor_high:.4f}; at most {ECE_TARGET} in "
        f"{report.floor_within_target:.1%} of draws)",
        f"  {'bin':<11}{'pairs':>7}{'mean p':>9}{'rate':>8}",
    ]
    for item in report.bins:
        if item.pairs:
            lines.append(
                f"  {item.low:.1f}-{item.high:.1f}  {item.pairs:>7}{item.mean_probability:>9.3f}"
                f"{item.observed_rate:>8.3f}"
            )
    return "\n".join(lines)
