"""The digest outbox: composed mail stored before sending, claimed, then marked sent or failed.

A row moves pending -> sending -> sent, or to failed-temporary (retried after back-off) or
failed-permanent (shown to the operator). A claim is a short lease, taken by compare-and-set on
the row's state and claim time; the move to `sent` is a second compare-and-set on that claim,
made before the message is committed at the SMTP server, so only one runner ever commits it;
`sent_at` is set once the server confirmed (a sent row without it was never confirmed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Connection, Engine

from likewise.store.digest_tables import outbox

PENDING, SENDING, SENT = "pending", "sending", "sent"
UNCONFIRMED = (
    "delivery not confirmed: the run that handed it to the SMTP server ended before the "
    "server's reply (not resent: it was most likely delivered)"
)
# A claim older than this may be taken over: a run killed mid-send is resumed this soon.
DEFAULT_LEASE = timedelta(seconds=30)
FAILED_TEMPORARY, FAILED_PERMANENT = "failed-temporary", "failed-permanent"
OUTBOX_STATES = (PENDING, SENDING, SENT, FAILED_TEMPORARY, FAILED_PERMANENT)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class OutboxMessage:
    id: int
    subscriber_id: int | None
    kind: str
    recipient: str
    subject: str
    message: str
    message_id: str
    window_end: date | None
    state: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None
    claimed_at: datetime | None = None  # this runner's claim while `sending`
    taken_over: bool = False  # claimed from another run whose lease had ended


def _outbox_from(row: Any) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        subscriber_id=row.subscriber_id,
        kind=row.kind,
        recipient=row.recipient,
        subject=row.subject,
        message=row.message,
        message_id=row.message_id,
        window_end=row.window_end,
        state=row.state,
        attempts=row.attempts,
        last_error=row.last_error,
        next_attempt_at=as_utc(row.next_attempt_at) or utc_now(),
        created_at=as_utc(row.created_at) or utc_now(),
        sent_at=as_utc(row.sent_at),
        claimed_at=as_utc(row.claimed_at),
    )


def _held() -> Any:
    return or_(
        outbox.c.state == SENDING,
        and_(outbox.c.state == SENT, outbox.c.sent_at.is_(None), outbox.c.claimed_at.is_not(None)),
    )


def insert_pending(
    connection: Connection,
    *,
    kind: str,
    recipient: str,
    subject: str,
    message: str,
    message_id: str,
    subscriber_id: int | None,
    now: datetime,
    window_end: date | None = None,
) -> int:
    """Add one pending row, due at once, inside the caller's transaction; its id."""
    key = connection.execute(
        outbox.insert().values(
            subscriber_id=subscriber_id,
            kind=kind,
            recipient=recipient,
            subject=subject,
            message=message,
            message_id=message_id,
            window_end=window_end,
            state=PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    ).inserted_primary_key
    assert key is not None
    return int(key[0])


class OutboxRepository:
    """The outbox half of DigestRepository."""

    engine: Engine
    lease: timedelta = DEFAULT_LEASE

    def enqueue(
        self,
        *,
        kind: str,
        recipient: str,
        subject: str,
        message: str,
        message_id: str,
        subscriber_id: int | None = None,
    ) -> int:
        with self.engine.begin() as connection:
            return insert_pending(
                connection,
                kind=kind,
                recipient=recipient,
                subject=subject,
                message=message,
                message_id=message_id,
                subscriber_id=subscriber_id,
                now=utc_now(),
            )

    def claim_next(
        self, now: datetime, *, only: Sequence[int] = (), lease: timedelta | None = None
    ) -> OutboxMessage | None:
        """Claim the next sendable row (due, or `sending` under a lease that has ended).

        One row at a time, just before it is sent: a run that dies holds at most one claim.
        The claim is a compare-and-set on the row's state and claim time, so concurrent
        runners never both claim one row.
        """
        due = or_(
            and_(
                outbox.c.state.in_((PENDING, FAILED_TEMPORARY)),
                outbox.c.next_attempt_at <= now,
            ),
            and_(outbox.c.state == SENDING, outbox.c.claimed_at <= now - (lease or self.lease)),
        )
        query = select(outbox).where(due).order_by(outbox.c.id).limit(20)
        if only:
            query = query.where(outbox.c.id.in_(list(only)))
        while True:
            with self.engine.connect() as connection:
                candidates = list(connection.execute(query))
            if not candidates:
                return None
            # Each candidate lost here was claimed by another runner: the next look skips it.
            for row in candidates:
                with self.engine.begin() as connection:
                    won = connection.execute(
                        update(outbox)
                        .where(
                            outbox.c.id == row.id,
                            outbox.c.state == row.state,
                            outbox.c.claimed_at.is_(None)
                            if row.claimed_at is None
                            else outbox.c.claimed_at == row.claimed_at,
                        )
                        .values(state=SENDING, claimed_at=now)
                    ).rowcount
                if won:
                    message = _outbox_from(row)
                    message.taken_over = row.state == SENDING
                    message.state, message.claimed_at = SENDING, now
                    return message

    def claim_due(
        self, now: datetime, *, lease: timedelta | None = None, limit: int = 100
    ) -> list[OutboxMessage]:
        """Claim up to `limit` sendable rows at once (for tools and tests; runs claim one)."""
        claimed: list[OutboxMessage] = []
        while len(claimed) < limit:
            message = self.claim_next(now, lease=lease)
            if message is None:
                break
            claimed.append(message)
        return claimed

    def held_claims(self, only: Sequence[int] = ()) -> list[datetime]:
        """Claim times of rows a run holds: `sending`, or handed over and not yet confirmed
        (by this or another run, live or killed)."""
        query = select(outbox.c.claimed_at).where(_held())
        if only:
            query = query.where(outbox.c.id.in_(list(only)))
        with self.engine.connect() as connection:
            return [as_utc(claimed) or utc_now() for (claimed,) in connection.execute(query)]

    def hand_over(self, message: OutboxMessage) -> bool:
        """Mark a claimed row sent, if the claim is still this runner's; whether it was.

        Called just before the message is committed at the SMTP server (the end of DATA):
        a runner whose lease was taken over gets False and must not commit the message.
        The row keeps its claim until `confirm_sent` records the server's acceptance.
        """
        with self.engine.begin() as connection:
            return bool(
                connection.execute(
                    update(outbox)
                    .where(
                        outbox.c.id == message.id,
                        outbox.c.state == SENDING,
                        outbox.c.claimed_at == message.claimed_at,
                    )
                    .values(state=SENT, last_error=None)
                ).rowcount
            )

    def confirm_sent(self, outbox_id: int, when: datetime) -> None:
        """The server accepted a handed-over message."""
        with self.engine.begin() as connection:
            connection.execute(
                update(outbox)
                .where(outbox.c.id == outbox_id, outbox.c.state == SENT, outbox.c.sent_at.is_(None))
                .values(sent_at=when, claimed_at=None, last_error=None)
            )

    def note_unconfirmed(self, outbox_id: int, error: str) -> None:
        """A handed-over message whose acceptance the server never confirmed: it stays sent
        (sending it again could deliver it twice); the note is for the operator."""
        with self.engine.begin() as connection:
            connection.execute(
                update(outbox)
                .where(outbox.c.id == outbox_id, outbox.c.state == SENT, outbox.c.sent_at.is_(None))
                .values(last_error=f"delivery not confirmed: {error}", claimed_at=None)
            )

    def sweep_unconfirmed(self, now: datetime) -> list[OutboxMessage]:
        """Rows a run handed over and then never confirmed (it was killed in between) once
        their lease has ended: noted for the operator and returned; they are not resent."""
        stale = and_(
            outbox.c.state == SENT,
            outbox.c.sent_at.is_(None),
            outbox.c.claimed_at <= now - self.lease,
        )
        found: list[OutboxMessage] = []
        with self.engine.connect() as connection:
            rows = list(connection.execute(select(outbox).where(stale)))
        for row in rows:
            with self.engine.begin() as connection:
                won = connection.execute(
                    update(outbox)
                    .where(outbox.c.id == row.id, stale)
                    .values(claimed_at=None, last_error=UNCONFIRMED)
                ).rowcount
            if won:
                message = _outbox_from(row)
                message.last_error, message.claimed_at = UNCONFIRMED, None
                found.append(message)
        return found

    def mark_temporary_failure(
        self, message: OutboxMessage, error: str, retry_at: datetime, *, handed_over: bool = False
    ) -> None:
        self._finish(
            message,
            handed_over,
            state=FAILED_TEMPORARY,
            last_error=error,
            next_attempt_at=retry_at,
            attempts=outbox.c.attempts + 1,
            sent_at=None,
        )

    def mark_permanent_failure(
        self, message: OutboxMessage, error: str, *, handed_over: bool = False
    ) -> None:
        self._finish(
            message,
            handed_over,
            state=FAILED_PERMANENT,
            last_error=error,
            attempts=outbox.c.attempts + 1,
            sent_at=None,
        )

    def _finish(self, message: OutboxMessage, handed_over: bool, **values: Any) -> None:
        """Record a refusal on a row this runner holds (its claim, or its own hand-over)."""
        held = (
            and_(outbox.c.state == SENT, outbox.c.claimed_at == message.claimed_at)
            if handed_over
            else and_(outbox.c.state == SENDING, outbox.c.claimed_at == message.claimed_at)
        )
        with self.engine.begin() as connection:
            connection.execute(
                update(outbox)
                .where(outbox.c.id == message.id, held)
                .values(claimed_at=None, **values)
            )

    def outbox_messages(self, states: Sequence[str] = (), limit: int = 1000) -> list[OutboxMessage]:
        query = select(outbox).order_by(outbox.c.id.desc()).limit(limit)
        if states:
            query = query.where(outbox.c.state.in_(list(states)))
        with self.engine.connect() as connection:
            return [_outbox_from(row) for row in connection.execute(query)]

    def get_outbox(self, outbox_id: int) -> OutboxMessage | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(outbox).where(outbox.c.id == outbox_id)).first()
        return None if row is None else _outbox_from(row)

    def outbox_counts(self) -> dict[str, int]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(outbox.c.state, func.count()).group_by(outbox.c.state))
            counts = {state: 0 for state in OUTBOX_STATES}
            counts.update({state: int(count) for state, count in rows})
        return counts
