"""Trending: time-decayed votes within a window, and the new-paper fallback."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from likewise.rank.trending import rank_trending, vote_scores

NOW = datetime(2025, 3, 20, 12, tzinfo=UTC)


def test_a_vote_counts_half_after_one_half_life() -> None:
    scores = vote_scores([("a", NOW), ("b", NOW - timedelta(hours=48))], NOW, half_life_hours=48)
    assert scores["a"] == (pytest.approx(1.0), 1)
    assert scores["b"] == (pytest.approx(0.5), 1)


def test_votes_older_than_the_window_count_nothing() -> None:
    scores = vote_scores([("a", NOW - timedelta(days=8))], NOW, window_days=7)
    assert scores == {}


def test_two_old_votes_can_beat_one_fresh_vote() -> None:
    votes = [("fresh", NOW), ("old", NOW - timedelta(hours=24)), ("old", NOW - timedelta(hours=24))]
    ranked = rank_trending(votes, [], NOW, limit=5, half_life_hours=48)
    # 2 * 2^(-24/48) = 1.41 > 1.
    assert [item.arxiv_id for item in ranked] == ["old", "fresh"]
    assert ranked[0].votes == 2 and ranked[0].signal == "votes"


def test_without_votes_the_newest_announced_papers_fill_in() -> None:
    recent = [
        ("monday", date(2025, 3, 17)),
        ("friday", date(2025, 3, 14)),
        ("long-ago", date(2025, 2, 1)),
    ]
    ranked = rank_trending([], recent, NOW, limit=5)
    assert [item.arxiv_id for item in ranked] == ["monday", "friday"]
    assert {item.signal for item in ranked} == {"new"}


def test_voted_papers_come_before_the_fallback_and_hidden_ones_are_left_out() -> None:
    recent = [
        ("new-a", date(2025, 3, 20)),
        ("voted", date(2025, 3, 10)),
        ("hidden", date(2025, 3, 20)),
    ]
    votes = [("voted", NOW - timedelta(days=3)), ("hidden", NOW)]
    ranked = rank_trending(votes, recent, NOW, limit=5, hidden=frozenset({"hidden"}))
    assert [item.arxiv_id for item in ranked] == ["voted", "new-a"]


def test_the_limit_is_respected() -> None:
    recent = [(f"2503.{n:05d}", date(2025, 3, 17)) for n in range(10)]
    ranked = rank_trending([], recent, NOW, limit=3)
    assert [item.arxiv_id for item in ranked] == ["2503.00009", "2503.00008", "2503.00007"]
