"""The account tables as SQLAlchemy Core metadata; migrations 0002, 0005 and 0006 create them.

Votes, collection items and "not interested" rows are keyed by (owner, arXiv id), so the
database itself keeps one of each per account and paper whatever the number of writers.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False),
    Column("username_normalised", String(64), nullable=False, unique=True),
    Column("email", String(320)),
    Column("password_hash", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Set when the mailed verification link for the current `email` was opened.
    Column("email_verified_at", DateTime(timezone=True)),
    sqlite_autoincrement=True,
)

# One row per signed-in browser: signing out deletes it, so a copied cookie dies with it.
# Only a SHA-256 of the cookie's session id is stored (a database dump signs nobody in).
account_sessions = Table(
    "account_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)
Index("ix_account_sessions_user_id", account_sessions.c.user_id)

votes = Table(
    "votes",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("arxiv_id", String(64), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_votes_arxiv_id", votes.c.arxiv_id)
Index("ix_votes_created_at", votes.c.created_at)

collections = Table(
    "collections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("user_id", "name", name="uq_collections_user_name"),
    sqlite_autoincrement=True,
)

collection_items = Table(
    "collection_items",
    metadata,
    Column(
        "collection_id",
        Integer,
        ForeignKey("collections.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("arxiv_id", String(64), primary_key=True),
    Column("added_at", DateTime(timezone=True), nullable=False),
)

not_interested = Table(
    "not_interested",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("arxiv_id", String(64), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# One random secret per account that signs its private "For you" feed link (rotating revokes).
personal_feed_keys = Table(
    "personal_feed_keys",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("secret", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # "pair:<address>|<normalised name>", "ip:<address>", or "<action>:<address>" for the
    # other rate-limited actions (subscribe, signup): each is limited separately.
    Column("subject", String(200), nullable=False),
    Column("attempted_at", DateTime(timezone=True), nullable=False),
    Column("succeeded", Boolean, nullable=False),
    sqlite_autoincrement=True,
)
Index("ix_login_attempts_subject_time", login_attempts.c.subject, login_attempts.c.attempted_at)
