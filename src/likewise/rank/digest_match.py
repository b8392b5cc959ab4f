"""Digest matching, one subscriber at a time: the request and result types and the naive plan.

`match_one` is the plain per-subscriber hybrid query (predicates, then vector scores); the
batched plan in rank/batch_match.py must agree with it exactly (tests and bench/digest.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

FloatMatrix = npt.NDArray[np.float32]


FALLBACK_SLOPE, FALLBACK_MIDPOINT = 12.0, 0.45


def fallback_calibration(rows: int) -> npt.NDArray[np.float64]:
    """(slope, offset) rows for when no calibration was fit for the embedder: a fixed logistic
    centred on cosine 0.45."""
    return np.tile([FALLBACK_SLOPE, -FALLBACK_SLOPE * FALLBACK_MIDPOINT], (rows, 1))


def calibrated(
    similarities: npt.NDArray[np.float64], parameters: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Cosine Adapter form p = sigmoid(a(q) * s + b(q)), one (a, b) row per query row."""
    logits = parameters[:, 0:1] * similarities + parameters[:, 1:2]
    result: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-np.clip(logits, -40.0, 40.0)))
    return result


@dataclass
class WindowPapers:
    """The papers a run may suggest, as aligned columns."""

    ids: list[str]
    vectors: FloatMatrix  # (n, d), unit rows
    categories: list[frozenset[str]]
    authors: list[frozenset[str]]  # lower-cased names
    announced: list[date]
    trending_rank: npt.NDArray[np.int64] | None = None  # 0 = most trending; -1 = unranked
    vectors64: npt.NDArray[np.float64] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Both plans score in float64 so that they agree bit for bit at the threshold.
        self.vectors64 = self.vectors.astype(np.float64)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class MatchRequest:
    """One subscriber's hybrid query. Row i of `query_vectors` pairs with `query_reasons[i]`
    and with `query_calibration[i]`, that query's (a(q), b(q)) of the Cosine Adapter."""

    subscriber_id: int
    query_vectors: FloatMatrix  # (k, d); k may be 0
    query_reasons: list[str]
    query_calibration: npt.NDArray[np.float64]  # (k, 2)
    categories: frozenset[str] = frozenset()  # empty: any category
    authors: frozenset[str] = frozenset()  # lower-cased; always suggested when in the window
    since: date | None = None  # date predicate on `announced`
    threshold: float = 0.5  # calibrated probability a vector match needs
    exclude: frozenset[str] = frozenset()  # ids already suggested, ever
    trending: int = 0  # also the top-N trending papers of the window
    limit: int = 30
    # Optional identity of each row (same id = same vector and calibration, e.g. one saved
    # search or liked paper shared by many subscribers): the batch computes it once.
    query_ids: Sequence[int] | None = None


class Pick(NamedTuple):
    """One chosen paper: its column in the window, the score it was ranked by, and why."""

    column: int
    score: float
    reason: str


@dataclass
class Selection:
    """One subscriber's picks, best first, kept as parallel lists (10,000 subscribers make
    hundreds of thousands of picks; objects are made only when someone reads them)."""

    subscriber_id: int
    columns: list[int] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, subscriber_id: int, picks: Sequence[Pick]) -> Selection:
        return cls(
            subscriber_id,
            [pick.column for pick in picks],
            [pick.score for pick in picks],
            [pick.reason for pick in picks],
        )

    @property
    def picks(self) -> list[Pick]:
        return [Pick(*item) for item in zip(self.columns, self.scores, self.reasons, strict=True)]


# Author matches outrank every vector match, trending picks come after them, then the
# predicate-only ("new in your categories") papers; these are the scores they sort by.
_AUTHOR_SCORE = 2.0
_TRENDING_BASE = 1.5
_CATEGORY_ONLY_SCORE = 0.0
_NEW_IN = "new in your categories"


def _column_mask(window: WindowPapers, categories: frozenset[str], since: date | None) -> list[int]:
    return [
        column
        for column in range(len(window))
        if (not categories or categories & window.categories[column])
        and (since is None or window.announced[column] >= since)
    ]


def _author_reason(request: MatchRequest, paper_authors: frozenset[str]) -> str | None:
    shared = sorted(request.authors & paper_authors)
    return f"by {shared[0]}" if shared else None


def _category_only(request: MatchRequest) -> bool:
    """Categories without any query vector: every new paper there is wanted. (With query
    vectors, categories only filter them; with nothing at all, nothing is wanted.)"""
    return bool(request.categories) and not request.query_reasons


def match_one(request: MatchRequest, window: WindowPapers) -> Selection:
    """The naive plan: one filtered query per subscriber (as one search call each would do).

    Categories restrict vector and category-only matches; followed authors and trending
    picks count in any category; everything respects the date window and exclusions.
    """
    in_window = _column_mask(window, frozenset(), request.since)
    allowed = _column_mask(window, request.categories, request.since)
    place_of = {column: place for place, column in enumerate(allowed)}
    best_probability = np.full(len(allowed), -np.inf)
    best_row = np.zeros(len(allowed), dtype=np.int64)
    if request.query_reasons and allowed:
        similarities = request.query_vectors.astype(np.float64) @ window.vectors64[allowed].T
        probabilities = calibrated(similarities, request.query_calibration)
        best_row = np.argmax(probabilities, axis=0)
        best_probability = probabilities[best_row, np.arange(len(allowed))]
    candidates: list[tuple[float, int, str]] = []
    for column in in_window:
        if window.ids[column] in request.exclude:
            continue
        reason = _author_reason(request, window.authors[column])
        rank = -1 if window.trending_rank is None else int(window.trending_rank[column])
        place = place_of.get(column)
        if reason is not None:
            candidates.append((_AUTHOR_SCORE, column, reason))
        elif 0 <= rank < request.trending:
            candidates.append((_TRENDING_BASE - rank / 1e6, column, f"trending #{rank + 1}"))
        elif place is None:
            continue
        elif _category_only(request):
            candidates.append((_CATEGORY_ONLY_SCORE, column, _NEW_IN))
        elif request.query_reasons and best_probability[place] >= request.threshold:
            candidates.append(
                (
                    float(best_probability[place]),
                    column,
                    request.query_reasons[int(best_row[place])],
                )
            )
    candidates.sort(key=lambda item: (-item[0], item[1]))
    return Selection.of(
        request.subscriber_id,
        [Pick(column, score, reason) for score, column, reason in candidates[: request.limit]],
    )


def match_naive(requests: Sequence[MatchRequest], window: WindowPapers) -> list[Selection]:
    return [match_one(request, window) for request in requests]
