"""Batched hybrid matching of every digest subscriber against one announcement window.

Each subscriber is a hybrid query: predicates (categories, date window, followed authors) plus
query vectors (saved searches, papers they liked). Following HQI -- Mohoney et al.,
"High-Throughput Vector Similarity Search in Knowledge Graphs", SIGMOD 2023 -- the queries are
grouped by predicate partition (the same category set and window start), and each partition is
scored with one matrix product of all its interest vectors against the partition's papers,
instead of one filtered search per subscriber. `match_one` is that naive per-subscriber
query, kept as the reference the batch must agree with (tests and bench/digest.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

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


@dataclass(frozen=True)
class Pick:
    """One chosen paper: its column in the window, the score it was ranked by, and why."""

    column: int
    score: float
    reason: str


@dataclass
class Selection:
    subscriber_id: int
    picks: list[Pick] = field(default_factory=list)

    def ids(self, window: WindowPapers) -> list[str]:
        return [window.ids[pick.column] for pick in self.picks]


# Author matches outrank every vector match, trending picks come after them, then the
# predicate-only ("new in your categories") papers; these are the scores they sort by.
_AUTHOR_SCORE = 2.0
_TRENDING_BASE = 1.5
_CATEGORY_ONLY_SCORE = 0.0


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
            candidates.append((_CATEGORY_ONLY_SCORE, column, "new in your categories"))
        elif request.query_reasons and best_probability[place] >= request.threshold:
            candidates.append(
                (
                    float(best_probability[place]),
                    column,
                    request.query_reasons[int(best_row[place])],
                )
            )
    candidates.sort(key=lambda item: (-item[0], item[1]))
    return Selection(
        request.subscriber_id,
        [Pick(column, score, reason) for score, column, reason in candidates[: request.limit]],
    )


def match_naive(requests: Sequence[MatchRequest], window: WindowPapers) -> list[Selection]:
    return [match_one(request, window) for request in requests]


def match_batch(requests: Sequence[MatchRequest], window: WindowPapers) -> list[Selection]:
    """Every request at once, one matrix product per predicate partition; same picks as the
    naive plan, in the order of `requests`."""
    partitions: dict[tuple[frozenset[str], date | None], list[int]] = defaultdict(list)
    for position, request in enumerate(requests):
        partitions[(request.categories, request.since)].append(position)
    shared = _WindowIndex(window)
    results: list[Selection] = [Selection(request.subscriber_id) for request in requests]
    for (categories, since), positions in partitions.items():
        columns = np.asarray(_column_mask(window, categories, since), dtype=np.int64)
        members = [requests[position] for position in positions]
        selections = _match_partition(members, window, columns, since, shared)
        for position, selection in zip(positions, selections, strict=True):
            results[position] = selection
    return results


class _WindowIndex:
    """Lookups shared by all partitions: author name -> columns, paper id -> column."""

    def __init__(self, window: WindowPapers) -> None:
        self.author_columns: dict[str, list[int]] = defaultdict(list)
        for column, names in enumerate(window.authors):
            for name in names:
                self.author_columns[name].append(column)
        self.column_of = {paper_id: column for column, paper_id in enumerate(window.ids)}
        ranks = window.trending_rank
        ranked = [] if ranks is None else [int(c) for c in np.argsort(ranks) if ranks[c] >= 0]
        self.by_trending_rank: list[int] = ranked


def _vector_scores(
    members: list[MatchRequest],
    window: WindowPapers,
    columns: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Best calibrated probability per (member, paper) and which of its rows gave it."""
    count, width = len(members), len(columns)
    depth = max((len(member.query_reasons) for member in members), default=0)
    if depth == 0:
        return np.full((count, width), -np.inf), np.zeros((count, width), dtype=np.int64)
    # Pad every member to `depth` rows so the partition is one (count*depth, d) matrix.
    stacked = np.zeros((count * depth, window.vectors.shape[1]), dtype=np.float32)
    parameters = np.zeros((count * depth, 2))
    present = np.zeros(count * depth, dtype=bool)
    for slot, member in enumerate(members):
        rows = slice(slot * depth, slot * depth + len(member.query_reasons))
        stacked[rows] = member.query_vectors
        parameters[rows] = member.query_calibration
        present[rows] = True
    similarities = stacked.astype(np.float64) @ window.vectors64[columns].T
    probabilities = calibrated(similarities, parameters)
    probabilities[~present] = -np.inf
    cube = probabilities.reshape(count, depth, width)
    best_row = np.argmax(cube, axis=1)
    best = np.take_along_axis(cube, best_row[:, None, :], axis=1)[:, 0, :]
    return best, best_row


def _match_partition(
    members: list[MatchRequest],
    window: WindowPapers,
    columns: npt.NDArray[np.int64],
    since: date | None,
    shared: _WindowIndex,
) -> list[Selection]:
    width = len(columns)
    place_of = np.full(len(window), -1, dtype=np.int64)
    place_of[columns] = np.arange(width)
    best, best_row = _vector_scores(members, window, columns)
    thresholds = np.array([member.threshold for member in members])[:, None]
    scores = np.where(best >= thresholds, best, -np.inf)
    category_only = np.array([_category_only(member) for member in members], dtype=bool)
    scores[category_only] = _CATEGORY_ONLY_SCORE
    reasons: dict[tuple[int, int], str] = {}
    if window.trending_rank is not None:
        ranks = window.trending_rank[columns]
        limits = np.array([member.trending for member in members])[:, None]
        trending = (ranks[None, :] >= 0) & (ranks[None, :] < limits)
        scores = np.where(trending, _TRENDING_BASE - ranks[None, :] / 1e6, scores)
        for slot, place in zip(*np.nonzero(trending), strict=True):
            reasons[(int(slot), int(place))] = f"trending #{int(ranks[place]) + 1}"
    for slot, member in enumerate(members):
        # Reverse order so that the alphabetically first shared author names the reason.
        for name in sorted(member.authors, reverse=True):
            for column in shared.author_columns.get(name, ()):
                place = int(place_of[column])
                if place >= 0:
                    scores[slot, place] = _AUTHOR_SCORE
                    reasons[(slot, place)] = f"by {name}"
        for paper_id in member.exclude:
            excluded = shared.column_of.get(paper_id)
            if excluded is not None and place_of[excluded] >= 0:
                scores[slot, int(place_of[excluded])] = -np.inf
    # Stable sort: equal scores keep column order, exactly as the naive plan.
    order = np.argsort(-scores, axis=1, kind="stable")
    selections = []
    for slot, member in enumerate(members):
        picks = []
        for place in order[slot, : member.limit]:
            score = float(scores[slot, place])
            if score == -np.inf:
                break
            reason = reasons.get((slot, int(place)))
            if reason is None:
                reason = (
                    member.query_reasons[int(best_row[slot, place])]
                    if member.query_reasons
                    else "new in your categories"
                )
            picks.append(Pick(int(columns[place]), score, reason))
        extra = _outside_partition(member, window, place_of, since, shared)
        if extra:
            picks = sorted(picks + extra, key=lambda pick: (-pick.score, pick.column))
        selections.append(Selection(member.subscriber_id, picks[: member.limit]))
    return selections


def _outside_partition(
    member: MatchRequest,
    window: WindowPapers,
    place_of: npt.NDArray[np.int64],
    since: date | None,
    shared: _WindowIndex,
) -> list[Pick]:
    """Followed authors and trending picks count in any category: the few such papers
    outside the partition's categories (but inside its date window)."""
    if not member.authors and not member.trending:
        return []
    columns = {column for name in member.authors for column in shared.author_columns.get(name, ())}
    columns.update(shared.by_trending_rank[: member.trending])
    picks = []
    for column in sorted(columns):
        if place_of[column] >= 0 or window.ids[column] in member.exclude:
            continue
        if since is not None and window.announced[column] < since:
            continue
        reason = _author_reason(member, window.authors[column])
        if reason is not None:
            picks.append(Pick(column, _AUTHOR_SCORE, reason))
            continue
        assert window.trending_rank is not None  # only trending columns are left
        rank = int(window.trending_rank[column])
        picks.append(Pick(column, _TRENDING_BASE - rank / 1e6, f"trending #{rank + 1}"))
    return picks
