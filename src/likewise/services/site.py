"""Site service: what the web site shows and does (daily list, trending, paper, author and
category pages, votes, collections, "not interested", submitting a paper).

Ranking comes from rank/daily.py and rank/trending.py; account state from store/accounts.py;
the shapes of cards and listings from site_pages.py.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, timedelta

from likewise.models import AnnouncementKind, Paper, SearchFilters
from likewise.rank.daily import Listed, newest_first, order_daily
from likewise.rank.trending import DEFAULT_WINDOW_DAYS, rank_trending
from likewise.services.arxiv_fetch import fetch_from_arxiv
from likewise.services.catalog import CatalogService
from likewise.services.errors import NotFoundError, SiteError
from likewise.services.near_duplicates import NearDuplicateService, collapse_groups
from likewise.services.site_pages import (
    PER_PAGE,
    SPANS,
    Card,
    ExpiringMemo,
    Listing,
    PaperPage,
    announced_on_days,
    page_count,
    span_bounds,
)
from likewise.services.topics import TopicService
from likewise.services.vectors import VectorService
from likewise.settings import Settings
from likewise.store.accounts import AccountError, AccountRepository, Collection
from likewise.store.base import CatalogStore

_CALENDAR_SECONDS = 30.0
_LIST_SECONDS = 60.0
_CATEGORY = re.compile(r"[A-Za-z-]+(?:\.[A-Za-z-]+)?")
_log = logging.getLogger(__name__)


class SiteService:
    """The lists and pages of the site and what a signed-in reader does on them; the owner of
    the memo of costly lists."""

    def __init__(
        self,
        settings: Settings,
        store: CatalogStore,
        accounts: AccountRepository,
        catalog: CatalogService,
        vectors: VectorService,
        topics: TopicService,
        near_duplicates: NearDuplicateService | None = None,
    ) -> None:
        self._settings = settings
        self._near_duplicates = near_duplicates  # None: every record is shown on its own
        self._store = store
        self._accounts = accounts
        self._catalog = catalog
        self._vectors = vectors
        self._topics = topics
        self._memo = ExpiringMemo()

    def forget_cached_lists(self) -> None:
        self._memo.clear()

    def announcement_calendar(self) -> list[date]:
        return self._memo.get(
            "calendar", _CALENDAR_SECONDS, lambda: sorted(self._store.announcement_days())
        )

    def hidden_for(self, user_id: int | None) -> frozenset[str]:
        return self._accounts.hidden_ids(user_id) if user_id is not None else frozenset()

    def cards_for(
        self,
        arxiv_ids: list[str],
        user_id: int | None,
        extra: dict[str, Card] | None = None,
        *,
        collapse: bool = True,
    ) -> list[Card]:
        """Cards in the given order for the stored papers among the ids; records of one work
        (near-duplicates) become one card, at the best-placed record, that lists the others
        as "also as" (unless not `collapse`: then every record keeps its card and its links)."""
        papers = self._store.get_papers(arxiv_ids)
        present = [arxiv_id for arxiv_id in arxiv_ids if arxiv_id in papers]
        groups = self._near_duplicates.also_as(present) if self._near_duplicates else {}
        if collapse:
            present, _ = collapse_groups(present, str, groups)
        votes = self._accounts.vote_counts(present)
        voted = self._accounts.voted_by(user_id, present) if user_id is not None else set()
        topics = self._topics.topics_for(present)
        cards = []
        for arxiv_id in present:
            card = (extra or {}).get(arxiv_id) or Card(papers[arxiv_id])
            card.paper = papers[arxiv_id]
            card.votes = votes.get(arxiv_id, 0)
            card.voted = arxiv_id in voted
            card.topics = topics.get(arxiv_id, [])
            card.also_as = groups.get(arxiv_id, [])
            cards.append(card)
        return cards

    # -- votes, "not interested" and collections ---------------------------------------------
    def require_paper(self, arxiv_id: str) -> Paper:
        paper = self._store.get_paper(arxiv_id)
        if paper is None:
            raise NotFoundError(f"no paper {arxiv_id!r} in this catalog")
        return paper

    def set_vote(self, user_id: int, arxiv_id: str, up: bool) -> int:
        """Add or withdraw the account's one vote; the paper's vote count after it."""
        self.require_paper(arxiv_id)
        if up:
            self._accounts.add_vote(user_id, arxiv_id)
        else:
            self._accounts.remove_vote(user_id, arxiv_id)
        return self._accounts.vote_counts([arxiv_id]).get(arxiv_id, 0)

    def set_not_interested(self, user_id: int, arxiv_id: str, hidden: bool) -> None:
        self.require_paper(arxiv_id)
        if hidden:
            self._accounts.hide(user_id, arxiv_id)
        else:
            self._accounts.unhide(user_id, arxiv_id)

    def create_collection(self, user_id: int, name: str) -> Collection:
        name = " ".join(name.split())
        if not 1 <= len(name) <= 100:
            raise SiteError("a collection name has 1 to 100 characters")
        try:
            return self._accounts.create_collection(user_id, name)
        except AccountError as error:
            raise SiteError(str(error)) from error

    def require_collection(self, user_id: int, collection_id: int) -> Collection:
        collection = self._accounts.get_collection(user_id, collection_id)
        if collection is None:
            raise NotFoundError(f"you have no collection number {collection_id}")
        return collection

    def save_to_collection(
        self, user_id: int, arxiv_id: str, collection_id: int | None = None, new_name: str = ""
    ) -> Collection:
        """Save a paper to one of the account's collections, or to a new one by name."""
        self.require_paper(arxiv_id)
        if new_name.strip():
            name = " ".join(new_name.split())
            collection = self._accounts.collection_by_name(user_id, name)
            if collection is None:
                collection = self.create_collection(user_id, name)
        elif collection_id is not None:
            collection = self.require_collection(user_id, collection_id)
        else:
            raise SiteError("choose a collection or name a new one")
        self._accounts.add_to_collection(collection.id, arxiv_id)
        return collection

    def remove_from_collection(self, user_id: int, collection_id: int, arxiv_id: str) -> None:
        self._accounts.remove_from_collection(
            self.require_collection(user_id, collection_id).id, arxiv_id
        )

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
        topic: str = "",
    ) -> Listing:
        """Papers announced on the day (or its week or month), most upvoted first; only those
        in `category` (primary or cross-list) when given; cross-lists unless not `cross_lists`;
        only those labelled with `topic` (services/topics.py) when given.

        A day with no announcement (a weekend) resolves to the latest announced day before it;
        `Listing.day` says which day was shown.
        """
        if span not in SPANS:
            raise SiteError(f"span must be one of {', '.join(SPANS)}, not {span!r}")
        if category and not _CATEGORY.fullmatch(category):
            raise SiteError(f"{category!r} is not an arXiv category such as cs.CL")
        if topic:
            self._topics.require_topic(topic)
        days = self.announcement_calendar()
        if not days:
            return Listing([], 0, 1, 1, span=span)
        if day is None:
            day = days[-1]
        start, end = span_bounds(day, span)
        if span == "day" and day not in days:
            earlier = [d for d in days if d < day]
            day = earlier[-1] if earlier else days[0]
            start = end = day
        shown = [d for d in days if start <= d <= end]
        listed, kinds = announced_on_days(self._store, shown, cross_lists=cross_lists)
        if category:
            listed = self._in_category(listed, category)
        if topic:
            labelled = self._topics.topics_for([item.arxiv_id for item in listed])
            listed = [
                item
                for item in listed
                if any(t.id == topic for t in labelled.get(item.arxiv_id, []))
            ]
        if category or topic:
            kept = {(item.arxiv_id, item.day) for item in listed}
            kinds = {key: kind for key, kind in kinds.items() if key in kept}
        new_count = sum(kind == AnnouncementKind.NEW for kind in kinds.values())
        ids = list({item.arxiv_id for item in listed})
        ordered = order_daily(listed, self._accounts.vote_counts(ids), self.hidden_for(user_id))
        if self._near_duplicates is not None:  # one card per work, before paging
            works = set(self._near_duplicates.collapse([i.arxiv_id for i in ordered], str)[0])
            ordered = [item for item in ordered if item.arxiv_id in works]
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
            pages=page_count(len(ordered), per_page),
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
        in_category: frozenset[int] = self._memo.get(
            f"category-keys:{category}",
            _LIST_SECONDS,
            lambda: frozenset(self._store.keys_matching(wanted).tolist()),
        )
        keys = self._store.paper_keys(list({item.arxiv_id for item in listed}))
        return [item for item in listed if keys.get(item.arxiv_id) in in_category]

    def catalog_span(self) -> tuple[int, date | None, date | None]:
        """(papers, first and last announcement day) of the catalog, for every page's footer."""
        days = self.announcement_calendar()
        papers = self._memo.get("paper-count", _CALENDAR_SECONDS, self._store.count_papers)
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
        votes = self._accounts.votes_since(now - timedelta(days=window_days))
        days = self.announcement_calendar()
        recent: list[tuple[str, date]] = []
        if days:
            for day in (d for d in days if (days[-1] - d).days <= window_days):
                recent.extend((a.arxiv_id, day) for a in self._store.announced_on(day))
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
            pages=page_count(total, per_page),
            signal=signal,
        )

    def _sorted_ids(self, filters: SearchFilters) -> list[str]:
        keys = [int(key) for key in self._store.keys_matching(filters)]
        return newest_first(list(self._store.arxiv_ids_for_keys(keys).values()))

    def author_papers(
        self, name: str, user_id: int | None = None, page: int = 1, per_page: int = PER_PAGE
    ) -> Listing:
        name = " ".join(name.split())
        if not name or len(name) > 200:
            raise SiteError("an author name has 1 to 200 characters")
        ids = self._memo.get(
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
        ids = self._memo.get(
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
            self.cards_for(chosen, user_id), len(visible), page, page_count(len(visible), per_page)
        )

    # -- one paper ---------------------------------------------------------------------------
    def paper_page(self, arxiv_id: str, user_id: int | None = None) -> PaperPage:
        paper = self.require_paper(arxiv_id)
        votes = self._accounts.vote_counts([arxiv_id]).get(arxiv_id, 0)
        also = self._near_duplicates.also_as([arxiv_id]) if self._near_duplicates else {}
        also_as = also.get(arxiv_id, [])
        if user_id is None:
            return PaperPage(paper, votes, False, False, also_as=also_as)
        holding = self._accounts.collections_holding(user_id, arxiv_id)
        return PaperPage(
            paper,
            votes,
            bool(self._accounts.voted_by(user_id, [arxiv_id])),
            arxiv_id in self._accounts.hidden_ids(user_id),
            collections=[(c, c.id in holding) for c in self._accounts.collections_of(user_id)],
            also_as=also_as,
        )

    def collection_page(
        self, user_id: int, collection_id: int, page: int = 1, per_page: int = PER_PAGE
    ) -> tuple[Collection, Listing]:
        collection = self.require_collection(user_id, collection_id)
        ids = self._accounts.collection_items(collection.id)
        page = max(1, page)
        chosen = ids[(page - 1) * per_page : page * per_page]
        # A reader's own collection shows every record they saved, linked to its twins.
        cards = self.cards_for(chosen, user_id, collapse=False)
        return collection, Listing(cards, len(ids), page, page_count(len(ids), per_page))

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
        if self._store.get_paper(arxiv_id) is not None:
            return arxiv_id, False
        papers = fetch_from_arxiv(self._settings, arxiv_id, self._catalog.transport)
        found = [paper for paper in papers if paper.arxiv_id == arxiv_id]
        if not found:
            raise NotFoundError(f"arXiv has no paper {arxiv_id!r}")
        self._store.upsert_papers(found, source="arxiv-api")
        self._catalog.check_near_duplicates("arxiv-api")
        self.forget_cached_lists()
        try:
            self._vectors.update_vectors()
        except Exception as error:  # the paper is stored; its vector comes with the next run
            _log.warning("submitted %s but could not embed it yet: %s", arxiv_id, error)
        # The lexical index is not republished here (that compares every paper's text and
        # takes seconds on a large catalog): a new paper has the newest key, which every
        # search process adds to its in-memory index; the next ingest publishes it.
        return arxiv_id, True
