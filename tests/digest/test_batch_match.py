"""Batched subscriber matching agrees with the naive per-subscriber plan and honours predicates."""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt
import pytest

from likewise.rank import batch_match
from likewise.rank.batch_match import (
    MatchRequest,
    WindowPapers,
    match_batch,
    match_naive,
)

CATEGORIES = ["cs.CL", "cs.CV", "cs.AI", "cs.LG", "cs.IR"]
AUTHORS = [f"author {number}" for number in range(40)]


def _unit_rows(
    generator: np.random.Generator, count: int, dimension: int
) -> npt.NDArray[np.float32]:
    rows = generator.normal(size=(count, dimension)).astype(np.float32)
    unit: npt.NDArray[np.float32] = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return unit


SHARED_VECTORS = _unit_rows(np.random.default_rng(99), 6, 16)
SHARED_CALIBRATION = np.column_stack([np.linspace(4, 12, 6), np.linspace(-2, 0, 6)])


def _window(generator: np.random.Generator, size: int = 60) -> WindowPapers:
    return WindowPapers(
        ids=[f"2601.{number:05d}" for number in range(size)],
        vectors=_unit_rows(generator, size, 16),
        categories=[
            frozenset(
                generator.choice(CATEGORIES, size=int(generator.integers(1, 3)), replace=False)
            )
            for _ in range(size)
        ],
        authors=[frozenset(generator.choice(AUTHORS, size=3, replace=False)) for _ in range(size)],
        announced=[date(2026, 6, 28 + number % 3) for number in range(size)],
        trending_rank=np.array(
            [rank if rank < size // 2 else -1 for rank in generator.permutation(size)],
            dtype=np.int64,
        ),
    )


def _random_request(
    generator: np.random.Generator, window: WindowPapers, subscriber_id: int
) -> MatchRequest:
    rows = int(generator.integers(0, 4))
    # Half the interests come from a small shared pool (popular searches, liked papers).
    shared = generator.random(rows) < 0.5
    picks = generator.integers(0, len(SHARED_VECTORS), size=rows)
    vectors = _unit_rows(generator, rows, 16)
    calibration = np.column_stack([generator.uniform(4, 12, rows), generator.uniform(-2, 0, rows)])
    vectors[shared] = SHARED_VECTORS[picks[shared]]
    calibration[shared] = SHARED_CALIBRATION[picks[shared]]
    return MatchRequest(
        subscriber_id=subscriber_id,
        query_vectors=vectors,
        query_reasons=[f"interest {subscriber_id}.{row}" for row in range(rows)],
        query_calibration=calibration,
        query_ids=[
            int(picks[row]) if shared[row] else 1000 + 10 * subscriber_id + row
            for row in range(rows)
        ],
        categories=frozenset(
            generator.choice(CATEGORIES, size=int(generator.integers(0, 3)), replace=False)
        ),
        authors=frozenset(generator.choice(AUTHORS, size=int(generator.integers(0, 2)))),
        since=[None, date(2026, 6, 29), date(2026, 6, 30)][int(generator.integers(0, 3))],
        threshold=float(generator.choice([0.2, 0.4, 0.6])),
        exclude=frozenset(generator.choice(window.ids, size=int(generator.integers(0, 5)))),
        trending=int(generator.choice([0, 0, 3])),
        limit=int(generator.integers(1, 12)),
    )


def test_batch_and_naive_plans_choose_the_same_papers_for_random_subscribers() -> None:
    generator = np.random.default_rng(7)
    window = _window(generator)
    requests = [_random_request(generator, window, number) for number in range(300)]
    batch = match_batch(requests, window)
    naive = match_naive(requests, window)
    assert [selection.subscriber_id for selection in batch] == list(range(300))
    assert sum(len(selection.picks) for selection in batch) > 300  # the test exercises picks
    for batched, reference in zip(batch, naive, strict=True):
        assert [(pick.column, pick.reason) for pick in batched.picks] == [
            (pick.column, pick.reason) for pick in reference.picks
        ]
        assert np.allclose(
            [pick.score for pick in batched.picks], [pick.score for pick in reference.picks]
        )


def test_the_key_by_key_sort_agrees_when_cells_do_not_fit_one_integer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    generator = np.random.default_rng(21)
    window = _window(generator)
    requests = [_random_request(generator, window, number) for number in range(120)]
    monkeypatch.setattr(batch_match, "PACKED_KEY_LIMIT", 0)
    batch = match_batch(requests, window)
    naive = match_naive(requests, window)
    assert sum(len(selection.picks) for selection in batch) > 100
    for batched, reference in zip(batch, naive, strict=True):
        assert [(p.column, p.reason) for p in batched.picks] == [
            (p.column, p.reason) for p in reference.picks
        ]


def test_vector_matches_respect_categories_dates_threshold_and_exclusions() -> None:
    generator = np.random.default_rng(3)
    window = _window(generator)
    target = 5
    request = MatchRequest(
        subscriber_id=1,
        query_vectors=window.vectors[target : target + 1].copy(),
        query_reasons=["matches your search 'x'"],
        query_calibration=np.array([[30.0, -24.0]]),  # p = 0.5 at cosine 0.8
        categories=window.categories[target],
        threshold=0.9,
        limit=50,
    )
    (selection,) = match_batch([request], window)
    assert selection.picks[0].column == target
    assert selection.picks[0].reason == "matches your search 'x'"
    for pick in selection.picks:
        assert window.categories[pick.column] & request.categories
        assert pick.score >= 0.9

    excluded = MatchRequest(**{**request.__dict__, "exclude": frozenset({window.ids[target]})})
    (without,) = match_batch([excluded], window)
    assert target not in [pick.column for pick in without.picks]

    later = MatchRequest(**{**request.__dict__, "since": date(2026, 7, 1)})
    assert match_batch([later], window)[0].picks == []


def test_followed_authors_come_first_and_say_who() -> None:
    generator = np.random.default_rng(11)
    window = _window(generator)
    name = sorted(window.authors[8])[0]
    request = MatchRequest(
        subscriber_id=4,
        query_vectors=np.zeros((0, 16), dtype=np.float32),
        query_reasons=[],
        query_calibration=np.zeros((0, 2)),
        authors=frozenset({name}),
    )
    (selection,) = match_batch([request], window)
    expected = [column for column, names in enumerate(window.authors) if name in names]
    assert sorted(pick.column for pick in selection.picks) == expected
    assert {pick.reason for pick in selection.picks} == {f"by {name}"}


def test_a_subscriber_without_any_interest_gets_nothing() -> None:
    window = _window(np.random.default_rng(5))
    request = MatchRequest(
        subscriber_id=9,
        query_vectors=np.zeros((0, 16), dtype=np.float32),
        query_reasons=[],
        query_calibration=np.zeros((0, 2)),
    )
    assert match_batch([request], window)[0].picks == []
    assert match_naive([request], window)[0].picks == []
