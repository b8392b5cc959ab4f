"""A user's imported library: the entries of their BibTeX/RIS/CSL-JSON/Zotero file and claims.

Revision ID: 0006
Revises: 0005

One row per (account, entry key): the key is the entry's arXiv id, else DOI, else normalised
title, so importing the same file twice adds nothing. `vector` (float32, little-endian) holds
the embedding of an entry the catalog does not have, made by the model `model_id`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "library_entries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("entry_key", sa.String(400), nullable=False),
        sa.Column("arxiv_id", sa.String(64)),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("abstract", sa.Text, nullable=False),
        sa.Column("doi", sa.String(300)),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("matched_by", sa.String(16), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("vector", sa.LargeBinary),
        sa.Column("model_id", sa.String(200)),
        sa.UniqueConstraint("user_id", "entry_key", name="uq_library_entries_user_key"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_library_entries_arxiv_id", "library_entries", ["arxiv_id"])


def downgrade() -> None:
    op.drop_index("ix_library_entries_arxiv_id", table_name="library_entries")
    op.drop_table("library_entries")
