"""Digest service: subscriptions (double opt-in, signed manage/unsubscribe links, operator
commands), digest runs and previews, and each subscriber's private Atom feed.

Matching is in digest_runs.py, sending in outbox.py; rendering, SMTP and the exactly-once run
in digest/.
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
from likewise.digest.render import SubscriberLinks, render_confirmation, render_digest_parts
from likewise.digest.runner import Clock, Mailer, RunReport, compose_and_store
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
from likewise.models import Paper
from likewise.services.account_mail import MAILS_PER_DAY, AccountMailService
from likewise.services.digest_runs import DigestPlanner
from likewise.services.outbox import OutboxService
from likewise.settings import Settings
from likewise.store.accounts import AccountRepository
from likewise.store.base import CatalogStore
from likewise.store.digests import (
    DigestRepository,
    OutboxMessage,
    Subscriber,
    SuggestionEntry,
    utc_now,
)

SIGNUPS_PER_DAY = MAILS_PER_DAY  # mails per address per day: no mail-bombing a stranger


@dataclass(slots=True)
class FeedEntry:
    entry: SuggestionEntry
    paper: Paper


def digest_repository(settings: Settings, store: CatalogStore) -> DigestRepository:
    """The subscribers and outbox tables, with the run lease the settings ask for."""
    repository = DigestRepository(store.engine)
    repository.lease = timedelta(seconds=settings.digest_lease_seconds)
    return repository


class DigestService:
    """Subscribing, operating and running digests."""

    def __init__(
        self,
        settings: Settings,
        store: CatalogStore,
        repository: DigestRepository,
        accounts: AccountRepository,
        planner: DigestPlanner,
        outbox: OutboxService,
        account_mail: AccountMailService,
    ) -> None:
        self._settings = settings
        self._store = store
        self.repository = repository
        self._accounts = accounts
        self._planner = planner
        self._outbox = outbox
        self._account_mail = account_mail

    def subscriber_links(self, subscriber: Subscriber) -> SubscriberLinks:
        signer = LinkSigner(signing_key(self._settings))
        return SubscriberLinks(self._settings.public_url, signer, subscriber)

    # -- subscribing -------------------------------------------------------------------------
    def request_subscription(self, email: str, *, source: str = "web") -> Subscriber:
        """Double opt-in: record the request and queue (and try to send) a confirmation mail
        with a signed link that expires. Raises InterestError for a malformed address.
        No account is linked here: only the confirmation (and the account's own verified
        address) can link one (account_mail.py)."""
        address = check_email(email)
        subscriber, _ = self.repository.add_subscriber(address, confirmed=False)
        recent = self.repository.signup_requests_since(address, utc_now() - timedelta(days=1))
        self.repository.record_signup_request(address, source)
        if recent >= SIGNUPS_PER_DAY:
            return subscriber  # quietly: the page says the same, so nothing leaks
        mail = render_confirmation(
            subscriber, self.subscriber_links(subscriber), self._settings.mail_from
        )
        outbox_id = self.repository.enqueue(
            kind="confirmation",
            recipient=mail.recipient,
            subject=mail.subject,
            message=mail.message,
            message_id=mail.message_id,
            subscriber_id=subscriber.id,
        )
        if self._settings.smtp_host:
            self._outbox.send(only=[outbox_id])
        return subscriber

    def _from_link(self, purpose: str, signed: str) -> Subscriber:
        claim = LinkSigner(signing_key(self._settings)).read(purpose, signed)
        subscriber = self.repository.get_subscriber(claim.subscriber_id)
        if subscriber is None or not same_token(subscriber.token, claim.token):
            raise LinkError("this link is no longer valid (the subscription was cancelled)")
        return subscriber

    def confirm_subscription(self, signed: str) -> Subscriber:
        subscriber = self._from_link(CONFIRM, signed)
        self.repository.confirm(subscriber.id)
        confirmed = self.repository.get_subscriber(subscriber.id)
        assert confirmed is not None
        self._account_mail.link_verified_account(confirmed)
        return self.repository.get_subscriber(subscriber.id) or confirmed

    def subscriber_from_link(self, signed: str) -> Subscriber:
        """The subscriber a manage link belongs to; LinkError for anything else."""
        return self._from_link(MANAGE, signed)

    def unsubscribe(self, signed: str) -> str:
        """Cancel via a signed unsubscribe (or manage) link; the address that was removed."""
        try:
            subscriber = self._from_link(UNSUBSCRIBE, signed)
        except LinkError:
            subscriber = self._from_link(MANAGE, signed)
        self.repository.remove_subscriber(subscriber.id)
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
        threshold_for(strictness, self._settings.relevance_threshold)
        for interest in checked:
            owned = self._owns_collection(subscriber, interest.value)
            if interest.kind == COLLECTION and not owned:
                raise InterestError(f"collection {interest.value} is not one of yours")
        self.repository.replace_interests(subscriber.id, checked)
        self.repository.update_subscriber(subscriber.id, cadence=cadence, strictness=strictness)
        updated = self.repository.get_subscriber(subscriber.id)
        assert updated is not None
        return updated

    def _owns_collection(self, subscriber: Subscriber, value: str) -> bool:
        if subscriber.user_id is None or not value.isdigit():
            return False
        return self._accounts.get_collection(subscriber.user_id, int(value)) is not None

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
                paper.arxiv_id
                if named
                else self._store.find_by_doi_or_title(paper.doi, paper.title)
            )
            if arxiv_id and self._store.get_paper(arxiv_id) is not None:
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
        known = self._store.get_papers(liked) if liked else {}
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
        threshold_for(strictness, self._settings.relevance_threshold)
        subscriber, created = self.repository.add_subscriber(
            address, confirmed=True, cadence=cadence, strictness=strictness
        )
        self.repository.record_signup_request(address, "operator")
        if not created:
            self.repository.confirm(subscriber.id)
        keep = [(i.kind, i.value) for i in subscriber.interests]
        merged = check_interests(keep + [(i.kind, i.value) for i in checked])
        self.repository.replace_interests(subscriber.id, merged)
        self.repository.update_subscriber(subscriber.id, cadence=cadence, strictness=strictness)
        updated = self.repository.get_subscriber(subscriber.id)
        assert updated is not None
        return updated

    def list_subscribers(self) -> list[Subscriber]:
        return self.repository.list_subscribers()

    def remove_subscriber(self, email: str) -> bool:
        subscriber = self.repository.find_by_email(email)
        return subscriber is not None and self.repository.remove_subscriber(subscriber.id)

    def outbox_failures(self) -> list[OutboxMessage]:
        return self.repository.outbox_messages(states=("failed-permanent",))

    # -- runs --------------------------------------------------------------------------------
    def plan_digests(
        self,
        subscribers: Sequence[Subscriber] | None = None,
        *,
        now: datetime | None = None,
        force: bool = False,
    ) -> list[DigestPlan]:
        """The next digest of every due confirmed subscriber (or of the ones given), matched
        as one batch (digest_runs.py). `force` plans even when a subscriber's window is
        already covered (previews), over the newest announcement day."""
        return self._planner.plan_digests(subscribers, now=now, force=force)

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
        return self._outbox.send(
            mailer=mailer, clock=clock, patience=patience, only=only, report=report
        )

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
            self.repository,
            lambda plan: self.subscriber_links(plan.subscriber),
            self._settings.mail_from,
            report,
        )
        if mailer is None and not self._settings.smtp_host:
            report.waiting = sum(
                1 for _ in self.repository.outbox_messages(states=("pending", "failed-temporary"))
            )
            return report
        return self.send_outbox(mailer=mailer, clock=clock, patience=patience, report=report)

    def preview_digest(self, email: str) -> tuple[DigestPlan | None, str]:
        """What this subscriber would get now, as the plain-text part (nothing is stored)."""
        subscriber = self.repository.find_by_email(email)
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
        subscriber = self.repository.find_by_feed_token(feed_token)
        if subscriber is None:
            return None
        entries = self.repository.suggestions_of(subscriber.id)
        papers = self._store.get_papers([entry.arxiv_id for entry in entries])
        return subscriber, [
            FeedEntry(entry, papers[entry.arxiv_id])
            for entry in entries
            if entry.arxiv_id in papers
        ]
