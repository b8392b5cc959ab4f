"""What the personal feed learns from: a reader's positives (upvotes, collection items, their
imported library) and negatives ("not interested"), gathered into one list per reader.

The imported library comes through a small typed seam (`OwnEntrySource`): the repository of
store/library_entries.py fits it, and `NoOwnEntries` stands in where there is none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Protocol

import numpy as np
import numpy.typing as npt

from likewise.models import AnnouncementKind, Paper
from likewise.store.accounts import AccountRepository
from likewise.store.base import CatalogStore
from likewise.store.library_entries import LibraryEntryRepository
from likewise.store.reader_signals import UPVOTE, ReaderSignalRepository

Vector = npt.NDArray[np.float32]


class OwnEntry(Protocol):
    """One entry of a reader's imported library (store/library_entries.py's LibraryEntry):
    matched to a catalog paper (`arxiv_id`) or standing on its own text and `vector`."""

    @property
    def id(self) -> int: ...

    @property
    def arxiv_id(self) -> str | None: ...

    @property
    def title(self) -> str: ...

    @property
    def abstract(self) -> str | None: ...

    @property
    def source(self) -> str: ...

    @property
    def added_at(self) -> datetime | None: ...

    @property
    def vector(self) -> Vector | None: ...


class OwnEntrySource(Protocol):
    def entries_of(self, user_id: int) -> Sequence[OwnEntry]: ...


class EntriesOfModel:
    """A user's imported library as the feed may use it: an entry's own vector counts only if
    the embedder in use made it (vectors of two models never mix); the text still does."""

    def __init__(self, repository: LibraryEntryRepository, model_id: Callable[[], str]) -> None:
        self._repository = repository
        self._model_id = model_id

    def entries_of(self, user_id: int) -> Sequence[OwnEntry]:
        entries = self._repository.entries_of(user_id)
        if not any(entry.vector is not None for entry in entries):
            return entries
        current = self._model_id()
        return [
            entry
            if entry.vector is None or entry.model_id == current
            else replace(entry, vector=None)
            for entry in entries
        ]


class NoOwnEntries:
    """No imported libraries: votes and collections still make a profile."""

    def entries_of(self, user_id: int) -> Sequence[OwnEntry]:
        del user_id
        return []


@dataclass(slots=True)
class Positive:
    """One paper the reader called theirs, as a "why" line names it.

    `arxiv_id` for a catalog paper, else `paper` is the entry's own text (its id is
    "library:<entry id>") and `vector` its stored vector, if any; `how` says how it came
    ("upvoted", "saved in Reading list", "in your library")."""

    paper: Paper
    how: str
    at: datetime | None
    arxiv_id: str | None = None
    vector: Vector | None = None


@dataclass(slots=True)
class ReaderSignals:
    """Everything one reader (a user, or one of their collections) has told us."""

    key: str
    user_id: int
    positives: list[Positive] = field(default_factory=list)
    hidden: frozenset[str] = frozenset()

    @property
    def own_ids(self) -> set[str]:
        return {p.arxiv_id for p in self.positives if p.arxiv_id is not None}


class SignalGatherer:
    """Reads a reader's votes, collections, library and hidden papers from the store."""

    def __init__(
        self,
        store: CatalogStore,
        accounts: AccountRepository,
        signals: ReaderSignalRepository,
        own_entries: OwnEntrySource,
    ) -> None:
        self._store = store
        self._accounts = accounts
        self._signals = signals
        self._own_entries = own_entries

    def for_user(self, user_id: int) -> ReaderSignals:
        """All of a user's positives, one per paper (the first way it came wins), and what they
        hid. Catalog papers that are no longer stored are skipped."""
        names = {c.id: c.name for c in self._accounts.collections_of(user_id)}
        reader = ReaderSignals(
            f"user:{user_id}", user_id, hidden=self._accounts.hidden_ids(user_id)
        )
        seen: set[str] = set()
        wanted: list[tuple[str, str, datetime | None]] = []
        for signal in self._signals.positives_of(user_id):
            if signal.arxiv_id in seen:
                continue
            seen.add(signal.arxiv_id)
            how = (
                "upvoted"
                if signal.kind == UPVOTE
                else f"saved in {names.get(signal.collection_id or 0, 'a collection')}"
            )
            wanted.append((signal.arxiv_id, how, signal.at))
        entries = self._own_entries.entries_of(user_id)
        for entry in entries:
            if entry.arxiv_id and entry.arxiv_id not in seen:
                seen.add(entry.arxiv_id)
                wanted.append((entry.arxiv_id, "in your library", entry.added_at))
        found = self._accounts_papers([arxiv_id for arxiv_id, _, _ in wanted])
        for arxiv_id, how, at in wanted:
            if arxiv_id in found:
                reader.positives.append(Positive(found[arxiv_id], how, at, arxiv_id))
        for entry in entries:
            if entry.arxiv_id and entry.arxiv_id in found:
                continue
            if not entry.title.strip() or (entry.vector is None and not entry.abstract):
                continue  # a bare title says too little about a reader to count
            own = Paper(f"library:{entry.id}", entry.title, entry.abstract or "")
            reader.positives.append(
                Positive(own, "in your library", entry.added_at, None, entry.vector)
            )
        return reader

    def for_collection(self, user_id: int, collection_id: int, name: str) -> ReaderSignals:
        """A collection as its own reader: its items are the positives."""
        ids = self._accounts.collection_items(collection_id)
        papers = self._accounts_papers(ids)
        reader = ReaderSignals(
            f"collection:{collection_id}", user_id, hidden=self._accounts.hidden_ids(user_id)
        )
        reader.positives = [
            Positive(papers[arxiv_id], f"in {name}", None, arxiv_id)
            for arxiv_id in ids
            if arxiv_id in papers
        ]
        return reader

    def _accounts_papers(self, arxiv_ids: list[str]) -> dict[str, Paper]:
        return self._store.get_papers(arxiv_ids) if arxiv_ids else {}


def earlier_texts(store: CatalogStore, start: date, limit: int) -> list[str]:
    """Title + abstract of up to `limit` papers first announced (new or cross-listed) on the
    days just before `start`, newest day first: the background the feed's lexical half is
    made discriminative against (rank/personal_rocchio.py)."""
    chosen: dict[str, None] = {}
    for day in sorted((d for d in store.announcement_days() if d < start), reverse=True):
        for announcement in store.announced_on(day):
            if announcement.kind != AnnouncementKind.REPLACEMENT:
                chosen.setdefault(announcement.arxiv_id, None)
        if len(chosen) >= limit:
            break
    ids = list(chosen)[:limit]
    found = store.get_papers(ids)
    return [found[arxiv_id].embedding_text() for arxiv_id in ids if arxiv_id in found]
