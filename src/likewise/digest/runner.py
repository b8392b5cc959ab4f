"""A digest run, exactly once: compose -> store in the outbox -> send, resumable at any point.

1. Compose: each due subscriber's digest is rendered and stored, with the papers it suggests
   and the window it covers, in one transaction; a subscriber whose window is already covered
   is skipped, so a re-run after a crash composes nothing twice and loses nothing.
2. Send: due outbox rows are claimed one at a time under a short lease (compare-and-set) and
   transmitted; the row is marked sent (a compare-and-set on the claim) just before the end of
   DATA, the moment the server commits to the message, and a runner whose claim was taken
   over closes the transaction unfinished instead. So a row left `sending` by a killed run was
   never delivered, and the next run takes it over as soon as the lease ends, within the run.
   4xx replies and lost connections are retried with exponential back-off, 5xx replies are
   recorded as permanent failures for the operator. A kill after the mark and before the
   server's reply leaves the row sent but unconfirmed: the next run reports it, never resends.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from likewise.digest.choose import DigestPlan
from likewise.digest.mailer import MailError, UnconfirmedMailError
from likewise.digest.render import SubscriberLinks, render_digest
from likewise.store.digests import DigestRepository, OutboxMessage, utc_now

BACKOFF_START = timedelta(minutes=1)
BACKOFF_LIMIT = timedelta(hours=6)
MAX_ATTEMPTS = 8
HELD_POLL = timedelta(seconds=1)


class Mailer(Protocol):
    def send(self, message: str, handover: Callable[[], bool]) -> bool:
        """Transmit `message`; call `handover` just before committing it at the server and
        commit only if it returns True. Whether the message was committed."""
        ...

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
    held: int = 0  # found `sending` at the start: claimed by an earlier (killed) or live run
    taken_over: int = 0  # of those, sent by this run once their lease ended
    lost: int = 0  # claims another runner took over from this one (it sent them, not we)
    unconfirmed: list[tuple[str, str]] = field(default_factory=list)  # (recipient, error)

    def lines(self) -> list[str]:
        found = [
            f"composed {self.composed} digest(s); {self.nothing_new} subscriber(s) had "
            f"nothing new; {self.already_done} already done earlier",
            f"sent {self.sent}; temporary failures retried {self.retried}; "
            f"{self.waiting} waiting for a later retry",
        ]
        if self.held:
            found.append(
                f"{self.held} message(s) were held by an earlier or concurrent run (a killed "
                f"run leaves its claim); {self.taken_over} sent by this run when the lease ended"
            )
        found += [
            f"NOT CONFIRMED (kept as sent, not resent): {to}: {error}"
            for to, error in self.unconfirmed
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


class _Handover:
    """The mailer's last step before committing a message: mark the claimed row sent."""

    def __init__(self, repository: DigestRepository, message: OutboxMessage, clock: Clock):
        self.repository, self.message, self.clock = repository, message, clock
        self.done = False

    def __call__(self) -> bool:
        self.done = self.repository.hand_over(self.message)
        return self.done


def _send_one(
    repository: DigestRepository,
    mailer: Mailer,
    message: OutboxMessage,
    clock: Clock,
    report: RunReport,
) -> None:
    handover = _Handover(repository, message, clock)
    try:
        committed = mailer.send(message.message, handover)
    except UnconfirmedMailError as error:
        repository.note_unconfirmed(message.id, str(error))
        report.sent += 1
        report.unconfirmed.append((message.recipient, str(error)))
        return
    except MailError as error:
        attempts = message.attempts + 1
        if error.temporary and attempts < MAX_ATTEMPTS:
            report.retried += 1
            repository.mark_temporary_failure(
                message, str(error), clock.now() + backoff(attempts), handed_over=handover.done
            )
        else:
            reason = str(error)
            if error.temporary:
                reason = f"gave up after {attempts} temporary failures: {reason}"
            repository.mark_permanent_failure(message, reason, handed_over=handover.done)
            report.failed.append((message.recipient, reason))
        return
    if committed and handover.done:
        repository.confirm_sent(message.id, clock.now())
        report.sent += 1
        report.taken_over += message.taken_over
    else:
        report.lost += 1


def send_pending(
    repository: DigestRepository,
    mailer: Mailer,
    report: RunReport,
    *,
    clock: Clock | None = None,
    patience: float = 0.0,
    only: Sequence[int] = (),
) -> None:
    """Send every due outbox row; wait up to `patience` seconds for back-offs within the run.

    A full run (no `only`) also waits for rows another run holds: their lease is short, and
    a run killed mid-send leaves one, which this run then sends.
    """
    clock = clock or SystemClock()
    deadline = clock.now() + timedelta(seconds=patience)
    lease = repository.lease
    if not only:
        report.held = len(repository.held_claims())
    try:
        while True:
            message = repository.claim_next(clock.now(), only=only)
            if message is not None:
                _send_one(repository, mailer, message, clock, report)
                continue
            upcoming = [
                row.next_attempt_at
                for row in repository.outbox_messages(states=("pending", "failed-temporary"))
                if not only or row.id in only
            ]
            wake = [moment for moment in upcoming if moment <= deadline]
            if not only:
                for swept in repository.sweep_unconfirmed(clock.now()):
                    report.unconfirmed.append((swept.recipient, swept.last_error or ""))
                # A live run frees its claims within moments: look again soon, and take a
                # killed run's claims over once their lease ends.
                now = clock.now()
                wake += [
                    min(claimed + lease, now + HELD_POLL) for claimed in repository.held_claims()
                ]
            if not wake:
                report.waiting = len(upcoming)
                return
            clock.sleep(max(0.0, (min(wake) - clock.now()).total_seconds()))
    finally:
        mailer.close()
