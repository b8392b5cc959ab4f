"""Reliability of the displayed relevance probability: a 10-bin reliability table and the
expected calibration error (ECE) of an adapter over judged (held-out) queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from likewise.evaluate.cutoff import Retrieved, judged_queries
from likewise.rank.cosine_adapter import RelevanceCalibration

BINS = 10


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
    for query in judged_queries(retrieved, method, calibration.convex_alpha):
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
    return Reliability(
        source, method, len(retrieved), int(p_all.size), table, ece, no_match, zero_above
    )


def format_reliability(report: Reliability) -> str:
    """The table as text: one line per non-empty bin, then ECE and the no-match count."""
    lines = [
        f"{report.source} ({report.method}): {report.queries} queries, {report.pairs} judged "
        f"pairs, ECE {report.ece:.4f}, no good matches {report.no_match_queries}, "
        f"non-relevant above 50% {report.zero_above_half}",
        f"  {'bin':<11}{'pairs':>7}{'mean p':>9}{'rate':>8}",
    ]
    for item in report.bins:
        if item.pairs:
            lines.append(
                f"  {item.low:.1f}-{item.high:.1f}  {item.pairs:>7}{item.mean_probability:>9.3f}"
                f"{item.observed_rate:>8.3f}"
            )
    return "\n".join(lines)
