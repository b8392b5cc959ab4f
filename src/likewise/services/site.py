"""Library part: what the web site shows and does (daily list, trending, paper, author and
category pages, votes, collections, "not interested", accounts, submitting a paper).

Ranking comes from rank/daily.py and rank/trending.py; account state from store/accounts.py.
Accounts, votes and collections are in site_accounts.py, the part this one builds on.
"""

from __future__ import annotations

import calendar
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from likewise.services.accounts import (
    AccountOps,
    NotFoundError,
    SignInError,
    SiteError,
    TooManyAttemptsError,
)
from likewise.models import AnnouncementKind, Paper, SearchFilters
from likewise.rank.daily import Listed, newest_first, order_daily
from likewise.rank.trending import DEFAULT_WINDOW_DAYS, rank_trending
from likewise.store.accounts import Collection

SPANS = ("day", "week", "month")
PER_PAGE = 30
_CALENDAR_SECONDS = 30.0
_LIST_SECONDS = 60.0
_MEMO_ENTRIES = 256
_CATEGORY = re.compile(r"[A-Za-z-]+(?:\.[A-Za-z-]+)?")
T = TypeVar("T")
__all__ = [
    "ArxivUnreachableError",
    "Card",
    "Listing",
    "NotFoundError",
    "PaperPage",
    "SignInError",
    "SiteError",
    "SiteOps",
    "TooManyAttemptsError",
]
_log = logging.getLogger(__name__)


class ArxivUnreachableError(SiteError):
    """arXiv did not answer (offline, DNS, timeouts, server errors after the retries)."""


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


def _span_bounds(day: date, span: str) -> tuple[date, date]:
    if span == "week":
        start = day - timedelta(days=day.weekday())
        # A stored day in the last week of the calendar: the week ends at date.max.
        return start, date.fromordinal(min(start.toordinal() + 6, date.max.toordinal()))
    if span == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last)
    return day, day


def _pages(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


class SiteOps(AccountOps):
    """Operations of the site area."""

    # -- shared helpers ----------------------------------------------------------------------
    def _memo(self, key: str, seconds: float, compute: Callable[[], T]) -> T:
        """A per-process value refreshed every few seconds (other workers may ingest)."""
        memo: dict[str, tuple[float, Any]] = self._cache.setdefault("site.memo", {})
        now = time.monotonic()
        held = memo.get(key)
        if held is not None and held[0] > now:
            return held[1]  # type: ignore[no-any-return]
        value = compute()
        if len(memo) >= _MEMO_ENTRIES:  # bounded: author pages alone could grow it forever
            for stale in [name for name, (expiry, _) in list(memo.items()) if expiry <= now]:
                memo.pop(stale, None)
            if len(memo) >= _MEMO_ENTRIES:
                memo.clear()
        memo[key] = (now + seconds, value)
        return value

    def forget_cached_lists(self) -> None:
        self._cache.pop("site.memo", None)

    def announcement_calendar(self) -> list[date]:
        return self._memo(
            "calendar", _CALENDAR_SECONDS, lambda: sorted(self.store.announcement_days())
        )

    def hidden_for(self, user_id: int | None) -> frozenset[str]:
        return self.accounts.hidden_ids(user_id) if user_id is not None else frozenset()

    def cards_for(
        self, arxiv_ids: list[str], user_id: int | None, extra: dict[str, Card] | None = None
    ) -> list[Card]:
        """Cards in the given order for the stored papers among the ids."""
        papers = self.store.get_papers(arxiv_ids)
        present = [arxiv_id for arxiv_id in arxiv_ids if arxiv_id in papers]
        votes = self.accounts.vote_counts(present)
        voted = self.accounts.voted_by(user_id, present) if user_id is not None else set()
        cards = []
        for arxiv_id in present:
            card = (extra or {}).get(arxiv_id) or Card(papers[arxiv_id])
            card.paper = papers[arxiv_id]
            card.votes = votes.get(arxiv_id, 0)
            card.voted = arxiv_id in voted
            cards.append(card)
        return cards

    # -- lists -------------------------------------------------------------------------------
    def daily(
        self,
        day: date | None = None,
        span: str = "day",
        user_id: int | None = None,
        page: int = 1,
        per_page: int = PER_PAGE,
        category: str = "",
        cross_lists: bool = True,
    ) -> Listing:
        """Papers announced on the day (or its week or month), most upvoted first; only those
        in `category` (primary or cross-list) when given; cross-lists unless not `cross_lists`.

        A day with no announcement (a weekend) resolves to the latest announced day before it;
        `Listing.day` says which day was shown.
        """
        if span not in SPANS:
            raise SiteError(f"span must be one of {', '.join(SPANS)}, not {span!r}")
        if category and not _CATEGORY.fullmatch(category):
            raise SiteError(f"{category!r} is not an arXiv category such as cs.CL")
        days = self.announcement_calendar()
        if not days:
            return Listing([], 0, 1, 1, span=span)
        if day is None:
            day = days[-1]
        start, end = _span_bounds(day, span)
        if span == "day" and day not in days:
            earlier = [d for d in days if d < day]
            day = earlier[-1] if earlier else days[0]
            start = end = day
        shown = [d for d in days if start <= d <= end]
        listed: list[Listed] = []
        kinds: dict[tuple[str, date], str] = {}
        for shown_day in shown:
            for announcement in self.store.announced_on(shown_day):
                if announcement.kind == AnnouncementKind.REPLACEMENT:
                    continue
                if not cross_lists and announcement.kind == AnnouncementKind.CROSS_LIST:
                    continue
                kinds[(announcement.arxiv_id, shown_day)] = str(announcement.kind)
                listed.append(Listed(announcement.arxiv_id, shown_day))
        if category:
            listed = self._in_category(listed, category)
            kept = {(item.arxiv_id, item.day) for item in listed}
            kinds = {key: kind for key, kind in kinds.items() if key in kept}
        new_count = sum(kind == AnnouncementKind.NEW for kind in kinds.values())
        ids = list({item.arxiv_id for item in listed})
        ordered = order_daily(listed, self.accounts.vote_counts(ids), self.hidden_for(user_id))
        page = max(1, page)
        chosen = ordered[(page - 1) * per_page : page * per_page]
        extra = {
            item.arxiv_id: Card(
                Paper(item.arxiv_id, ""), day=item.day, kind=kinds.get((item.arxiv_id, item.day))
            )
            for item in chosen
        }
        before = [d for d in days if d < start]
        after = [d for d in days if d > end]
        return Listing(
            cards=self.cards_for([item.arxiv_id for item in chosen], user_id, extra),
            total=len(ordered),
            page=page,
            pages=_pages(len(ordered), per_page),
            day=day,
            span=span,
            start=start,
            end=end,
            new_count=new_count,
            previous_day=before[-1] if before else None,
            next_day=after[0] if after else None,
        )

    def _in_category(self, listed: list[Listed], category: str) -> list[Listed]:
        wanted = SearchFilters(categories=(category,))
        in_category: frozenset[int] = self._memo(
            f"category-keys:{category}",
            _LIST_SECONDS,
            lambda: frozenset(self.store.keys_matching(wanted).tolist()),
        )
        keys = self.store.paper_keys(list({item.arxiv_id for item in listed}))
        return [item for item in listed if keys.get(item.arxiv_id) in in_category]

    def catalog_span(self) -> tuple[int, date | None, date | None]:
        """(papers, first and last announcement day) of the catalog, for every page's footer."""
        days = self.announcement_calendar()
        papers = self._memo("paper-count", _CALENDAR_SECONDS, self.store.count_papers)
        return papers, (days[0] if days else None), (days[-1] if days else None)

    def trending(
        self,
        user_id: int | None = None,
        page: int = 1,
        per_page: int = PER_PAGE,
        window_days: int = DEFAULT_WINDOW_DAYS,
        now: datetime | None = None,
    ) -> Listing:
        """Time-decayed upvotes over the window; new papers fill in (rank/trending.py)."""
        if not 1 <= window_days <= 90:
            raise SiteError("the trending window must be between 1 and 90 days")
        now = now or datetime.now(UTC)
        votes = self.accounts.votes_since(now - timedelta(days=window_days))
        days = self.announcement_calendar()
        recent: list[tuple[str, date]] = []
        if days:
            for day in (d for d in days if (days[-1] - d).days <= window_days):
                recent.extend((a.arxiv_id, day) for a in self.store.announced_on(day))
        page = max(1, page)
        limit = page * per_page
        ranked = rank_trending(
            votes,
            recent,
            now,
            limit=limit,
            hidden=self.hidden_for(user_id),
            window_days=window_days,
        )
        chosen = ranked[(page - 1) * per_page : limit]
        extra = {s.arxiv_id: Card(Paper(s.arxiv_id, ""), score=s.score) for s in chosen}
        total = len(ranked) if len(ranked) < limit else limit + 1
        signal = "votes" if any(s.signal == "votes" for s in ranked) else "new"
        return Listing(
            self.cards_for([s.arxiv_id for s in chosen], user_id, extra),
            total=total,
            page=page,
            pages=_pages(total, per_page),
            signal=signal,
        )

    def _sorted_ids(self, filters: SearchFilters) -> list[str]:
        keys = [int(key) for key in self.store.keys_matching(filters)]
        return newest_first(list(self.store.arxiv_ids_for_keys(keys).values()))

    def author_papers(
        self, name: str, user_id: int | None = None, page: int = 1, per_page: int = PER_PAGE
    ) -> Listing:
        name = " ".join(name.split())
        if not name or len(name) > 200:
            raise SiteError("an author name has 1 to 200 characters")
        ids = self._memo(
            f"author:{name.casefold()}",
            _LIST_SECONDS,
            lambda: self._sorted_ids(SearchFilters(authors=(name,))),
        )
        return self._paged(ids, user_id, page, per_page)

    def category_papers(
        self, category: str, user_id: int | None = None, page: int = 1, per_page: int = PER_PAGE
    ) -> Listing:
        if not _CATEGORY.fullmatch(category):
            raise SiteError(f"{category!r} is not an arXiv category such as cs.CL")
        ids = self._memo(
            f"category:{category}",
            _LIST_SECONDS,
            lambda: self._sorted_ids(SearchFilters(categories=(category,))),
        )
        return self._paged(ids, user_id, page, per_page)

    def _paged(self, ids: list[str], user_id: int | None, page: int, per_page: int) -> Listing:
        hidden = self.hidden_for(user_id)
        visible = [arxiv_id for arxiv_id in ids if arxiv_id not in hidden] if hidden else ids
        page = max(1, page)
        chosen = visible[(page - 1) * per_page : page * per_page]
        return Listing(
            self.cards_for(chosen, user_id), len(visible), page, _pages(len(visible), per_page)
        )

    # -- one paper ---------------------------------------------------------------------------
    def paper_page(self, arxiv_id: str, user_id: int | None = None) -> PaperPage:
        paper = self.require_paper(arxiv_id)
        votes = self.accounts.vote_counts([arxiv_id]).get(arxiv_id, 0)
        if user_id is None:
            return PaperPage(paper, votes, False, False)
        holding = self.accounts.collections_holding(user_id, arxiv_id)
        return PaperPage(
            paper,
            votes,
            bool(self.accounts.voted_by(user_id, [arxiv_id])),
            arxiv_id in self.accounts.hidden_ids(user_id),
            collections=[(c, c.id in holding) for c in self.accounts.collections_of(user_id)],
        )

    def collection_page(
        self, user_id: int, collection_id: int, page: int = 1, per_page: int = PER_PAGE
    ) -> tuple[Collection, Listing]:
        collection = self.require_collection(user_id, collection_id)
        ids = self.accounts.collection_items(collection.id)
        page = max(1, page)
        chosen = ids[(page - 1) * per_page : page * per_page]
        return collection, Listing(
            self.cards_for(chosen, user_id), len(ids), page, _pages(len(ids), per_page)
        )

    # -- submitting --------------------------------------------------------------------------
    def submit_paper(self, arxiv_id_or_url: str) -> tuple[str, bool]:
        """Fetch a paper by id or abs/PDF URL from the arXiv API and store it.

        Returns (bare arXiv id, whether it was new). A paper already stored is not fetched.
        """
        from likewise.ingest.ids import InvalidArxivIdError, parse_arxiv_id

        try:
            arxiv_id = parse_arxiv_id(arxiv_id_or_url.strip()[:300]).bare
        except InvalidArxivIdError as error:
            raise SiteError(str(error)) from error
        if self.store.get_paper(arxiv_id) is not None:
            return arxiv_id, False
        papers = self._fetch_from_arxiv(arxiv_id)
        found = [paper for paper in papers if paper.arxiv_id == arxiv_id]
        if not found:
            raise NotFoundError(f"arXiv has no paper {arxiv_id!r}")
        self.store.upsert_papers(found, source="arxiv-api")
        self.forget_cached_lists()
        update_vectors = getattr(self, "update_vectors", None)
        if callable(update_vectors):
            try:
                update_vectors()
            except Exception as error:  # the paper is stored; its vector comes with the next run
                _log.warning("submitted %s but could not embed it yet: %s", arxiv_id, error)
        # The lexical index is not republished here (that compares every paper's text and
        # takes seconds on a large catalog): a new paper has the newest key, which every
        # search process adds to its in-memory index; the next ingest publishes it.
        return arxiv_id, True

    def _fetch_from_arxiv(self, arxiv_id: str) -> list[Paper]:
        from likewise.ingest.arxiv_api import ArxivApiSource
        from likewise.ingest.base import IngestError
        from likewise.ingest.http import FetchError, PoliteClient

        settings = self.settings
        client = PoliteClient(
            interval=settings.request_interval,
            retries=min(settings.request_retries, 2),
            timeout=min(settings.request_timeout, 20.0),
            # The transport CatalogOps.use_transport installs (tests: recorded responses).
            transport=self._cache.get("catalog.transport"),
        )
        try:
            source = ArxivApiSource(client, settings.arxiv_api_url, ids=[arxiv_id])
            return [paper for batch in source.batches(None, 10) for paper in batch.papers]
        except FetchError as error:
            # The resolver's or socket's own words mean nothing to the reader; the log has them.
            _log.warning("submitting %s: %s", arxiv_id, error)
            problem = f"arXiv could not be reached, so {arxiv_id} was not added. Try again later."
            raise ArxivUnreachableError(problem) from error
        except IngestError as error:
            raise SiteError(f"could not fetch {arxiv_id} from arXiv: {error}") from error
        finally:
            client.close()
