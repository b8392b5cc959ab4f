"""Trending: time-decayed community upvotes over a window, with a new-paper fallback.

score(p) = sum over the votes v of p cast within the last W days of 2 ** (-(now - t_v) / H),
H the half-life (default 48 hours) and W the window (default 7 days): a vote counts 1 when
cast, 1/2 after H, and nothing once older than W. Papers with at least one vote in the window
come first, by score. When fewer than `limit` papers have votes (a new catalog has none),
the list is filled by the new-paper signal: papers announced within the window before the
newest announcement day, freshest first, freshness 2 ** (-age_in_days * 24 / H), ties by
arXiv id (newest submission first). "Not interested" papers of the viewer are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from likewise.rank.daily import arxiv_recency

DEFAULT_HALF_LIFE_HOURS = 48.0
DEFAULT_WINDOW_DAYS = 7


@dataclass(frozen=True, slots=True)
class TrendingScore:
    arxiv_id: str
    score: float
    votes: int  # votes within the window
    signal: str  # "votes" or "new"


def vote_scores(
    votes: Iterable[tuple[str, datetime]],
    now: datetime,
    half_life_hours: float = DEFAULT_HALF_LIFE_HOURS,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> dict[str, tuple[float, int]]:
    """(decayed score, vote count) per paper from (arxiv_id, vote time) pairs."""
    if half_life_hours <= 0:
        raise ValueError("the half-life must be positive")
    oldest = now - timedelta(days=window_days)
    scores: dict[str, tuple[float, int]] = {}
    for arxiv_id, cast in votes:
        if cast < oldest or cast > now + timedelta(minutes=5):
            continue
        age_hours = max(0.0, (now - cast).total_seconds() / 3600.0)
        weight = 2.0 ** (-age_hours / half_life_hours)
        score, count = scores.get(arxiv_id, (0.0, 0))
        scores[arxiv_id] = (score + weight, count + 1)
    return scores


def rank_trending(
    votes: Iterable[tuple[str, datetime]],
    recent: Sequence[tuple[str, date]],
    now: datetime,
    *,
    limit: int,
    hidden: frozenset[str] = frozenset(),
    half_life_hours: float = DEFAULT_HALF_LIFE_HOURS,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> list[TrendingScore]:
    """Top `limit` papers; `recent` is (arxiv_id, announcement day) for the fallback."""
    by_votes = vote_scores(votes, now, half_life_hours, window_days)
    ranked = [
        TrendingScore(arxiv_id, score, count, "votes")
        for arxiv_id, (score, count) in by_votes.items()
        if arxiv_id not in hidden
    ]
    ranked.sort(key=lambda item: (-item.score, -item.votes, item.arxiv_id))
    ranked = ranked[:limit]
    if len(ranked) >= limit or not recent:
        return ranked
    taken = {item.arxiv_id for item in ranked}
    newest_day = max(day for _, day in recent)
    freshest: dict[str, date] = {}
    for arxiv_id, day in recent:
        if arxiv_id in taken or arxiv_id in hidden:
            continue
        if (newest_day - day).days > window_days:
            continue
        if arxiv_id not in freshest or day > freshest[arxiv_id]:
            freshest[arxiv_id] = day
    fallback = [
        TrendingScore(
            arxiv_id,
            2.0 ** (-(newest_day - day).days * 24.0 / half_life_hours),
            0,
            "new",
        )
        for arxiv_id, day in freshest.items()
    ]
    fallback.sort(
        key=lambda item: (-item.score, tuple(-part for part in arxiv_recency(item.arxiv_id)))
    )
    return ranked + fallback[: limit - len(ranked)]
