"""Digest planning (under digests.py): the next digest of every due subscriber, matched at once.

The window's papers and every subscriber's interests become one batch of hybrid queries
(rank/batch_match.py, HQI); each query carries its Cosine Adapter parameters from the search
engine's calibration, so the strictness a subscriber picks is the same calibrated relevance
cut-off that search applies. Items picked by a saved search carry the abstract sentences that
best support it (services/evidence.py, "why it matched"). Subscribers whose address an
account has verified also get a "For you" section from the personal feed
(services/recommend.py), over the same window.
Composing and sending live in digest/runner.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial

import numpy as np
import numpy.typing as npt

from likewise.digest.choose import DigestItem, DigestPlan, Theme, choose
from likewise.digest.interests import (
    AUTHOR,
    CATEGORY,
    COLLECTION,
    LIKE,
    SEARCH,
    TRENDING,
    threshold_for,
)
from likewise.digest.plan import LIMIT, like_reason, search_reason, window_for
from likewise.models import AnnouncementKind, Paper
from likewise.rank.batch_match import MatchRequest, WindowPapers, fallback_calibration, match_batch
from likewise.rank.trending import rank_trending
from likewise.services.embedding import EmbedderProvider
from likewise.services.evidence import EvidenceService
from likewise.services.near_duplicates import NearDuplicateService
from likewise.services.recommend import RecommendService
from likewise.services.search import SearchService
from likewise.services.vectors import VectorService
from likewise.settings import Settings
from likewise.store.accounts import AccountRepository
from likewise.store.base import CatalogStore
from likewise.store.digests import DigestRepository, Interest, Subscriber, utc_now

_CALIBRATION_DEPTH = 10  # the adapter's score features look at a query's top 10 (rank/search)
_COLLECTION_ITEMS = 20
FOR_YOU = "For you"
FOR_YOU_LIMIT = 5


@dataclass(slots=True)
class _Window:
    papers: list[Paper]
    matrix: WindowPapers
    groups: dict[str, list[str]] = field(default_factory=dict)  # near-duplicates by id


@dataclass(slots=True)
class _Queries:
    vectors: list[npt.NDArray[np.float32]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    calibration: list[tuple[float, float]] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    # reason of a saved search -> (its text, its query vector), for the supporting sentences
    searches: dict[str, tuple[str, npt.NDArray[np.float32]]] = field(default_factory=dict)


class DigestPlanner:
    """Matching every due subscriber's interests against the window's papers."""

    def __init__(
        self,
        settings: Settings,
        store: CatalogStore,
        embedding: EmbedderProvider,
        vectors: VectorService,
        search: SearchService,
        digests: DigestRepository,
        accounts: AccountRepository,
        recommend: RecommendService | None = None,
        near_duplicates: NearDuplicateService | None = None,
        evidence: EvidenceService | None = None,
    ) -> None:
        self._settings = settings
        self._evidence = evidence  # None: items carry no supporting sentences
        self._recommend = recommend
        self._near_duplicates = near_duplicates  # None: records of one work are not folded
        self._store = store
        self._embedding = embedding
        self._vectors = vectors
        self._search = search  # the owner of the relevance calibration
        self._digests = digests
        self._accounts = accounts

    # -- vectors and calibration ---------------------------------------------------------------
    def _paper_vector_of(self, paper: Paper) -> npt.NDArray[np.float32]:
        vector: npt.NDArray[np.float32] = self._vectors.vectors_for([paper])[0]
        return vector

    def _query_calibration(
        self, vector: npt.NDArray[np.float32], itself: str | None = None
    ) -> tuple[float, float]:
        """(a(q), b(q)) of the search engine's dense Cosine Adapter for this query vector."""
        calibration = self._search.relevance_calibration()
        adapter = calibration.adapter_for("dense") if calibration is not None else None
        if adapter is None:
            slope, offset = fallback_calibration(1)[0]
            return float(slope), float(offset)
        keys, similarities = self._vectors.vector_index().search(vector, _CALIBRATION_DEPTH + 1)
        if itself is not None:
            own = self._store.paper_keys([itself]).get(itself)
            similarities = similarities[keys != own] if own is not None else similarities
        return adapter.parameters(vector, similarities[:_CALIBRATION_DEPTH])

    def _cached_query(
        self,
        interest: Interest,
        compute: Callable[[], npt.NDArray[np.float32]],
        itself: str | None = None,
    ) -> tuple[npt.NDArray[np.float32], tuple[float, float]]:
        """An interest's query vector and calibration, cached on its row per embedding model
        (computed on first use, and again after a change of model)."""
        model = self._embedding.get().model_id
        if (
            interest.vector is not None
            and interest.vector_model == model
            and interest.calibration is not None
        ):
            return np.frombuffer(interest.vector, dtype=np.float32), interest.calibration
        vector = compute()
        calibration = self._query_calibration(vector, itself)
        if interest.id:
            self._digests.store_interest_vector(
                interest.id, model, vector.astype(np.float32).tobytes(), calibration
            )
        return vector, calibration

    # -- the window --------------------------------------------------------------------------
    def _window(self, days: Sequence[date], now: datetime) -> _Window:
        first_day: dict[str, date] = {}
        for day in days:
            for announcement in self._store.announced_on(day):
                if announcement.kind != AnnouncementKind.REPLACEMENT:
                    first_day.setdefault(announcement.arxiv_id, day)
        found = self._store.get_papers(sorted(first_day))
        papers = [found[arxiv_id] for arxiv_id in sorted(first_day) if arxiv_id in found]
        votes = self._accounts.votes_since(now - timedelta(days=7))
        recent = [(paper.arxiv_id, first_day[paper.arxiv_id]) for paper in papers]
        ranked = rank_trending(votes, recent, now, limit=len(papers))
        position = {score.arxiv_id: rank for rank, score in enumerate(ranked)}
        matrix = WindowPapers(
            ids=[paper.arxiv_id for paper in papers],
            vectors=self._vectors.vectors_for(papers),
            categories=[frozenset(paper.categories) for paper in papers],
            authors=[frozenset(name.casefold() for name in paper.authors) for paper in papers],
            announced=[first_day[paper.arxiv_id] for paper in papers],
            trending_rank=np.array(
                [position.get(paper.arxiv_id, -1) for paper in papers], dtype=np.int64
            ),
        )
        groups: dict[str, list[str]] = {}
        if self._near_duplicates is not None:
            found_groups = self._near_duplicates.also_as(matrix.ids)
            groups = {key: [o.arxiv_id for o in others] for key, others in found_groups.items()}
        return _Window(papers, matrix, groups)

    def _sent_under_another_record(
        self, subscribers: Sequence[Subscriber], window: _Window
    ) -> dict[int, set[str]]:
        """Per subscriber, the window's papers whose work an earlier digest already sent
        under another record (a re-submission of a paper they were sent last month)."""
        twins = sorted({other for others in window.groups.values() for other in others})
        if not twins:
            return {}
        sent = self._digests.suggested_among([s.id for s in subscribers], twins)
        return {
            subscriber_id: {
                arxiv_id
                for arxiv_id, others in window.groups.items()
                if any(other in records for other in others)
            }
            for subscriber_id, records in sent.items()
            if records
        }

    # -- interests -> queries ----------------------------------------------------------------
    def _liked_papers(self, subscribers: Sequence[Subscriber]) -> dict[str, Paper]:
        wanted = {i.value for s in subscribers for i in s.interests if i.kind == LIKE}
        return self._store.get_papers(sorted(wanted)) if wanted else {}

    def _collection_likes(self, subscriber: Subscriber, interest: Interest) -> list[str]:
        if subscriber.user_id is None or not interest.value.isdigit():
            return []
        collection = self._accounts.get_collection(subscriber.user_id, int(interest.value))
        if collection is None:
            return []
        return self._accounts.collection_items(collection.id)[:_COLLECTION_ITEMS]

    def _queries(
        self, subscriber: Subscriber, liked: dict[str, Paper], identities: dict[str, int]
    ) -> _Queries:
        queries = _Queries()

        def add(
            vector: npt.NDArray[np.float32], reason: str, calib: tuple[float, float], key: str
        ) -> None:
            # Equal keys mean equal vectors and calibrations: the batch scores them once.
            queries.vectors.append(vector)
            queries.reasons.append(reason)
            queries.calibration.append(calib)
            queries.ids.append(identities.setdefault(key, len(identities)))

        for interest in subscriber.interests:
            if interest.kind == SEARCH and interest.value.strip():
                text = interest.value
                vector, calibration = self._cached_query(
                    interest, partial(self._embedding.query().embed_query, text)
                )
                add(vector, search_reason(text), calibration, f"search:{text}")
                queries.searches[search_reason(text)] = (text, vector)
            elif interest.kind == LIKE and interest.value in liked:
                paper = liked[interest.value]
                vector, calibration = self._cached_query(
                    interest, partial(self._paper_vector_of, paper), paper.arxiv_id
                )
                add(vector, like_reason(paper.title), calibration, f"like:{paper.arxiv_id}")
            elif interest.kind == COLLECTION:
                ids = self._collection_likes(subscriber, interest)
                papers = self._store.get_papers(ids)
                members = [papers[arxiv_id] for arxiv_id in ids if arxiv_id in papers]
                for paper, vector in zip(members, self._vectors.vectors_for(members), strict=True):
                    add(
                        vector,
                        like_reason(paper.title, "saved"),
                        self._query_calibration(vector, paper.arxiv_id),
                        f"saved:{paper.arxiv_id}",
                    )
        return queries

    def _request(
        self,
        subscriber: Subscriber,
        since: date,
        liked: dict[str, Paper],
        exclude: set[str],
        identities: dict[str, int],
        searches: dict[int, dict[str, tuple[str, npt.NDArray[np.float32]]]],
    ) -> MatchRequest:
        queries = self._queries(subscriber, liked, identities)
        searches[subscriber.id] = queries.searches
        dimension = self._embedding.get().dimension
        own_likes = {i.value for i in subscriber.interests if i.kind == LIKE}
        trending = [int(i.value) for i in subscriber.interests if i.kind == TRENDING]
        return MatchRequest(
            subscriber_id=subscriber.id,
            query_vectors=(
                np.stack(queries.vectors).astype(np.float32)
                if queries.vectors
                else np.zeros((0, dimension), dtype=np.float32)
            ),
            query_reasons=queries.reasons,
            query_calibration=np.array(queries.calibration, dtype=np.float64).reshape(-1, 2),
            query_ids=queries.ids,
            categories=frozenset(i.value for i in subscriber.interests if i.kind == CATEGORY),
            authors=frozenset(i.value.casefold() for i in subscriber.interests if i.kind == AUTHOR),
            since=since,
            threshold=threshold_for(subscriber.strictness, self._settings.relevance_threshold),
            exclude=frozenset(exclude | own_likes),
            trending=max(trending, default=0),
            limit=LIMIT.get(subscriber.cadence, LIMIT["daily"]),
        )

    # -- planning ----------------------------------------------------------------------------
    def plan_digests(
        self,
        subscribers: Sequence[Subscriber] | None = None,
        *,
        now: datetime | None = None,
        force: bool = False,
    ) -> list[DigestPlan]:
        """The next digest of every due confirmed subscriber (or of the ones given), matched
        as one batch. `force` plans even when a subscriber's window is already covered
        (previews), over the newest announcement day."""
        now = now or utc_now()
        days = self._store.announcement_days()
        if not days:
            return []
        chosen = (
            list(subscribers)
            if subscribers is not None
            else self._digests.list_subscribers(confirmed_only=True)
        )
        windows: dict[int, tuple[date, date]] = {}
        for subscriber in chosen:
            span = window_for(subscriber, days)
            if span is None and force:
                span = (days[-1], days[-1])
            if span is not None:
                windows[subscriber.id] = span
        due = [subscriber for subscriber in chosen if subscriber.id in windows]
        if not due:
            return []
        earliest = min(start for start, _ in windows.values())
        window = self._window([day for day in days if day >= earliest], now)
        already = self._digests.suggested_among([s.id for s in due], window.matrix.ids)
        for subscriber_id, twins in self._sent_under_another_record(due, window).items():
            already.setdefault(subscriber_id, set()).update(twins)
        liked = self._liked_papers(due)
        identities: dict[str, int] = {}
        searches: dict[int, dict[str, tuple[str, npt.NDArray[np.float32]]]] = {}
        requests = [
            self._request(
                subscriber,
                windows[subscriber.id][0],
                liked,
                already[subscriber.id],
                identities,
                searches,
            )
            for subscriber in due
        ]
        selections = match_batch(requests, window.matrix)
        plans = [
            choose(
                subscriber,
                windows[subscriber.id][0],
                windows[subscriber.id][1],
                selection.picks,
                window.papers,
                window.matrix.vectors,
                window.groups,
            )
            for subscriber, selection in zip(due, selections, strict=True)
        ]
        self._add_evidence(plans, searches)
        self._add_for_you(plans, already)
        return plans

    def _add_evidence(
        self,
        plans: Sequence[DigestPlan],
        searches: dict[int, dict[str, tuple[str, npt.NDArray[np.float32]]]],
    ) -> None:
        """Each item a saved search picked gets the sentences that best support that search."""
        if self._evidence is None:
            return
        rarity = self._evidence.rarity()  # once per run: it reads the whole lexical index
        for plan in plans:
            own = searches.get(plan.subscriber.id, {})
            items = [item for t in plan.themes for item in t.items if item.reason in own]
            for reason in {item.reason for item in items}:
                text, vector = own[reason]
                picked = [item for item in items if item.reason == reason]
                found = self._evidence.evidence_for(
                    text, [item.paper for item in picked], vector, rarity
                )
                for item in picked:
                    item.evidence = found.get(item.paper.arxiv_id, [])

    def _add_for_you(self, plans: Sequence[DigestPlan], already: dict[int, set[str]]) -> None:
        """A "For you" theme for subscribers with an account, one batch per window."""
        if self._recommend is None:
            return
        by_window: dict[tuple[date, date], list[DigestPlan]] = {}
        for plan in plans:
            by_window.setdefault((plan.window_start, plan.window_end), []).append(plan)
        for (start, end), group in by_window.items():
            exclude = {
                plan.subscriber.id: set(already.get(plan.subscriber.id, set()))
                | {record.arxiv_id for record in plan.records()}
                for plan in group
            }
            feeds = self._recommend.for_subscribers(
                [(plan.subscriber.id, plan.subscriber.email) for plan in group],
                start,
                end,
                exclude,
                FOR_YOU_LIMIT,
            )
            for plan in group:
                feed = feeds.get(plan.subscriber.id)
                if feed is None or not feed.recommendations:
                    continue
                items = [DigestItem(r.paper, r.reason, r.score) for r in feed.recommendations]
                plan.themes.append(Theme(FOR_YOU, items))
