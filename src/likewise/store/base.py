"""The catalog store protocol: durable papers, announcements, sync checkpoints and vectors.

SQLite (store/sqlite.py) and PostgreSQL (store/postgres.py) implement it; Library and rank/
only ever see this protocol. Feature areas (accounts, digests) keep their own repositories
on the same engine; see store/README.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

import numpy as np
import numpy.typing as npt
from sqlalchemy.engine import Engine

from likewise.models import Announcement, Paper, SearchFilters


class StoreError(RuntimeError):
    """The store cannot do what was asked (bad URL, newer schema, unknown id); says why."""


class UnknownPaperError(StoreError, KeyError):
    """No paper with that id is stored."""


@dataclass(slots=True)
class UpsertCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True, slots=True)
class StoredText:
    """What the in-process lexical index reads of one paper: its key, a fingerprint of the
    indexed text (changes whenever title, abstract or authors change) and the text itself."""

    key: int
    fingerprint: int
    title: str
    abstract: str
    authors: str
    arxiv_id: str


@dataclass(slots=True)
class SourceStatus:
    """What `likewise status` shows for one source."""

    source: str
    papers: int
    last_sync: datetime | None
    checkpoint: str | None
    newest_announcement: date | None


@dataclass(slots=True)
class CatalogStatus:
    papers: int
    by_category: dict[str, int] = field(default_factory=dict)
    newest_by_category: dict[str, date] = field(default_factory=dict)
    sources: list[SourceStatus] = field(default_factory=list)
    newest_announcement: date | None = None
    gaps: list[date] = field(default_factory=list)  # weekdays with no announcement stored


class CatalogStore(Protocol):
    """Durable state of the catalog. Every write method is one transaction.

    `engine` is the SQLAlchemy engine, shared with the feature repositories (accounts,
    digests) so that all state lives in one database; `dialect` is its dialect name,
    "sqlite" or "postgresql".
    """

    engine: Engine
    dialect: str

    # -- papers -----------------------------------------------------------------------------
    def upsert_papers(
        self,
        papers: Sequence[Paper],
        *,
        source: str,
        announcements: Sequence[Announcement] = (),
        checkpoint: str | None = None,
    ) -> UpsertCounts:
        """Insert or update papers (newer versions win, history kept), record announcements
        and move the source's checkpoint, all in one transaction."""
        ...

    def get_paper(self, arxiv_id: str) -> Paper | None: ...

    def get_papers(self, arxiv_ids: Sequence[str]) -> dict[str, Paper]: ...

    def iter_papers(self, batch_size: int = 1000) -> Iterator[Paper]: ...

    def count_papers(self) -> int: ...

    def paper_keys(self, arxiv_ids: Sequence[str]) -> dict[str, int]:
        """Stable integer keys (used by vector indexes) for arXiv ids."""
        ...

    def arxiv_ids_for_keys(self, keys: Sequence[int]) -> dict[int, str]: ...

    def keys_matching(self, filters: SearchFilters) -> npt.NDArray[np.int64]:
        """Keys of every paper that passes the filters (date window on announced, else
        submitted; any of the categories; any of the authors, case-insensitive)."""
        ...

    def find_by_doi_or_title(self, doi: str | None, title: str) -> str | None:
        """The arXiv id of a stored paper with this DOI or normalised title, if any."""
        ...

    # -- lexical search (BM25 over title and abstract, title weighted higher) -------------------
    def lexical_search(
        self, query: str, limit: int, filters: SearchFilters | None = None
    ) -> list[tuple[str, float]]:
        """(arxiv_id, bm25 score, higher is better) best first."""
        ...

    def refresh_search_index(self) -> int:
        """Index papers stored since the last refresh for lexical search and author filters;
        returns how many papers it indexed.

        On SQLite, tokenising is the slow part of an ingest, so upsert_papers leaves new
        papers to this call: ingest calls it once after its batches, and lexical_search /
        author-filtered queries call it when papers are waiting, so results are never stale.
        """
        ...

    # -- text for the in-process lexical index ------------------------------------------------
    def paper_text_fingerprints(
        self, after_key: int | None = None
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint64]]:
        """(keys, text fingerprints) of every paper, or of those with keys above after_key."""
        ...

    def paper_texts(
        self, keys: Sequence[int] | None = None, *, after_key: int | None = None
    ) -> list[StoredText]:
        """Indexed text of these papers (all for None; only keys above after_key if given),
        in key order."""
        ...

    def change_token(self) -> object | None:
        """A value that changes whenever anything is committed, cheap to read without a
        query; None when the store cannot tell (then the caller asks the database)."""
        ...

    # -- announcements and sync state ---------------------------------------------------------
    def announcement_days(self) -> list[date]: ...

    def announced_on(self, day: date) -> list[Announcement]: ...

    def get_checkpoint(self, source: str) -> str | None: ...

    def record_sync(
        self, source: str, *, finished: datetime, stored: int, rejected: int
    ) -> None: ...

    def status(self) -> CatalogStatus: ...

    # -- vectors (cache keyed by content hash + model id) --------------------------------------
    def stale_for_model(self, model_id: str, limit: int | None = None) -> list[Paper]:
        """Papers whose vector for this model is missing or older than their content."""
        ...

    def put_vectors(
        self,
        model_id: str,
        items: Sequence[tuple[str, str, npt.NDArray[np.float32]]],
    ) -> None:
        """Store (arxiv_id, content_hash, vector) rows for a model, one transaction."""
        ...

    def load_vectors(self, model_id: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """(keys, matrix) of every stored vector of the model, rows aligned with keys."""
        ...

    def close(self) -> None: ...
