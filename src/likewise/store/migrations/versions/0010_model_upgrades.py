"""Embedding-model upgrades: the fitted map, the state, the re-embedding lease.

Revision ID: 0010
Revises: 0009

One row per `likewise upgrade-model` (store/model_upgrades.py); at most one is `running`
(a partial unique index on both backends).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_upgrades",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("old_embedder", sa.Text, nullable=False),
        sa.Column("old_model_id", sa.Text, nullable=False),
        sa.Column("new_embedder", sa.Text, nullable=False),
        sa.Column("new_model_id", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("map", sa.LargeBinary, nullable=False),
        sa.Column("sample_size", sa.Integer, nullable=False),
        sa.Column("alignment", sa.Float, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("worker", sa.String(64)),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True)),
        sqlite_autoincrement=True,
    )
    running = sa.text("state = 'running'")
    op.create_index(
        "ux_model_upgrades_running",
        "model_upgrades",
        ["state"],
        unique=True,
        sqlite_where=running,
        postgresql_where=running,
    )


def downgrade() -> None:
    op.drop_index("ux_model_upgrades_running", table_name="model_upgrades")
    op.drop_table("model_upgrades")
