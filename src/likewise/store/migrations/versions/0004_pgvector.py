"""pgvector: the extension and the table that holds each model's vectors for HNSW search.

Revision ID: 0004
Revises: 0003

PostgreSQL only (SQLite keeps its vectors in `vectors` and indexes them in-process). The HNSW
graph itself is built per model by index/pgvector_index.py once the dimensions are known.
Also keeps statistics on the 1,000 x 10 most common lexemes of `papers.search_vector`, which
store/postgres.py reads as document frequencies for its IDF weights.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # Needs a role allowed to create it, or an operator who ran CREATE EXTENSION beforehand.
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    # `embedding` has no fixed size so that models of any width fit; each model's HNSW index
    # casts to its width. No foreign key: like an index file, it is rebuilt from `vectors`.
    op.execute(
        """CREATE TABLE vector_index (
            model_id varchar(128) NOT NULL,
            paper_key bigint NOT NULL,
            embedding vector NOT NULL,
            PRIMARY KEY (model_id, paper_key))"""
    )
    op.execute("ALTER TABLE papers ALTER COLUMN search_vector SET STATISTICS 1000")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TABLE IF EXISTS vector_index")
    op.execute("ALTER TABLE papers ALTER COLUMN search_vector SET STATISTICS -1")
