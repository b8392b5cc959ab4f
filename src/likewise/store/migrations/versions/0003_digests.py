"""Digests: subscribers, interests, suggested papers, the outbox of composed mail, sign-ups.

Revision ID: 0003
Revises: 0002

One outbox row per (subscriber, kind, window) and one suggested row per (subscriber, arXiv id)
are unique keys, so a re-run or a second runner can never compose or suggest twice.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscribers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("confirmed", sa.Boolean, nullable=False),
        sa.Column("cadence", sa.String(16), nullable=False),
        sa.Column("strictness", sa.String(16), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("feed_token", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True)),
        sa.Column("last_window_end", sa.Date),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "interests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "subscriber_id",
            sa.Integer,
            sa.ForeignKey("subscribers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("vector", sa.LargeBinary),
        sa.Column("vector_model", sa.String(128)),
        sa.Column("calibration_slope", sa.Float),
        sa.Column("calibration_offset", sa.Float),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "subscriber_id", "kind", "value", name="uq_interests_subscriber_kind_value"
        ),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "suggested",
        sa.Column(
            "subscriber_id",
            sa.Integer,
            sa.ForeignKey("subscribers.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("arxiv_id", sa.String(64), primary_key=True),
        sa.Column("outbox_id", sa.Integer),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("theme", sa.Text, nullable=False),
        sa.Column("window_end", sa.Date, nullable=False),
        sa.Column("suggested_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_suggested_subscriber_time", "suggested", ["subscriber_id", "suggested_at"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("subscriber_id", sa.Integer, sa.ForeignKey("subscribers.id", ondelete="CASCADE")),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False, unique=True),
        sa.Column("window_end", sa.Date),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint(
            "subscriber_id", "kind", "window_end", name="uq_outbox_subscriber_window"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_outbox_state_next", "outbox", ["state", "next_attempt_at"])
    op.create_table(
        "signup_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_signup_requests_email_time", "signup_requests", ["email", "requested_at"])


def downgrade() -> None:
    for table in ("signup_requests", "outbox", "suggested", "interests", "subscribers"):
        op.drop_table(table)
