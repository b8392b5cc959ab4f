"""Near-duplicate records: LSH band keys per paper, judged pairs, and what was checked.

Revision ID: 0009
Revises: 0008

Rows are written at ingest for new and changed papers (services/near_duplicates.py) and
dropped with the paper.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _paper(name: str) -> sa.Column[int]:
    return sa.Column(
        name, sa.Integer, sa.ForeignKey("papers.key", ondelete="CASCADE"), primary_key=True
    )


def upgrade() -> None:
    op.create_table(
        "near_duplicate_checks",
        _paper("paper_key"),
        sa.Column("content_hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "paper_bands",
        _paper("paper_key"),
        sa.Column("band", sa.BigInteger, primary_key=True, autoincrement=False),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_paper_bands_band", "paper_bands", ["band"])
    op.create_table(
        "near_duplicate_pairs",
        _paper("paper_key"),
        _paper("other_key"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_near_duplicate_pairs_other_key", "near_duplicate_pairs", ["other_key"])


def downgrade() -> None:
    op.drop_table("near_duplicate_pairs")
    op.drop_table("paper_bands")
    op.drop_table("near_duplicate_checks")
