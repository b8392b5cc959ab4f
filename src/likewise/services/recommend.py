"""Recommend service: the personal feed ("For you") of users, their collections and digest
subscribers with an account, each recommendation with its one-line reason.

One ReaderProfile per reader (recommend_sources.py gathers the signals) and one call of
rank/personal_feed.score_readers for every reader of a batch at once, over the papers announced
in the last N days. Nothing here is cached per reader, so "not interested" and new saves count
on the next call; only the window's papers and vectors are kept for a minute.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from likewise.models import AlsoAs, AnnouncementKind, Paper
from likewise.rank.key_phrases import CatalogRarity
from likewise.rank.personal_feed import BACKGROUND_TEXTS, ReaderProfile, score_readers
from likewise.rank.personal_linear_map import bundled_map
from likewise.rank.personal_profiles import uniform_weights
from likewise.rank.reasons import Explainer
from likewise.services.embedding import EmbedderProvider
from likewise.services.errors import SiteError
from likewise.services.lexical import LexicalIndexService
from likewise.services.near_duplicates import NearDuplicateService
from likewise.services.recommend_reasons import Recommendation, explained
from likewise.services.recommend_sources import (
    Positive,
    ReaderSignals,
    SignalGatherer,
    earlier_texts,
)
from likewise.services.site_pages import ExpiringMemo
from likewise.services.vectors import VectorService
from likewise.settings import Settings
from likewise.store.account_security import AccountSecurityRepository
from likewise.store.base import CatalogStore

MAX_DAYS = 90
MAX_NEGATIVES = 500
_WINDOW_SECONDS = 60.0
_BACKGROUND_SECONDS = 3600.0  # earlier days change only when old days are ingested again
Vectors = npt.NDArray[np.float32]

NO_SIGNAL, NO_PAPERS, ALL_SEEN = "no-signal", "no-papers", "all-seen"
_MESSAGES = {
    NO_SIGNAL: "likewise does not know what you read yet. Upvote papers you like, save them "
    "to a collection, or import your library (BibTeX, RIS, CSL-JSON or Zotero) on the Library "
    "page, and your feed fills in here.",
    NO_PAPERS: "No papers were announced in this catalog in the last {days} days.",
    ALL_SEEN: "Every paper of the last {days} days is already saved, upvoted or hidden by you.",
}


@dataclass(slots=True)
class PersonalFeed:
    """One reader's ranked recommendations over the window [start, end], or why there are
    none (`status`, with `message` for people)."""

    key: str
    recommendations: list[Recommendation]
    days: int
    start: date | None = None
    end: date | None = None
    candidates: int = 0
    positives: int = 0
    hidden: int = 0
    status: str = ""

    @property
    def message(self) -> str:
        return _MESSAGES[self.status].format(days=self.days) if self.status else ""


@dataclass(slots=True)
class _Window:
    papers: list[Paper]
    announced: list[date]
    vectors: Vectors
    column: dict[str, int]
    start: date | None = None
    end: date | None = None
    groups: dict[str, list[AlsoAs]] = field(default_factory=dict)  # near-duplicates by id

    @property
    def texts(self) -> list[str]:
        """Title + abstract of each paper, for the lexical half of the reader model."""
        return [paper.embedding_text() for paper in self.papers]


def _one_per_work(order: list[int], window: _Window, left_out: set[str], limit: int) -> list[int]:
    """The first `limit` columns of `order` with one record per work (near-duplicates), and
    none whose work the reader already has or hid under another record."""
    chosen: list[int] = []
    covered: set[str] = set()
    for column in order:
        arxiv_id = window.papers[column].arxiv_id
        others = {other.arxiv_id for other in window.groups.get(arxiv_id, [])}
        if arxiv_id in covered or others & left_out:
            continue
        chosen.append(column)
        covered |= others
        if len(chosen) == limit:
            break
    return chosen


class RecommendService:
    """Personal feeds for users, collections and digest subscribers; owns the short memo of
    the window's papers and vectors."""

    def __init__(
        self,
        settings: Settings,
        store: CatalogStore,
        gatherer: SignalGatherer,
        security: AccountSecurityRepository,
        embedding: EmbedderProvider,
        vectors: VectorService,
        lexical: LexicalIndexService,
        near_duplicates: NearDuplicateService | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._near_duplicates = near_duplicates  # None: every record is its own candidate
        self.gatherer = gatherer
        self._security = security
        self._embedding = embedding
        self._vectors = vectors
        self._lexical = lexical
        self._memo = ExpiringMemo()

    # -- what callers ask for ----------------------------------------------------------------
    def for_user(self, user_id: int, *, days: int | None = None, limit: int = 30) -> PersonalFeed:
        """The user's feed: papers of the last `days` (the `recommend_days` setting) days."""
        window = self._recent_window(days)
        return self._rank([self.gatherer.for_user(user_id)], window, limit, days)[0]

    def for_collection(
        self,
        user_id: int,
        collection_id: int,
        name: str,
        *,
        days: int | None = None,
        limit: int = 10,
    ) -> PersonalFeed:
        """Papers like one collection ("papers like my 'retrieval' collection")."""
        window = self._recent_window(days)
        reader = self.gatherer.for_collection(user_id, collection_id, name)
        return self._rank([reader], window, limit, days)[0]

    def for_subscribers(
        self,
        subscribers: Sequence[tuple[int, str]],
        start: date,
        end: date,
        exclude: dict[int, set[str]],
        limit: int,
    ) -> dict[int, PersonalFeed]:
        """Feeds over a digest's window for the subscribers (id, address) whose address an
        account has verified, all in one batch; subscribers without such an account are absent.
        `exclude`: per subscriber, papers the digest shows already or showed before."""
        readers: list[ReaderSignals] = []
        owners: list[int] = []
        for subscriber_id, email in subscribers:
            account = self._security.verified_user_with_email(email)
            if account is None:
                continue
            reader = self.gatherer.for_user(account.id)
            if reader.positives:
                readers.append(reader)
                owners.append(subscriber_id)
        if not readers:
            return {}
        window = self._window(start, end)
        excluded = [exclude.get(subscriber_id, set()) for subscriber_id in owners]
        ranked = self._rank(readers, window, limit, (end - start).days + 1, excluded)
        return dict(zip(owners, ranked, strict=True))

    # -- the window --------------------------------------------------------------------------
    def checked_days(self, days: int | None) -> int:
        chosen = self._settings.recommend_days if days is None else days
        if not 1 <= chosen <= MAX_DAYS:
            raise SiteError(f"days must be between 1 and {MAX_DAYS}, not {chosen}")
        return chosen

    def _recent_window(self, days: int | None) -> _Window:
        """Papers announced in the `days` calendar days up to the catalog's newest day."""
        span = self.checked_days(days)
        calendar = self._store.announcement_days()
        if not calendar:
            return _Window([], [], self._no_vectors(), {})
        end = max(calendar)
        return self._window(end - timedelta(days=span - 1), end)

    def _window(self, start: date, end: date) -> _Window:
        model = self._embedding.get().model_id
        # The index size in the key: papers embedded since the last call are read again.
        size = len(self._vectors.vector_index())
        key = f"window:{model}:{start.isoformat()}:{end.isoformat()}:{size}"
        return self._memo.get(key, _WINDOW_SECONDS, lambda: self._load_window(start, end))

    def _background_texts(self, window: _Window) -> list[str]:
        """Title + abstract of up to BACKGROUND_TEXTS papers first announced on the days just
        before the window, newest day first: Rocchio's lexical background."""
        if window.start is None or not window.papers:
            return []
        start = window.start
        key = f"background:{start.isoformat()}"
        return self._memo.get(
            key, _BACKGROUND_SECONDS, lambda: earlier_texts(self._store, start, BACKGROUND_TEXTS)
        )

    def _load_window(self, start: date, end: date) -> _Window:
        first_day: dict[str, date] = {}
        for day in sorted(d for d in self._store.announcement_days() if start <= d <= end):
            for announcement in self._store.announced_on(day):
                if announcement.kind != AnnouncementKind.REPLACEMENT:
                    first_day.setdefault(announcement.arxiv_id, day)
        found = self._store.get_papers(sorted(first_day))
        papers = [found[arxiv_id] for arxiv_id in sorted(first_day) if arxiv_id in found]
        ids = [paper.arxiv_id for paper in papers]
        return _Window(
            papers,
            [first_day[paper.arxiv_id] for paper in papers],
            self._vectors.vectors_for(papers),
            {arxiv_id: column for column, arxiv_id in enumerate(ids)},
            start,
            end,
            self._near_duplicates.also_as(ids) if self._near_duplicates else {},
        )

    # -- vectors -----------------------------------------------------------------------------
    def _no_vectors(self) -> Vectors:
        return np.zeros((0, self._embedding.get().dimension), dtype=np.float32)

    def _positive_vectors(self, positives: Sequence[Positive], window: _Window) -> Vectors:
        """One unit vector per positive: the window's, the index's, the entry's own, or
        embedded from the entry's text (an own vector of another model is not used)."""
        dimension = self._embedding.get().dimension
        matrix = np.zeros((len(positives), dimension), dtype=np.float32)
        fetch: list[int] = []
        for row, positive in enumerate(positives):
            column = window.column.get(positive.arxiv_id or "")
            own = positive.vector
            if column is not None:
                matrix[row] = window.vectors[column]
            elif own is not None and own.shape == (dimension,):
                matrix[row] = own / max(float(np.linalg.norm(own)), 1e-9)
            else:
                fetch.append(row)
        if fetch:
            matrix[fetch] = self._vectors.vectors_for([positives[row].paper for row in fetch])
        return matrix

    def _negative_vectors(self, hidden: frozenset[str], window: _Window) -> Vectors:
        chosen = sorted(hidden)[:MAX_NEGATIVES]
        in_window = [window.vectors[window.column[a]] for a in chosen if a in window.column]
        elsewhere = [a for a in chosen if a not in window.column]
        found = self._store.get_papers(elsewhere) if elsewhere else {}
        rows = [*in_window, *self._vectors.vectors_for([found[a] for a in elsewhere if a in found])]
        return np.stack(rows).astype(np.float32) if rows else self._no_vectors()

    # -- ranking -----------------------------------------------------------------------------
    def _rank(
        self,
        readers: Sequence[ReaderSignals],
        window: _Window,
        limit: int,
        days: int | None,
        exclude: Sequence[set[str]] = (),
    ) -> list[PersonalFeed]:
        span = days if days is not None else self._settings.recommend_days
        profiles = []
        for reader in readers:
            profiles.append(
                ReaderProfile(
                    key=reader.key,
                    positives=self._positive_vectors(reader.positives, window),
                    positive_weights=uniform_weights(len(reader.positives)),
                    negatives=self._negative_vectors(reader.hidden, window),
                    positive_texts=tuple(p.paper.embedding_text() for p in reader.positives),
                )
            )
        scored = score_readers(
            profiles,
            window.vectors,
            candidate_texts=window.texts,
            dense_map=bundled_map(self._embedding.get().model_id),
            background_texts=self._background_texts(window),
        )
        rarity = CatalogRarity.of_index(self._lexical.lexical_index())
        feeds = []
        for row, reader in enumerate(readers):
            feed = PersonalFeed(
                reader.key,
                [],
                span,
                window.start,
                window.end,
                len(window.papers),
                len(reader.positives),
                len(reader.hidden),
            )
            feeds.append(feed)
            if not reader.positives:
                feed.status = NO_SIGNAL
                continue
            if not window.papers:
                feed.status = NO_PAPERS
                continue
            left_out = reader.own_ids | reader.hidden | (exclude[row] if exclude else set())
            scores = scored.scores[row].astype(np.float64)
            for arxiv_id in left_out:
                column = window.column.get(arxiv_id)
                if column is not None:
                    scores[column] = -np.inf
            order = [int(c) for c in np.argsort(-scores, kind="stable") if np.isfinite(scores[c])]
            if not order:
                feed.status = ALL_SEEN
                continue
            explainers: dict[int, Explainer] = {}
            own = profiles[row].positives
            for column in _one_per_work(order, window, left_out, limit):
                nearest = int(scored.nearest_positive[row, column])
                cosine = float(own[nearest] @ window.vectors[column]) if nearest >= 0 else 0.0
                feed.recommendations.append(
                    explained(
                        reader.positives,
                        nearest,
                        window.papers[column],
                        window.announced[column],
                        float(scores[column]),
                        explainers,
                        rarity,
                        cosine,
                    )
                )
                feed.recommendations[-1].also_as = window.groups.get(
                    window.papers[column].arxiv_id, []
                )
        return feeds
