"""A user's own library (imported files, claimed papers) as rows keyed by (account, entry key).

The entry key (arXiv id, else DOI, else normalised title) makes adding idempotent with ON
CONFLICT DO NOTHING; `add` writes a whole import in one transaction, so an import either
lands whole or not at all. Migration 0006 creates the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from likewise.models import normalise_title
from likewise.store.account_tables import metadata
from likewise.store.rows import normalise_doi

SOURCES = ("bibtex", "ris", "csl-json", "zotero", "claimed")

library_entries = Table(
    "library_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("entry_key", String(400), nullable=False),
    Column("arxiv_id", String(64)),
    Column("title", Text, nullable=False),
    Column("abstract", Text, nullable=False),
    Column("doi", String(300)),
    Column("source", String(16), nullable=False),
    # "arxiv_id", "doi", "title", "claimed", or "" for an entry the catalog does not have.
    Column("matched_by", String(16), nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("vector", LargeBinary),  # float32 little-endian, by `model_id`
    Column("model_id", String(200)),
    UniqueConstraint("user_id", "entry_key", name="uq_library_entries_user_key"),
    sqlite_autoincrement=True,
)
Index("ix_library_entries_arxiv_id", library_entries.c.arxiv_id)


@dataclass(frozen=True, slots=True, eq=False)
class LibraryEntry:
    """One paper of a user's library. `arxiv_id` is set when the entry is (or names) an arXiv
    paper; `vector` is set for an entry outside the catalog that had an abstract, embedded at
    import by the model `model_id` (check it against the embedder in use before mixing)."""

    id: int
    user_id: int
    arxiv_id: str | None
    title: str
    abstract: str
    doi: str | None
    source: str
    added_at: datetime
    vector: npt.NDArray[np.float32] | None = None
    matched_by: str = ""
    model_id: str | None = None


@dataclass(frozen=True, slots=True, eq=False)
class EntryDraft:
    """An entry about to be added (no id yet)."""

    arxiv_id: str | None
    title: str
    abstract: str
    doi: str | None
    source: str
    matched_by: str = ""
    vector: npt.NDArray[np.float32] | None = None
    model_id: str | None = None

    @property
    def key(self) -> str:
        return entry_key(self.arxiv_id, self.doi, self.title)


def entry_key(arxiv_id: str | None, doi: str | None, title: str) -> str:
    """What makes two entries of one library the same paper."""
    if arxiv_id:
        return f"arxiv:{arxiv_id}"
    normalised = normalise_doi(doi)
    if normalised:
        return f"doi:{normalised}"[:400]
    return f"title:{normalise_title(title)}"[:400]


def _entry(row: Any) -> LibraryEntry:
    vector = None
    if row.vector is not None:
        vector = np.frombuffer(bytes(row.vector), dtype="<f4").astype(np.float32)
    added = row.added_at if row.added_at.tzinfo else row.added_at.replace(tzinfo=UTC)
    return LibraryEntry(
        id=int(row.id),
        user_id=int(row.user_id),
        arxiv_id=row.arxiv_id,
        title=row.title,
        abstract=row.abstract,
        doi=row.doi,
        source=row.source,
        added_at=added,
        vector=vector,
        matched_by=row.matched_by,
        model_id=row.model_id,
    )


class LibraryEntryRepository:
    """Reads and writes library entries; one instance per engine, safe to share across threads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def entries_of(self, user_id: int) -> list[LibraryEntry]:
        """The user's entries, oldest first."""
        query = (
            select(library_entries)
            .where(library_entries.c.user_id == user_id)
            .order_by(library_entries.c.id)
        )
        with self.engine.connect() as connection:
            return [_entry(row) for row in connection.execute(query)]

    def count_of(self, user_id: int) -> int:
        query = select(func.count()).where(library_entries.c.user_id == user_id)
        with self.engine.connect() as connection:
            return int(connection.scalar(query) or 0)

    def keys_of(self, user_id: int) -> set[str]:
        query = select(library_entries.c.entry_key).where(library_entries.c.user_id == user_id)
        with self.engine.connect() as connection:
            return set(connection.execute(query).scalars())

    def add(self, user_id: int, drafts: Sequence[EntryDraft]) -> list[bool]:
        """Add the entries in one transaction; per draft, whether it was new (an entry whose
        key the library already holds is left as it is)."""
        added: list[bool] = []
        now = datetime.now(UTC)
        with self.engine.begin() as connection:
            insert: Any = (
                postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
            )
            for draft in drafts:
                if draft.source not in SOURCES:
                    raise ValueError(f"unknown entry source {draft.source!r}")
                vector = None
                if draft.vector is not None:
                    vector = np.ascontiguousarray(draft.vector, dtype="<f4").tobytes()
                statement = (
                    insert(library_entries)
                    .values(
                        user_id=user_id,
                        entry_key=draft.key,
                        arxiv_id=draft.arxiv_id,
                        title=draft.title,
                        abstract=draft.abstract,
                        doi=draft.doi,
                        source=draft.source,
                        matched_by=draft.matched_by,
                        added_at=now,
                        vector=vector,
                        model_id=draft.model_id if vector is not None else None,
                    )
                    .on_conflict_do_nothing()
                    .execution_options(preserve_rowcount=True)
                )
                added.append(bool(connection.execute(statement).rowcount > 0))
        return added

    def remove(self, user_id: int, entry_id: int) -> bool:
        """Remove one of the user's entries (another user's id removes nothing)."""
        statement = delete(library_entries).where(
            library_entries.c.user_id == user_id, library_entries.c.id == entry_id
        )
        with self.engine.begin() as connection:
            return bool(connection.execute(statement).rowcount > 0)

    def remove_all(self, user_id: int) -> int:
        statement = delete(library_entries).where(library_entries.c.user_id == user_id)
        with self.engine.begin() as connection:
            return int(connection.execute(statement).rowcount)
