"""Plain records of the digest store (store/digests.py): subscribers, their interests and the
papers suggested to them; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from likewise.store.digest_outbox import as_utc, utc_now


def normalise_email(email: str) -> str:
    return email.strip().lower()


@dataclass(slots=True)
class Interest:
    kind: str
    value: str
    id: int = 0
    vector: bytes | None = None
    vector_model: str | None = None
    calibration: tuple[float, float] | None = None


@dataclass(slots=True)
class Subscriber:
    id: int
    email: str
    confirmed: bool
    cadence: str
    strictness: str
    token: str
    feed_token: str
    user_id: int | None
    created_at: datetime
    confirmed_at: datetime | None
    last_window_end: date | None
    interests: list[Interest] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SuggestionRecord:
    arxiv_id: str
    reason: str
    theme: str


@dataclass(frozen=True, slots=True)
class SuggestionEntry:
    """One paper as it appeared in a subscriber's digest (for the private feed)."""

    arxiv_id: str
    reason: str
    theme: str
    window_end: date
    suggested_at: datetime


def subscriber_from_row(row: Any) -> Subscriber:
    return Subscriber(
        id=row.id,
        email=row.email,
        confirmed=bool(row.confirmed),
        cadence=row.cadence,
        strictness=row.strictness,
        token=row.token,
        feed_token=row.feed_token,
        user_id=row.user_id,
        created_at=as_utc(row.created_at) or utc_now(),
        confirmed_at=as_utc(row.confirmed_at),
        last_window_end=row.last_window_end,
    )
