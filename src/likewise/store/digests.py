"""Digest state on the catalog's engine: subscribers, interests, suggestions, outbox, sign-ups.

SQLAlchemy Core only. Exactly-once rests on rules the database keeps: one outbox row per
(subscriber, digest window), one suggestion per (subscriber, bare arXiv id) ever, and outbox
rows claimed by compare-and-set on their state before anything is sent.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from likewise.store.digest_outbox import (
    FAILED_PERMANENT,
    FAILED_TEMPORARY,
    OUTBOX_STATES,
    PENDING,
    SENDING,
    SENT,
    OutboxMessage,
    OutboxRepository,
    as_utc,
    insert_pending,
    utc_now,
)
from likewise.store.digest_records import (
    Interest,
    Subscriber,
    SuggestionEntry,
    SuggestionRecord,
    normalise_email,
    subscriber_from_row,
)
from likewise.store.digest_tables import (
    interests,
    metadata,
    outbox,
    signup_requests,
    subscribers,
    suggested,
)

__all__ = [
    "FAILED_PERMANENT",
    "FAILED_TEMPORARY",
    "OUTBOX_STATES",
    "PENDING",
    "SENDING",
    "SENT",
    "DigestRepository",
    "Interest",
    "OutboxMessage",
    "Subscriber",
    "SuggestionEntry",
    "SuggestionRecord",
    "metadata",
    "utc_now",
]


class DigestRepository(OutboxRepository):
    """Reads and writes digest state; one instance per engine, safe to share across threads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- subscribers -------------------------------------------------------------------------
    def add_subscriber(
        self,
        email: str,
        *,
        confirmed: bool,
        cadence: str = "daily",
        strictness: str = "balanced",
        user_id: int | None = None,
    ) -> tuple[Subscriber, bool]:
        """The subscriber with this address, created if new; True when it was created."""
        address = normalise_email(email)
        existing = self.find_by_email(address)
        if existing is not None:
            return existing, False
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    subscribers.insert().values(
                        email=address,
                        confirmed=confirmed,
                        cadence=cadence,
                        strictness=strictness,
                        token=secrets.token_urlsafe(24),
                        feed_token=secrets.token_urlsafe(24),
                        user_id=user_id,
                        created_at=utc_now(),
                        confirmed_at=utc_now() if confirmed else None,
                    )
                )
        except IntegrityError:
            pass  # a concurrent request created it first; that row is the one
        created = self.find_by_email(address)
        if created is None:  # pragma: no cover - only if deleted in between
            raise LookupError(f"subscriber {address} vanished while being created")
        return created, True

    def _one(self, condition: Any) -> Subscriber | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(subscribers).where(condition)).first()
            if row is None:
                return None
            subscriber = subscriber_from_row(row)
            subscriber.interests = self._interests(connection, [subscriber.id])[subscriber.id]
            return subscriber

    def get_subscriber(self, subscriber_id: int) -> Subscriber | None:
        return self._one(subscribers.c.id == subscriber_id)

    def find_by_email(self, email: str) -> Subscriber | None:
        return self._one(subscribers.c.email == normalise_email(email))

    def find_by_feed_token(self, feed_token: str) -> Subscriber | None:
        return self._one(subscribers.c.feed_token == feed_token)

    def find_by_user(self, user_id: int) -> Subscriber | None:
        return self._one(subscribers.c.user_id == user_id)

    def list_subscribers(self, *, confirmed_only: bool = False) -> list[Subscriber]:
        query = select(subscribers).order_by(subscribers.c.id)
        if confirmed_only:
            query = query.where(subscribers.c.confirmed.is_(True))
        with self.engine.connect() as connection:
            found = [subscriber_from_row(row) for row in connection.execute(query)]
            by_id = self._interests(connection, [subscriber.id for subscriber in found])
        for subscriber in found:
            subscriber.interests = by_id[subscriber.id]
        return found

    def _interests(self, connection: Connection, ids: Sequence[int]) -> dict[int, list[Interest]]:
        result: dict[int, list[Interest]] = {subscriber_id: [] for subscriber_id in ids}
        if not ids:
            return result
        query = select(interests).order_by(interests.c.id)
        if len(ids) < 500:
            query = query.where(interests.c.subscriber_id.in_(list(ids)))
        for row in connection.execute(query):
            if row.subscriber_id in result:
                calibration = (
                    None
                    if row.calibration_slope is None or row.calibration_offset is None
                    else (float(row.calibration_slope), float(row.calibration_offset))
                )
                result[row.subscriber_id].append(
                    Interest(row.kind, row.value, row.id, row.vector, row.vector_model, calibration)
                )
        return result

    def update_subscriber(self, subscriber_id: int, **values: Any) -> None:
        allowed = {"confirmed", "cadence", "strictness", "user_id", "confirmed_at", "token"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        with self.engine.begin() as connection:
            connection.execute(
                update(subscribers).where(subscribers.c.id == subscriber_id).values(**values)
            )

    def confirm(self, subscriber_id: int) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(subscribers)
                .where(subscribers.c.id == subscriber_id, subscribers.c.confirmed.is_(False))
                .values(confirmed=True, confirmed_at=utc_now())
            )

    def remove_subscriber(self, subscriber_id: int) -> bool:
        """Forget the subscriber and everything about them (interests, history, mail)."""
        with self.engine.begin() as connection:
            for table in (interests, suggested, outbox):
                connection.execute(delete(table).where(table.c.subscriber_id == subscriber_id))
            removed = connection.execute(
                delete(subscribers).where(subscribers.c.id == subscriber_id)
            ).rowcount
        return bool(removed)

    def replace_interests(self, subscriber_id: int, wanted: Sequence[Interest]) -> None:
        """Make the subscriber's interests exactly `wanted`, keeping cached vectors."""
        keys = {(interest.kind, interest.value) for interest in wanted}
        with self.engine.begin() as connection:
            current = self._interests(connection, [subscriber_id])[subscriber_id]
            have = {(interest.kind, interest.value): interest for interest in current}
            for key, interest in have.items():
                if key not in keys:
                    connection.execute(delete(interests).where(interests.c.id == interest.id))
            for kind, value in sorted(keys - set(have)):
                connection.execute(
                    interests.insert().values(
                        subscriber_id=subscriber_id, kind=kind, value=value, created_at=utc_now()
                    )
                )

    def store_interest_vector(
        self, interest_id: int, model_id: str, vector: bytes, calibration: tuple[float, float]
    ) -> None:
        """Cache a saved search's query embedding and its calibration for one model."""
        with self.engine.begin() as connection:
            connection.execute(
                update(interests)
                .where(interests.c.id == interest_id)
                .values(
                    vector=vector,
                    vector_model=model_id,
                    calibration_slope=calibration[0],
                    calibration_offset=calibration[1],
                )
            )

    # -- sign-up requests ------------------------------------------------------------------------
    def record_signup_request(self, email: str, source: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                signup_requests.insert().values(
                    email=normalise_email(email), source=source, requested_at=utc_now()
                )
            )

    def signup_requests_since(self, email: str, since: datetime) -> int:
        with self.engine.connect() as connection:
            count = connection.execute(
                select(func.count())
                .select_from(signup_requests)
                .where(
                    signup_requests.c.email == normalise_email(email),
                    signup_requests.c.requested_at >= since,
                )
            ).scalar_one()
        return int(count)

    # -- suggestions -----------------------------------------------------------------------------
    def suggested_among(
        self, subscriber_ids: Sequence[int], arxiv_ids: Sequence[str]
    ) -> dict[int, set[str]]:
        """Which of these papers each subscriber was already sent."""
        found: dict[int, set[str]] = {subscriber_id: set() for subscriber_id in subscriber_ids}
        wanted = set(arxiv_ids)
        with self.engine.connect() as connection:
            for start in range(0, len(arxiv_ids), 500):
                chunk = list(arxiv_ids[start : start + 500])
                rows = connection.execute(
                    select(suggested.c.subscriber_id, suggested.c.arxiv_id).where(
                        suggested.c.arxiv_id.in_(chunk)
                    )
                )
                for subscriber_id, arxiv_id in rows:
                    if subscriber_id in found and arxiv_id in wanted:
                        found[subscriber_id].add(arxiv_id)
        return found

    def suggestions_of(self, subscriber_id: int, limit: int = 200) -> list[SuggestionEntry]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(suggested)
                .where(suggested.c.subscriber_id == subscriber_id)
                .order_by(suggested.c.suggested_at.desc(), suggested.c.arxiv_id)
                .limit(limit)
            )
            return [
                SuggestionEntry(
                    row.arxiv_id,
                    row.reason,
                    row.theme,
                    row.window_end,
                    as_utc(row.suggested_at) or utc_now(),
                )
                for row in rows
            ]

    # -- composing -----------------------------------------------------------------------
    def store_digest(
        self,
        subscriber_id: int,
        window_end: date,
        *,
        recipient: str,
        subject: str,
        message: str,
        message_id: str,
        picks: Sequence[SuggestionRecord],
    ) -> int | None:
        """Record a composed digest, its suggestions and the covered window in one transaction.

        None when this subscriber already has a digest for the window (a re-run, or another
        runner got there first); nothing is written then. An empty `picks` only moves the
        window on and stores no mail.
        """
        now = utc_now()
        try:
            with self.engine.begin() as connection:
                outbox_id: int | None = None
                if picks:
                    outbox_id = insert_pending(
                        connection,
                        kind="digest",
                        recipient=recipient,
                        subject=subject,
                        message=message,
                        message_id=message_id,
                        subscriber_id=subscriber_id,
                        now=now,
                        window_end=window_end,
                    )
                    connection.execute(
                        suggested.insert(),
                        [
                            {
                                "subscriber_id": subscriber_id,
                                "arxiv_id": pick.arxiv_id,
                                "outbox_id": outbox_id,
                                "reason": pick.reason,
                                "theme": pick.theme,
                                "window_end": window_end,
                                "suggested_at": now,
                            }
                            for pick in picks
                        ],
                    )
                moved = connection.execute(
                    update(subscribers)
                    .where(
                        subscribers.c.id == subscriber_id,
                        or_(
                            subscribers.c.last_window_end.is_(None),
                            subscribers.c.last_window_end < window_end,
                        ),
                    )
                    .values(last_window_end=window_end)
                ).rowcount
                if not moved:
                    raise _AlreadyCovered
        except (IntegrityError, _AlreadyCovered):
            return None
        return int(outbox_id) if outbox_id is not None else 0


class _AlreadyCovered(Exception):
    """The subscriber's window already reaches this day: roll the transaction back."""
