"""Batched hybrid matching of every digest subscriber against one announcement window.

Each subscriber is a hybrid query: predicates (categories, date window, followed authors) plus
query vectors (saved searches, papers they liked). Following HQI -- Mohoney et al.,
"High-Throughput Vector Similarity Search in Knowledge Graphs", SIGMOD 2023 -- the queries are
grouped by predicate partition and each group is scored with one matrix product of its
interest vectors against the group's papers, instead of one filtered search per subscriber;
only the (subscriber, paper) cells that pass are carried on, sparsely. The naive per-subscriber
plan it must agree with exactly lives in rank/digest_match.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from likewise.rank.digest_match import (
    _AUTHOR_SCORE,
    _CATEGORY_ONLY_SCORE,
    _NEW_IN,
    _TRENDING_BASE,
    FloatMatrix,
    MatchRequest,
    Pick,
    Selection,
    WindowPapers,
    _category_only,
    _column_mask,
    calibrated,
    fallback_calibration,
    match_naive,
    match_one,
)

# Re-exported so callers import the whole matching API from one place.
__all__ = [
    "FloatMatrix",
    "MatchRequest",
    "Pick",
    "Selection",
    "WindowPapers",
    "calibrated",
    "fallback_calibration",
    "match_batch",
    "match_naive",
    "match_one",
]


def match_batch(requests: Sequence[MatchRequest], window: WindowPapers) -> list[Selection]:
    """Every request at once; same picks as the naive plan, in the order of `requests`.

    Requests are partitioned by their date predicate (subscribers whose windows start on the
    same day) and scored in blocks: one matrix product of the block's *distinct* interest
    vectors (rows sharing a `query_ids` entry are computed once) against the partition's
    papers, category predicates for the whole block from one boolean product (subscribers x
    categories by categories x papers) -- within one announcement window a partition per
    category set would be smaller than the fixed cost of a product -- then thresholds,
    exclusions, author and trending picks and each subscriber's top-k on the sparse cells.
    """
    partitions: dict[date | None, list[int]] = defaultdict(list)
    for position, request in enumerate(requests):
        partitions[request.since].append(position)
    shared = _WindowIndex(window)
    results: list[Selection | None] = [None] * len(requests)
    for since, positions in partitions.items():
        columns = np.asarray(_column_mask(window, frozenset(), since), dtype=np.int64)
        for start in range(0, len(positions), BLOCK):
            block = positions[start : start + BLOCK]
            members = [requests[position] for position in block]
            selections = _match_block(members, window, columns, shared)
            for position, selection in zip(block, selections, strict=True):
                results[position] = selection
    return [selection for selection in results if selection is not None]


BLOCK = 8192  # subscribers scored together; bounds the (subscribers x papers) mask
PACKED_KEY_LIMIT = 2**62  # the sort key of a cell must fit in int64


class _WindowIndex:
    """Lookups shared by all partitions: author name -> columns, paper id -> column."""

    def __init__(self, window: WindowPapers) -> None:
        self.author_columns: dict[str, list[int]] = defaultdict(list)
        for column, names in enumerate(window.authors):
            for name in names:
                self.author_columns[name].append(column)
        self.column_of = {paper_id: column for column, paper_id in enumerate(window.ids)}


def _distinct_rows(members: list[MatchRequest]) -> tuple[list[tuple[int, int]], list[int]]:
    """((member, row) of each distinct interest row, distinct index of every row in member
    order): rows with the same `query_ids` entry are one row of the product."""
    distinct: dict[int, int] = {}
    representatives: list[tuple[int, int]] = []
    index_of: list[int] = []
    for slot, member in enumerate(members):
        ids = member.query_ids
        for row in range(len(member.query_reasons)):
            if ids is None:
                index_of.append(len(representatives))
                representatives.append((slot, row))
                continue
            known = distinct.get(ids[row])
            if known is None:
                known = distinct[ids[row]] = len(representatives)
                representatives.append((slot, row))
            index_of.append(known)
    return representatives, index_of


def _category_mask(
    members: list[MatchRequest], window: WindowPapers, columns: npt.NDArray[np.int64]
) -> npt.NDArray[np.bool_]:
    """allowed[s, p]: paper p is in one of member s's categories (or s names none), for the
    whole block from one boolean product (members x categories by categories x papers)."""
    names = sorted({name for column in columns.tolist() for name in window.categories[column]})
    position = {name: index for index, name in enumerate(names)}
    papers = np.zeros((len(columns), len(names)), dtype=np.float32)
    pairs = [
        (place, position[name])
        for place, column in enumerate(columns.tolist())
        for name in window.categories[column]
    ]
    if pairs:
        papers[tuple(np.array(pairs).T)] = 1.0
    wanted = np.zeros((len(members), len(names)), dtype=np.float32)
    pairs = [
        (slot, position[name])
        for slot, member in enumerate(members)
        for name in member.categories
        if name in position
    ]
    if pairs:
        wanted[tuple(np.array(pairs).T)] = 1.0
    allowed: npt.NDArray[np.bool_] = (wanted @ papers.T) > 0
    allowed[[not member.categories for member in members]] = True
    return allowed


class _Cells:
    """Candidate (member, place) cells of a block with their score and reason source:
    kind 0 = interest row `detail`, 1 = trending rank `detail`, 2 = author, 3 = category."""

    def __init__(self) -> None:
        self.parts: list[tuple[npt.NDArray[Any], ...]] = []

    def add(self, member: Any, place: Any, score: Any, kind: int, detail: Any) -> None:
        member = np.asarray(member, dtype=np.int64)
        self.parts.append(
            (
                member,
                np.asarray(place, dtype=np.int64),
                np.asarray(score, dtype=np.float64),
                np.full(len(member), kind, dtype=np.int64),
                np.asarray(detail, dtype=np.int64),
            )
        )

    def merged(self) -> tuple[npt.NDArray[Any], ...]:
        if not self.parts:
            return tuple(np.zeros(0, dtype=np.int64) for _ in range(5))
        return tuple(np.concatenate(column) for column in zip(*self.parts, strict=True))


def _vector_cells(
    members: list[MatchRequest],
    window: WindowPapers,
    columns: npt.NDArray[np.int64],
    allowed: npt.NDArray[np.bool_],
    cells: _Cells,
) -> None:
    """Cells where an interest vector passes its member's threshold inside its categories:
    one matrix product of the block's distinct interest vectors against the papers."""
    sizes = np.array([len(member.query_reasons) for member in members])
    if not sizes.any() or len(columns) == 0:
        return
    representatives, index_of = _distinct_rows(members)
    distinct_of = np.asarray(index_of, dtype=np.int64)
    vectors = np.stack([members[slot].query_vectors[row] for slot, row in representatives])
    parameters = np.stack([members[slot].query_calibration[row] for slot, row in representatives])
    product = vectors.astype(np.float64) @ window.vectors64[columns].T
    probabilities = calibrated(product, parameters)
    thresholds = np.array([member.threshold for member in members])
    owner = np.repeat(np.arange(len(members)), sizes)
    starts = np.cumsum(sizes) - sizes
    local = np.arange(len(owner)) - np.repeat(starts, sizes)
    # Sparse from here on: only (distinct row, paper) pairs that pass the lowest threshold.
    hit_row, hit_place = np.nonzero(probabilities >= thresholds[sizes > 0].min())
    per_distinct = np.bincount(hit_row, minlength=len(representatives))
    first_hit = np.cumsum(per_distinct) - per_distinct
    counts = per_distinct[distinct_of]
    row_of_cell = np.repeat(np.arange(len(owner)), counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    hit = first_hit[distinct_of][row_of_cell] + offset
    member, place = owner[row_of_cell], hit_place[hit]
    score = probabilities[hit_row[hit], place]
    keep = (score >= thresholds[member]) & allowed[member, place]
    cells.add(member[keep], place[keep], score[keep], 0, local[row_of_cell][keep])


def _match_block(
    members: list[MatchRequest],
    window: WindowPapers,
    columns: npt.NDArray[np.int64],
    shared: _WindowIndex,
) -> list[Selection]:
    place_of = np.full(len(window), -1, dtype=np.int64)
    place_of[columns] = np.arange(len(columns))
    allowed = _category_mask(members, window, columns)
    cells = _Cells()
    _vector_cells(members, window, columns, allowed, cells)
    only = np.flatnonzero([_category_only(member) for member in members])
    if len(only):
        member, place = np.nonzero(allowed[only])
        cells.add(only[member], place, np.full(len(member), _CATEGORY_ONLY_SCORE), 3, place)
    if window.trending_rank is not None and any(member.trending for member in members):
        ranks = window.trending_rank[columns]
        limits = np.array([member.trending for member in members])[:, None]
        member, place = np.nonzero((ranks[None, :] >= 0) & (ranks[None, :] < limits))
        cells.add(member, place, _TRENDING_BASE - ranks[place] / 1e6, 1, ranks[place])
    authors: dict[tuple[int, int], str] = {}
    excluded: list[int] = []
    for slot, request in enumerate(members):
        for name in request.authors:
            for written in shared.author_columns.get(name, ()):
                at = int(place_of[written])
                if at >= 0 and name < authors.get((slot, at), "\uffff"):
                    authors[(slot, at)] = name
        for paper_id in request.exclude:
            dropped = shared.column_of.get(paper_id)
            if dropped is not None and place_of[dropped] >= 0:
                excluded.append(slot * len(columns) + int(place_of[dropped]))
    if authors:
        pairs = np.array(list(authors), dtype=np.int64)
        cells.add(
            pairs[:, 0], pairs[:, 1], np.full(len(pairs), _AUTHOR_SCORE), 2, np.zeros(len(pairs))
        )
    return _selections(members, columns, cells.merged(), excluded, authors)


def _reason(
    request: MatchRequest,
    slot: int,
    place: int,
    code: int,
    detail: int,
    authors: dict[tuple[int, int], str],
) -> str:
    if code == 0:
        return request.query_reasons[detail]
    if code == 1:
        return f"trending #{detail + 1}"
    if code == 2:
        return f"by {authors[(slot, place)]}"
    return _NEW_IN


def _selections(
    members: list[MatchRequest],
    columns: npt.NDArray[np.int64],
    cells: tuple[npt.NDArray[Any], ...],
    excluded: list[int],
    authors: dict[tuple[int, int], str],
) -> list[Selection]:
    """Per member: the best cell per paper (higher score, then the member's first interest
    row), minus exclusions, ranked by score then column (the naive plan's stable order)."""
    member, place, score, kind, detail = cells
    width = len(columns)
    keep = ~np.isin(member * width + place, np.asarray(excluded, dtype=np.int64), kind="table")
    member, place, score, kind, detail = (a[keep] for a in (member, place, score, kind, detail))
    # One sort into the final order; the first cell of each (member, paper) in it is the
    # best (highest score, then the member's first interest row), the rest are dropped.
    # (member, score descending, paper, interest row) packed into one integer per cell,
    # the score as its rank among the distinct scores, so that one argsort orders them.
    distinct_scores, score_rank = np.unique(score, return_inverse=True)
    descending = len(distinct_scores) - 1 - score_rank.reshape(-1)
    depth = int(detail.max()) + 1 if len(detail) else 1
    if len(members) * len(distinct_scores) * width * depth < PACKED_KEY_LIMIT:
        packed = ((member * len(distinct_scores) + descending) * width + place) * depth + detail
        order = np.argsort(packed)
    else:  # too many cells to pack into 64 bits: sort key by key instead
        order = np.lexsort((detail, place, descending, member))
    _, first = np.unique((member * width + place)[order], return_index=True)
    order = order[np.sort(first)]
    member, place, score, kind, detail = (a[order] for a in (member, place, score, kind, detail))
    # Keep each member's first `limit` cells only, before any per-pick Python.
    starts = np.searchsorted(member, np.arange(len(members)))
    limits = np.array([request.limit for request in members])
    within = (np.arange(len(member)) - starts[member]) < limits[member]
    member, place, score, kind, detail = (a[within] for a in (member, place, score, kind, detail))
    bounds = np.searchsorted(member, np.arange(len(members) + 1)).tolist()
    # Picks before index i that are not plain interest matches: a member whose range adds
    # none takes the fast path.
    special = np.r_[0, np.cumsum(kind != 0)].tolist()
    column_list = columns[place].tolist()
    places, scores, kinds, details = place.tolist(), score.tolist(), kind.tolist(), detail.tolist()
    selections = []
    for slot, request in enumerate(members):
        low, high = bounds[slot], bounds[slot + 1]
        if special[high] == special[low]:  # the common case: every pick is an interest match
            texts = request.query_reasons
            reasons = [texts[row] for row in details[low:high]]
        else:
            reasons = [
                _reason(request, slot, places[index], kinds[index], details[index], authors)
                for index in range(low, high)
            ]
        selections.append(
            Selection(request.subscriber_id, column_list[low:high], scores[low:high], reasons)
        )
    return selections
