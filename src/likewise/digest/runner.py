"""A digest run, exactly once: compose -> store in the outbox -> send, resumable at any point.

1. Compose: each due subscriber's digest is rendered and stored, with the papers it suggests
   and the window it covers, in one transaction; a subscriber whose window is already covered
   is skipped, so a re-run after a crash composes nothing twice and loses nothing.
2. Send: due outbox rows are claimed one by one (compare-and-set), handed to SMTP, and marked
   sent; 4xx replies and lost connections are retried with exponential back-off, 5xx replies
   are recorded as permanent failures for the operator. The one unavoidable gap -- a crash
   after the server accepted a message but before it was marked sent -- leaves the row in
   `sending`; after the lease it is sent again with the same Message-ID, which receiving
   systems use to drop the duplicate.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from likewise.digest.choose import DigestPlan
from likewise.digest.mailer import MailError
from likewise.digest.render import SubscriberLinks, render_digest
from likewise.store.digests import DigestRepository, utc_now

BACKOFF_START = timedelta(minutes=1)
BACKOFF_LIMIT = timedelta(hours=6)
MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=15)


class Mailer(Protocol):
    def send(self, message: str) -> None: ...

    def close(self) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return utc_now()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass(slots=True)
class RunReport:
    """What one run did; the CLI prints it and the operator reads failures from it."""

    composed: int = 0
    nothing_new: int = 0
    already_done: int = 0
    sent: int = 0
    retried: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (recipient, error)
    waiting: int = 0  # still pending/failed-temporary after the run

    def lines(self) -> list[str]:
        found = [
            f"composed {self.composed} digest(s); {self.nothing_new} subscriber(s) had "
            f"nothing new; {self.already_done} already done earlier",
            f"sent {self.sent}; temporary failures retried {self.retried}; "
            f"{self.waiting} waiting for a later retry",
        ]
        found += [f"FAILED permanently: {to}: {error}" for to, error in self.failed]
        return found


def backoff(attempts: int) -> timedelta:
    """Wait after the n-th temporary failure: 1, 2, 4, ... minutes, at most 6 hours."""
    wait: timedelta = min(BACKOFF_START * (2 ** max(0, attempts - 1)), BACKOFF_LIMIT)
    return wait


def compose_and_store(
    plans: Sequence[DigestPlan],
    repository: DigestRepository,
    links_for: Callable[[DigestPlan], SubscriberLinks],
    sender: str,
    report: RunReport,
) -> list[int]:
    """Store each plan's digest (or just move an empty plan's window on); outbox ids made."""
    stored: list[int] = []
    for plan in plans:
        records = plan.records()
        mail = render_digest(plan, links_for(plan), sender) if records else None
        outcome = repository.store_digest(
            plan.subscriber.id,
            plan.window_end,
            recipient=plan.subscriber.email,
            subject=mail.subject if mail else "",
            message=mail.message if mail else "",
            message_id=mail.message_id if mail else "",
            picks=records,
        )
        if outcome is None:
            report.already_done += 1
        elif outcome == 0:
            report.nothing_new += 1
        else:
            report.composed += 1
            stored.append(outcome)
    return stored


def send_pending(
    repository: DigestRepository,
    mailer: Mailer,
    report: RunReport,
    *,
    clock: Clock | None = None,
    patience: float = 0.0,
    only: Sequence[int] = (),
) -> None:
    """Send every due outbox row; wait up to `patience` seconds for back-offs within the run."""
    clock = clock or SystemClock()
    deadline = clock.now() + timedelta(seconds=patience)
    try:
        while True:
            for message in repository.claim_due(clock.now(), lease=LEASE, only=only):
                try:
                    mailer.send(message.message)
                except MailError as error:
                    attempts = message.attempts + 1
                    if error.temporary and attempts < MAX_ATTEMPTS:
                        report.retried += 1
                        repository.mark_temporary_failure(
                            message.id, str(error), clock.now() + backoff(attempts)
                        )
                    else:
                        reason = str(error)
                        if error.temporary:
                            reason = f"gave up after {attempts} temporary failures: {reason}"
                        repository.mark_permanent_failure(message.id, reason)
                        report.failed.append((message.recipient, reason))
                    continue
                repository.mark_sent(message.id, clock.now())
                report.sent += 1
            upcoming = [
                row.next_attempt_at
                for row in repository.outbox_messages(states=("pending", "failed-temporary"))
                if not only or row.id in only
            ]
            if not upcoming or min(upcoming) > deadline:
                report.waiting = len(upcoming)
                return
            clock.sleep(max(0.0, (min(upcoming) - clock.now()).total_seconds()))
    finally:
        mailer.close()
