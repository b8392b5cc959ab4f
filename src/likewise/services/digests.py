"""Library part: digest subscriptions (double opt-in, signed manage/unsubscribe links, operator
commands), digest runs and previews, and each subscriber's private Atom feed.

Matching is in digest_runs.py; rendering, SMTP and the exactly-once run in digest/.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bibtexparser.entrypoint import parse_string

from likewise.digest.choose import DigestPlan
from likewise.digest.interests import (
    COLLECTION,
    LIKE,
    SEARCH,
    InterestError,
    check_cadence,
    check_email,
    check_interests,
    threshold_for,
)
from likewise.digest.mailer import SmtpMailer
from likewise.digest.render import render_confirmation, render_digest_parts
from likewise.digest.runner import (
    Clock,
    Mailer,
    RunReport,
    compose_and_store,
    send_pending,
)
from likewise.digest.tokens import (
    CONFIRM,
    MANAGE,
    UNSUBSCRIBE,
    LinkError,
    LinkSigner,
    same_token,
    signing_key,
)
from likewise.ingest.base import RecordError
from likewise.ingest.bibtex import paper_from_entry
from likewise.services.account_mail import MAILS_PER_DAY, AccountMailOps
from likewise.models import Paper
from likewise.store.accounts import AccountRepository
from likewise.store.digests import OutboxMessage, Subscriber, SuggestionEntry, utc_now

SIGNUPS_PER_DAY = MAILS_PER_DAY  # mails per address per day: no mail-bombing a stranger


@dataclass(slots=True)
class FeedEntry:
    entry: SuggestionEntry
    paper: Paper


class DigestOps(AccountMailOps):
    """Operations of the digests area."""

    # -- subscribing -------------------------------------------------------------------------
    def request_subscription(self, email: str, *, source: str = "web") -> Subscriber:
        """Double opt-in: record the request and queue (and try to send) a confirmation mail
        with a signed link that expires. Raises InterestError for a malformed address.
        No account is linked here: only the confirmation (and the account's own verified
        address) can link one (account_mail.py)."""
        address = check_email(email)
        subscriber, _ = self.digests.add_subscriber(address, confirmed=False)
        recent = self.digests.signup_requests_since(address, utc_now() - timedelta(days=1))
        self.digests.record_signup_request(address, source)
        if recent >= SIGNUPS_PER_DAY:
            return subscriber  # quietly: the page says the same, so nothing leaks
        mail = render_confirmation(
            subscriber, self.subscriber_links(subscriber), self.settings.mail_from
        )
        outbox_id = self.digests.enqueue(
            kind="confirmation",
            recipient=mail.recipient,
            subject=mail.subject,
            message=mail.message,
            message_id=mail.message_id,
            subscriber_id=subscriber.id,
        )
        if self.settings.smtp_host:
            self.send_outbox(only=[outbox_id])
        return subscriber

    def _from_link(self, purpose: str, signed: str) -> Subscriber:
        claim = LinkSigner(signing_key(self.settings)).read(purpose, signed)
        subscriber = self.digests.get_subscriber(claim.subscriber_id)
        if subscriber is None or not same_token(subscriber.token, claim.token):
            raise LinkError("this link is no longer valid (the subscription was cancelled)")
        return subscriber

    def confirm_subscription(self, signed: str) -> Subscriber:
        subscriber = self._from_link(CONFIRM, signed)
        self.digests.confirm(subscriber.id)
        confirmed = self.digests.get_subscriber(subscriber.id)
        assert confirmed is not None
        self.link_verified_account(confirmed)
        return self.digests.get_subscriber(subscriber.id) or confirmed

    def subscriber_from_link(self, signed: str) -> Subscriber:
        """The subscriber a manage link belongs to; LinkError for anything else."""
        return self._from_link(MANAGE, signed)

    def unsubscribe(self, signed: str) -> str:
        """Cancel via a signed unsubscribe (or manage) link; the address that was removed."""
        try:
            subscriber = self._from_link(UNSUBSCRIBE, signed)
        except LinkError:
            subscriber = self._from_link(MANAGE, signed)
        self.digests.remove_subscriber(subscriber.id)
        return subscriber.email

    def update_subscription(
        self,
        subscriber: Subscriber,
        pairs: Sequence[tuple[str, str]],
        *,
        cadence: str,
        strictness: str,
    ) -> Subscriber:
        """Replace interests and settings; InterestError (nothing changed) for bad input."""
        checked = check_interests(pairs)
        check_cadence(cadence)
        threshold_for(strictness, self.settings.relevance_threshold)
        for interest in checked:
            owned = self._owns_collection(subscriber, interest.value)
            if interest.kind == COLLECTION and not owned:
                raise InterestError(f"collection {interest.value} is not one of yours")
        self.digests.replace_interests(subscriber.id, checked)
        self.digests.update_subscriber(subscriber.id, cadence=cadence, strictness=strictness)
        updated = self.digests.get_subscriber(subscriber.id)
        assert updated is not None
        return updated

    def _owns_collection(self, subscriber: Subscriber, value: str) -> bool:
        if subscriber.user_id is None or not value.isdigit():
            return False
        accounts = AccountRepository(self.store.engine)
        return accounts.get_collection(subscriber.user_id, int(value)) is not None

    def likes_from_bibtex(self, text: str) -> tuple[list[str], list[str]]:
        """(arXiv ids of the catalog's papers that the BibTeX entries name or match by DOI
        or title, keys of the entries that match none)."""
        try:
            entries = parse_string(text).entries
        except Exception as error:  # the parser raises many kinds on garbage input
            raise InterestError(f"could not read that BibTeX: {error}") from error
        found: list[str] = []
        unmatched: list[str] = []
        for entry in entries:
            try:
                paper, named = paper_from_entry(entry)
            except RecordError:
                unmatched.append(entry.key)
                continue
            arxiv_id = (
                paper.arxiv_id if named else self.store.find_by_doi_or_title(paper.doi, paper.title)
            )
            if arxiv_id and self.store.get_paper(arxiv_id) is not None:
                found.append(arxiv_id)
            else:
                unmatched.append(entry.key)
        return found, unmatched

    def subscription_problems(self, subscriber: Subscriber) -> list[str]:
        """What will keep this subscriber's digest empty or smaller than they expect."""
        problems: list[str] = []
        interests = subscriber.interests
        if not interests:
            problems.append("you follow nothing yet, so your digest will stay empty")
        if any(i.kind == SEARCH and not i.value.strip() for i in interests):
            problems.append("your saved search is empty: type what you are looking for")
        liked = [i.value for i in interests if i.kind == LIKE]
        known = self.store.get_papers(liked) if liked else {}
        unknown = [arxiv_id for arxiv_id in liked if arxiv_id not in known]
        if unknown:
            problems.append(
                "unknown ids (not in this catalog, so they cannot guide your digest): "
                + ", ".join(unknown)
            )
        for interest in interests:
            if interest.kind == COLLECTION and not self._owns_collection(
                subscriber, interest.value
            ):
                problems.append(f"collection {interest.value} no longer exists")
        return problems

    # -- operators ---------------------------------------------------------------------------
    def add_subscriber(
        self,
        email: str,
        pairs: Sequence[tuple[str, str]] = (),
        *,
        cadence: str = "daily",
        strictness: str = "balanced",
    ) -> Subscriber:
        """Subscribe an address as the operator (confirmed at once); adds to existing ones."""
        address = check_email(email)
        checked = check_interests(pairs)
        check_cadence(cadence)
        threshold_for(strictness, self.settings.relevance_threshold)
        subscriber, created = self.digests.add_subscriber(
            address, confirmed=True, cadence=cadence, strictness=strictness
        )
        self.digests.record_signup_request(address, "operator")
        if not created:
            self.digests.confirm(subscriber.id)
        keep = [(i.kind, i.value) for i in subscriber.interests]
        merged = check_interests(keep + [(i.kind, i.value) for i in checked])
        self.digests.replace_interests(subscriber.id, merged)
        self.digests.update_subscriber(subscriber.id, cadence=cadence, strictness=strictness)
        updated = self.digests.get_subscriber(subscriber.id)
        assert updated is not None
        return updated

    def list_subscribers(self) -> list[Subscriber]:
        return self.digests.list_subscribers()

    def remove_subscriber(self, email: str) -> bool:
        subscriber = self.digests.find_by_email(email)
        return subscriber is not None and self.digests.remove_subscriber(subscriber.id)

    def outbox_failures(self) -> list[OutboxMessage]:
        return self.digests.outbox_messages(states=("failed-permanent",))

    # -- runs --------------------------------------------------------------------------------
    def _mailer(self) -> Mailer:
        return SmtpMailer(self.settings)

    def send_outbox(
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
            self.digests,
            mailer or self._mailer(),
            report,
            clock=clock,
            patience=patience,
            only=only,
        )
        return report

    def run_digests(
        self,
        *,
        mailer: Mailer | None = None,
        clock: Clock | None = None,
        patience: float = 0.0,
        now: datetime | None = None,
    ) -> RunReport:
        """One digest run: plan all due subscribers, store each digest, then send the outbox
        (including anything an earlier, interrupted run left). Safe to repeat at any time."""
        report = RunReport()
        plans = self.plan_digests(now=now)
        compose_and_store(
            plans,
            self.digests,
            lambda plan: self.subscriber_links(plan.subscriber),
            self.settings.mail_from,
            report,
        )
        if mailer is None and not self.settings.smtp_host:
            report.waiting = sum(
                1 for _ in self.digests.outbox_messages(states=("pending", "failed-temporary"))
            )
            return report
        return self.send_outbox(mailer=mailer, clock=clock, patience=patience, report=report)

    def preview_digest(self, email: str) -> tuple[DigestPlan | None, str]:
        """What this subscriber would get now, as the plain-text part (nothing is stored)."""
        subscriber = self.digests.find_by_email(email)
        if subscriber is None:
            raise LookupError(f"no subscriber with the address {email.strip()}")
        plans = self.plan_digests([subscriber], force=True)
        if not plans or not plans[0].themes:
            return (plans[0] if plans else None), "nothing new for this subscriber right now\n"
        text, _ = render_digest_parts(plans[0], self.subscriber_links(subscriber))
        return plans[0], text

    def digest_feed(self, feed_token: str) -> tuple[Subscriber, list[FeedEntry]] | None:
        """The papers of a subscriber's digests, newest first, for the private Atom feed."""
        if not feed_token or len(feed_token) > 128:
            return None
        subscriber = self.digests.find_by_feed_token(feed_token)
        if subscriber is None:
            return None
        entries = self.digests.suggestions_of(subscriber.id)
        papers = self.store.get_papers([entry.arxiv_id for entry in entries])
        return subscriber, [
            FeedEntry(entry, papers[entry.arxiv_id])
            for entry in entries
            if entry.arxiv_id in papers
        ]
