"""What the site's lists and pages are made of (cards, listings, a paper's page), the spans of
the daily list and what was announced in them, and the short-lived memo that the site service
keeps of costly lists."""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TypeVar

from likewise.models import AlsoAs, AnnouncementKind, Evidence, Paper
from likewise.rank.daily import Listed
from likewise.rank.topics import Topic
from likewise.store.accounts import Collection
from likewise.store.base import CatalogStore

SPANS = ("day", "week", "month")
PER_PAGE = 30
_MEMO_ENTRIES = 256
T = TypeVar("T")


@dataclass(slots=True)
class Card:
    """A paper as a list shows it, with its upvotes and the viewer's own state."""

    paper: Paper
    votes: int = 0
    voted: bool = False
    day: date | None = None
    kind: str | None = None
    score: float | None = None
    reason: str | None = None
    topics: list[Topic] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)  # search: sentences that matched
    also_as: list[AlsoAs] = field(default_factory=list)  # the work's other records, folded in


@dataclass(slots=True)
class Listing:
    """One page of a paper list, with what the page needs to link to its neighbours."""

    cards: list[Card]
    total: int
    page: int
    pages: int
    day: date | None = None
    span: str = "day"
    start: date | None = None
    end: date | None = None
    new_count: int = 0
    previous_day: date | None = None
    next_day: date | None = None
    signal: str = ""


@dataclass(slots=True)
class PaperPage:
    paper: Paper
    votes: int
    voted: bool
    hidden: bool
    announced_days: list[date] = field(default_factory=list)
    collections: list[tuple[Collection, bool]] = field(default_factory=list)
    also_as: list[AlsoAs] = field(default_factory=list)  # the same work's other records


def span_bounds(day: date, span: str) -> tuple[date, date]:
    """First and last day of the day's week or month (or the day itself)."""
    if span == "week":
        start = day - timedelta(days=day.weekday())
        # A stored day in the last week of the calendar: the week ends at date.max.
        return start, date.fromordinal(min(start.toordinal() + 6, date.max.toordinal()))
    if span == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last)
    return day, day


def page_count(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


class ExpiringMemo:
    """Per-process values, each refreshed after its few seconds (other workers may ingest)."""

    def __init__(self) -> None:
        self._held: dict[str, tuple[float, Any]] = {}

    def get(self, key: str, seconds: float, compute: Callable[[], T]) -> T:
        now = time.monotonic()
        held = self._held.get(key)
        if held is not None and held[0] > now:
            return held[1]  # type: ignore[no-any-return]
        value = compute()
        memo = self._held
        if len(memo) >= _MEMO_ENTRIES:  # bounded: author pages alone could grow it forever
            for stale in [name for name, (expiry, _) in list(memo.items()) if expiry <= now]:
                memo.pop(stale, None)
            if len(memo) >= _MEMO_ENTRIES:
                memo.clear()
        memo[key] = (now + seconds, value)
        return value

    def clear(self) -> None:
        self._held.clear()


def announced_on_days(
    store: CatalogStore, days: Sequence[date], *, cross_lists: bool = True
) -> tuple[list[Listed], dict[tuple[str, date], str]]:
    """The papers announced on the days (new and cross-listed ones; replacements are not news),
    and each (id, day)'s announcement kind; cross-lists left out unless `cross_lists`."""
    listed: list[Listed] = []
    kinds: dict[tuple[str, date], str] = {}
    for day in days:
        for announcement in store.announced_on(day):
            if announcement.kind == AnnouncementKind.REPLACEMENT:
                continue
            if not cross_lists and announcement.kind == AnnouncementKind.CROSS_LIST:
                continue
            kinds[(announcement.arxiv_id, day)] = str(announcement.kind)
            listed.append(Listed(announcement.arxiv_id, day))
    return listed, kinds
