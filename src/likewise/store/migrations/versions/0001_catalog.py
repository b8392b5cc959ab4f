"""The catalog: papers, authors, categories, versions, announcements, sync state, vectors.

Revision ID: 0001
Revises: none

Lexical search: SQLite gets an external-content FTS5 table filled up to a watermark key;
PostgreSQL gets a generated, weighted tsvector column (title A, abstract B, authors C) with a
GIN index.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# FTS5 tokenising (and the author index) cost more than the rest of an ingest, so on SQLite
# new papers are indexed in bulk after the batches (store/sqlite.py: refresh_search_index)
# up to a watermark key; the triggers keep already-indexed papers in sync when they change.
_SQLITE_FULL_TEXT = [
    """CREATE VIRTUAL TABLE papers_fts USING fts5(
        title, abstract, authors,
        content='papers', content_rowid='key',
        tokenize='porter unicode61 remove_diacritics 2')""",
    # A 64 MiB pending-terms buffer (default 1 MiB) means fewer, larger segments to merge:
    # about a third less time to index a large ingest.
    "INSERT INTO papers_fts (papers_fts, rank) VALUES ('hashsize', 67108864)",
    """CREATE TABLE search_index_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        indexed_key INTEGER NOT NULL)""",
    "INSERT INTO search_index_state (id, indexed_key) VALUES (1, 0)",
    """CREATE TRIGGER papers_fts_after_delete AFTER DELETE ON papers
    WHEN old.key <= (SELECT indexed_key FROM search_index_state WHERE id = 1) BEGIN
        INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
        VALUES ('delete', old.key, old.title, old.abstract, old.authors);
    END""",
    """CREATE TRIGGER papers_fts_after_update AFTER UPDATE OF title, abstract, authors
    ON papers
    WHEN old.key <= (SELECT indexed_key FROM search_index_state WHERE id = 1) BEGIN
        INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
        VALUES ('delete', old.key, old.title, old.abstract, old.authors);
        INSERT INTO papers_fts(rowid, title, abstract, authors)
        VALUES (new.key, new.title, new.abstract, new.authors);
    END""",
]

_POSTGRES_FULL_TEXT = [
    """ALTER TABLE papers ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A')
        || setweight(to_tsvector('english', abstract), 'B')
        || setweight(to_tsvector('simple', authors), 'C')) STORED""",
    "CREATE INDEX ix_papers_search_vector ON papers USING gin (search_vector)",
]


def upgrade() -> None:
    op.create_table(
        "papers",
        sa.Column("key", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("arxiv_id", sa.Text, nullable=False, unique=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("title_hash", sa.BigInteger, nullable=False),
        sa.Column("abstract", sa.Text, nullable=False),
        sa.Column("authors", sa.Text, nullable=False),
        sa.Column("categories", sa.Text, nullable=False),
        sa.Column("primary_category", sa.Text),
        sa.Column("submitted", sa.DateTime(timezone=True)),
        sa.Column("updated", sa.DateTime(timezone=True)),
        sa.Column("announced", sa.Date),
        sa.Column("record_modified", sa.Date),
        sa.Column("listed_day", sa.Date),
        sa.Column("latest_version", sa.Integer, nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("journal_ref", sa.Text),
        sa.Column("doi", sa.Text),
        sa.Column("doi_normalised", sa.Text),
        sa.Column("license", sa.Text),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_papers_doi_normalised", "papers", ["doi_normalised"])
    op.create_index("ix_papers_title_hash", "papers", ["title_hash"])
    op.create_index("ix_papers_listed_day", "papers", ["listed_day"])

    op.create_table(
        "paper_authors",
        sa.Column(
            "paper_key",
            sa.Integer,
            sa.ForeignKey("papers.key", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("name_normalised", sa.Text, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_paper_authors_name_normalised", "paper_authors", ["name_normalised"])

    op.create_table(
        "paper_categories",
        sa.Column(
            "paper_key",
            sa.Integer,
            sa.ForeignKey("papers.key", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("category", sa.Text, primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("is_primary", sa.Boolean, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_paper_categories_category", "paper_categories", ["category", "paper_key"])

    op.create_table(
        "versions",
        sa.Column(
            "paper_key",
            sa.Integer,
            sa.ForeignKey("papers.key", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("submitted", sa.DateTime(timezone=True)),
        sa.Column("size", sa.Text),
        sqlite_with_rowid=False,
    )

    op.create_table(
        "announcements",
        sa.Column("arxiv_id", sa.Text, primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_announcements_day", "announcements", ["day"])

    op.create_table(
        "sync_state",
        sa.Column("source", sa.Text, primary_key=True),
        sa.Column("checkpoint", sa.Text),
        sa.Column("last_sync", sa.DateTime(timezone=True)),
        sa.Column("stored", sa.Integer, nullable=False),
        sa.Column("rejected", sa.Integer, nullable=False),
    )

    op.create_table(
        "vectors",
        sa.Column("model_id", sa.Text, primary_key=True),
        sa.Column(
            "paper_key",
            sa.Integer,
            sa.ForeignKey("papers.key", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
    )

    dialect = op.get_bind().dialect.name
    statements = _SQLITE_FULL_TEXT if dialect == "sqlite" else _POSTGRES_FULL_TEXT
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS papers_fts")
        op.execute("DROP TABLE IF EXISTS search_index_state")
    for table in (
        "vectors",
        "sync_state",
        "announcements",
        "versions",
        "paper_categories",
        "paper_authors",
        "papers",
    ):
        op.drop_table(table)
