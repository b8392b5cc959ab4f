"""The digest area's tables (SQLAlchemy Core); migration 0003 creates them.

Subscribers, their interests, what each was ever suggested, the outbox of composed mail, and
sign-up requests (kept to rate-limit confirmation mail per address).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

subscribers = Table(
    "subscribers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False, unique=True),  # lower-cased
    Column("confirmed", Boolean, nullable=False),
    Column("cadence", String(16), nullable=False),  # daily | weekly
    Column("strictness", String(16), nullable=False),  # broad | balanced | strict
    # Random secret inside every signed link; rotating it revokes all links at once.
    Column("token", String(64), nullable=False),
    Column("feed_token", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("confirmed_at", DateTime(timezone=True)),
    Column("last_window_end", Date),  # newest announcement day a digest covered
    sqlite_autoincrement=True,
)

interests = Table(
    "interests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "subscriber_id",
        Integer,
        ForeignKey("subscribers.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("kind", String(16), nullable=False),  # category|author|search|like|collection|trending
    Column("value", Text, nullable=False),
    Column("vector", LargeBinary),  # cached query embedding of a saved search
    Column("vector_model", String(128)),
    # The saved search's Cosine Adapter parameters (a(q), b(q)) for that model.
    Column("calibration_slope", Float),
    Column("calibration_offset", Float),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("subscriber_id", "kind", "value", name="uq_interests_subscriber_kind_value"),
    sqlite_autoincrement=True,
)

suggested = Table(
    "suggested",
    metadata,
    Column(
        "subscriber_id",
        Integer,
        ForeignKey("subscribers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("arxiv_id", String(64), primary_key=True),  # bare id: any version counts
    Column("outbox_id", Integer),
    Column("reason", Text, nullable=False),
    Column("theme", Text, nullable=False),
    Column("window_end", Date, nullable=False),
    Column("suggested_at", DateTime(timezone=True), nullable=False),
)
Index("ix_suggested_subscriber_time", suggested.c.subscriber_id, suggested.c.suggested_at)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE")),
    Column("kind", String(16), nullable=False),  # digest | confirmation
    Column("recipient", String(320), nullable=False),
    Column("subject", Text, nullable=False),
    Column("message", Text, nullable=False),  # the whole RFC 5322 message, as composed
    Column("message_id", String(255), nullable=False, unique=True),
    Column("window_end", Date),
    Column("state", String(24), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("claimed_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    UniqueConstraint("subscriber_id", "kind", "window_end", name="uq_outbox_subscriber_window"),
    sqlite_autoincrement=True,
)
Index("ix_outbox_state_next", outbox.c.state, outbox.c.next_attempt_at)

signup_requests = Table(
    "signup_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False),
    Column("source", String(16), nullable=False),  # web | account | operator
    Column("requested_at", DateTime(timezone=True), nullable=False),
    sqlite_autoincrement=True,
)
Index("ix_signup_requests_email_time", signup_requests.c.email, signup_requests.c.requested_at)

PENDING, SENDING, SENT = "pending", "sending", "sent"
FAILED_TEMPORARY, FAILED_PERMANENT = "failed-temporary", "failed-permanent"
OUTBOX_STATES = (PENDING, SENDING, SENT, FAILED_TEMPORARY, FAILED_PERMANENT)
