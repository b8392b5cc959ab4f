"""Outbox service: send what the digest outbox holds (digests, confirmations, verification
mails), exactly once, through SMTP or the mailer given (digest/runner.py does the sending)."""

from __future__ import annotations

from collections.abc import Sequence

from likewise.digest.mailer import SmtpMailer
from likewise.digest.runner import Clock, Mailer, RunReport, send_pending
from likewise.settings import Settings
from likewise.store.digests import DigestRepository


class OutboxService:
    """The one way mail leaves likewise; digests and account mail both queue through it."""

    def __init__(self, settings: Settings, repository: DigestRepository) -> None:
        self._settings = settings
        self._repository = repository

    def send(
        self,
        *,
        mailer: Mailer | None = None,
        clock: Clock | None = None,
        patience: float = 0.0,
        only: Sequence[int] = (),
        report: RunReport | None = None,
    ) -> RunReport:
        """Send what the outbox holds (due rows only); failures are recorded on the rows."""
        report = report or RunReport()
        send_pending(
            self._repository,
            mailer or SmtpMailer(self._settings),
            report,
            clock=clock,
            patience=patience,
            only=only,
        )
        return report
