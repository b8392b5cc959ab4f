"""Order of the daily list: most upvoted first, then most recent (day, then arXiv number).

Papers an account marked "not interested" are left out of that account's list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

_NEW_STYLE = re.compile(r"^(\d{2})(\d{2})\.(\d{4,5})$")
_OLD_STYLE = re.compile(r"^[a-z-]+(?:\.[A-Za-z]{2})?/(\d{2})(\d{2})(\d{3})$")


def arxiv_recency(arxiv_id: str) -> tuple[int, int]:
    """(year*100 + month, number): larger is newer. arXiv numbers papers in submission order
    within a month, so the id alone orders papers by submission time. Local ids sort last."""
    match = _NEW_STYLE.match(arxiv_id)
    if match:
        return (2000 + int(match[1])) * 100 + int(match[2]), int(match[3])
    match = _OLD_STYLE.match(arxiv_id)
    if match:
        # Old-style ids ran from 1991 to March 2007.
        year = int(match[1])
        year += 1900 if year >= 91 else 2000
        return year * 100 + int(match[2]), int(match[3])
    return 0, 0


@dataclass(frozen=True, slots=True)
class Listed:
    """A paper listed on a day of the announcement calendar."""

    arxiv_id: str
    day: date


def order_daily(
    listed: Iterable[Listed],
    votes: Mapping[str, int],
    hidden: frozenset[str] = frozenset(),
) -> list[Listed]:
    """Upvotes (descending), then announcement day (newest first), then arXiv id (newest
    first); a paper listed on several days appears once, on its latest day."""
    latest: dict[str, Listed] = {}
    for item in listed:
        if item.arxiv_id in hidden:
            continue
        seen = latest.get(item.arxiv_id)
        if seen is None or item.day > seen.day:
            latest[item.arxiv_id] = item
    return sorted(
        latest.values(),
        key=lambda item: (
            -votes.get(item.arxiv_id, 0),
            -item.day.toordinal(),
            tuple(-part for part in arxiv_recency(item.arxiv_id)),
            item.arxiv_id,
        ),
    )


def newest_first(arxiv_ids: Sequence[str]) -> list[str]:
    """Ids ordered by submission time, newest first (author and category pages)."""
    return sorted(arxiv_ids, key=lambda arxiv_id: (arxiv_recency(arxiv_id), arxiv_id), reverse=True)
