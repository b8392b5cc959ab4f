"""Per-paper sentences: spans, facet labels and vectors of each abstract's sentences.

Revision ID: 0008
Revises: 0007

One row per (embedding model, paper), written at embed time and replaced when the paper's
content hash changes; dropped with the paper.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "paper_sentences",
        sa.Column("model_id", sa.Text, primary_key=True),
        sa.Column(
            "paper_key",
            sa.Integer,
            sa.ForeignKey("papers.key", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("spans", sa.Text, nullable=False),
        sa.Column("labels", sa.Text, nullable=False),
        sa.Column("vectors", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("paper_sentences")
