"""The catalog's tables as SQLAlchemy Core metadata, used by the queries in store/catalog.py.

Migrations (store/migrations/versions/) are the source of truth for creating them; a test
checks that a migrated database matches this metadata. Full-text objects (SQLite's FTS5 table,
PostgreSQL's tsvector column) are created by the migrations only and queried with SQL text.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

papers = Table(
    "papers",
    metadata,
    # `key` is the small stable integer that vector indexes use instead of the arXiv id.
    Column("key", Integer, primary_key=True, autoincrement=True),
    Column("arxiv_id", Text, nullable=False, unique=True),
    Column("title", Text, nullable=False),
    # 64-bit hash of the normalised title, for matching records of one work: a small
    # integer index costs ingest far less than an index over whole titles.
    Column("title_hash", BigInteger, nullable=False),
    Column("abstract", Text, nullable=False),
    Column("authors", Text, nullable=False),  # names in order, one per line
    Column("categories", Text, nullable=False),  # space-separated, primary first
    Column("primary_category", Text),
    Column("submitted", DateTime(timezone=True)),
    Column("updated", DateTime(timezone=True)),
    Column("announced", Date),
    Column("record_modified", Date),
    # The day date filters use: announced, else the UTC day of submission.
    Column("listed_day", Date),
    Column("latest_version", Integer, nullable=False),
    Column("comment", Text),
    Column("journal_ref", Text),
    Column("doi", Text),
    Column("doi_normalised", Text),  # lower case, no resolver prefix
    Column("license", Text),
    Column("source", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    sqlite_autoincrement=True,
)
Index("ix_papers_doi_normalised", papers.c.doi_normalised)
Index("ix_papers_title_hash", papers.c.title_hash)
Index("ix_papers_listed_day", papers.c.listed_day)


def _paper_key_column() -> Column[int]:
    """The paper a row belongs to, as part of the row's primary key; dropped with the paper.
    A fresh Column each call: a Column belongs to one Table."""
    return Column(
        "paper_key",
        Integer,
        ForeignKey("papers.key", ondelete="CASCADE"),
        primary_key=True,
    )


paper_authors = Table(
    "paper_authors",
    metadata,
    _paper_key_column(),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("name", Text, nullable=False),
    Column("name_normalised", Text, nullable=False),
    sqlite_with_rowid=False,
)
Index("ix_paper_authors_name_normalised", paper_authors.c.name_normalised)

paper_categories = Table(
    "paper_categories",
    metadata,
    _paper_key_column(),
    Column("category", Text, primary_key=True),
    Column("position", Integer, nullable=False),
    Column("is_primary", Boolean, nullable=False),
    sqlite_with_rowid=False,
)
Index("ix_paper_categories_category", paper_categories.c.category, paper_categories.c.paper_key)

versions = Table(
    "versions",
    metadata,
    _paper_key_column(),
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("submitted", DateTime(timezone=True)),
    Column("size", Text),
    sqlite_with_rowid=False,
)

# Announcements name the arXiv id rather than the paper key: a feed may list a paper before
# its record is stored.
announcements = Table(
    "announcements",
    metadata,
    Column("arxiv_id", Text, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("kind", String(16), nullable=False),
    sqlite_with_rowid=False,
)
Index("ix_announcements_day", announcements.c.day)

sync_state = Table(
    "sync_state",
    metadata,
    Column("source", Text, primary_key=True),
    Column("checkpoint", Text),
    Column("last_sync", DateTime(timezone=True)),
    Column("stored", Integer, nullable=False, default=0),
    Column("rejected", Integer, nullable=False, default=0),
)

vectors = Table(
    "vectors",
    metadata,
    Column("model_id", Text, primary_key=True),
    _paper_key_column(),
    Column("content_hash", String(64), nullable=False),
    Column("vector", LargeBinary, nullable=False),  # float32, little-endian
)

# Column order of a paper row as written by the bulk statements (everything but `key`).
PAPER_COLUMNS: tuple[str, ...] = tuple(c.name for c in papers.columns if c.name != "key")
