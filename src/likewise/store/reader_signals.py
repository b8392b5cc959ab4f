"""What one reader has told us, for the personal feed: their upvotes and collection items with
the time of each, and the private key that signs their "For you" feed link.

The key is a random secret per account (table `personal_feed_keys`, migration 0006): the feed
URL signs (account, secret), so replacing the secret revokes every link handed out before.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine

from likewise.store.account_tables import (
    collection_items,
    collections,
    personal_feed_keys,
    votes,
)

UPVOTE, COLLECTED = "upvote", "collection"


@dataclass(frozen=True, slots=True)
class ReaderSignal:
    """One paper the reader marked as theirs: how (`kind`) and when; `collection_id` for a
    collection item."""

    arxiv_id: str
    kind: str
    at: datetime
    collection_id: int | None = None


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class ReaderSignalRepository:
    """Reads a reader's positives and keeps their feed key; one instance per engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def positives_of(self, user_id: int) -> list[ReaderSignal]:
        """Every upvote and collection item of the account, oldest first."""
        with self.engine.connect() as connection:
            voted = connection.execute(
                select(votes.c.arxiv_id, votes.c.created_at).where(votes.c.user_id == user_id)
            )
            found = [ReaderSignal(str(a), UPVOTE, _utc(at)) for a, at in voted]
            items = connection.execute(
                select(
                    collection_items.c.arxiv_id,
                    collection_items.c.added_at,
                    collection_items.c.collection_id,
                )
                .join(collections, collections.c.id == collection_items.c.collection_id)
                .where(collections.c.user_id == user_id)
            )
            found += [ReaderSignal(str(a), COLLECTED, _utc(at), int(c)) for a, at, c in items]
        return sorted(found, key=lambda signal: (signal.at, signal.arxiv_id))

    def feed_secret(self, user_id: int) -> str:
        """The account's feed secret, made on first use."""
        with self.engine.begin() as connection:
            held = connection.execute(
                select(personal_feed_keys.c.secret).where(personal_feed_keys.c.user_id == user_id)
            ).scalar_one_or_none()
            if held is not None:
                return str(held)
        return self.rotate_feed_secret(user_id)

    def rotate_feed_secret(self, user_id: int) -> str:
        """A fresh secret: every feed link signed with the old one stops working."""
        secret = secrets.token_urlsafe(24)
        with self.engine.begin() as connection:
            connection.execute(
                personal_feed_keys.delete().where(personal_feed_keys.c.user_id == user_id)
            )
            connection.execute(
                personal_feed_keys.insert().values(
                    user_id=user_id, secret=secret, created_at=datetime.now(UTC)
                )
            )
        return secret

    def held_feed_secret(self, user_id: int) -> str | None:
        """The secret if the account has one (reading a feed link never creates one)."""
        with self.engine.connect() as connection:
            held = connection.execute(
                select(personal_feed_keys.c.secret).where(personal_feed_keys.c.user_id == user_id)
            ).scalar_one_or_none()
        return None if held is None else str(held)
