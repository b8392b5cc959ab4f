"""Account mail service: verifying an account's address by a mailed signed link, and
linking an account to the digest subscription of that address once both are proven.

An account reaches a subscriber's settings only when the account's address is verified and
the subscription is confirmed: each proves control of the mailbox, so typing someone else's
address at sign-up or in the subscribe box reaches nothing (issue 16, defect 1).
"""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from likewise.digest.tokens import LinkError, signing_key
from likewise.services.outbox import OutboxService
from likewise.settings import Settings
from likewise.store.account_security import AccountSecurityRepository
from likewise.store.accounts import AccountRepository, User
from likewise.store.digests import DigestRepository, Subscriber, utc_now

VERIFY_MAX_AGE = 3 * 24 * 3600
MAILS_PER_DAY = 3  # to one address, shared with subscription confirmations: no mail-bombing


class AccountMailService:
    """Account address verification and account-to-subscription links."""

    def __init__(
        self,
        settings: Settings,
        digests: DigestRepository,
        accounts: AccountRepository,
        security: AccountSecurityRepository,
        outbox: OutboxService,
    ) -> None:
        self._settings = settings
        self._digests = digests
        self._accounts = accounts
        self._security = security
        self._outbox = outbox

    def _verify_serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(signing_key(self._settings), salt="likewise.account.verify")

    def send_email_verification(self, user: User) -> bool:
        """Queue (and try to send) a mail with a signed link proving the account's address;
        False when the account has no address or the address had its mails for today."""
        if not user.email:
            return False
        address = user.email.strip().lower()
        recent = self._digests.signup_requests_since(address, utc_now() - timedelta(days=1))
        self._digests.record_signup_request(address, "account")
        if recent >= MAILS_PER_DAY:
            return False
        base = self._settings.public_url
        link = f"{base}/account/verify/{self._verify_serializer().dumps([user.id, address])}"
        message = EmailMessage()
        message["From"] = self._settings.mail_from
        message["To"] = user.email
        message["Subject"] = "Verify your likewise account address"
        message["Date"] = format_datetime(utc_now())
        message["Message-ID"] = make_msgid(domain=urlsplit(base).hostname or "localhost")
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(
            f"Someone (hopefully you) created the likewise account {user.username!r} with this "
            f"address. Open this link within three days to confirm it is yours:\n\n{link}\n\n"
            "If it was not you, ignore this mail: the account cannot use this address's "
            "digest.\n",
            cte="quoted-printable",
        )
        outbox_id = self._digests.enqueue(
            kind="verification",
            recipient=user.email,
            subject=str(message["Subject"]),
            message=message.as_string(),
            message_id=str(message["Message-ID"]),
        )
        if self._settings.smtp_host:
            self._outbox.send(only=[outbox_id])
        return True

    def verify_email(self, signed: str) -> User:
        """Mark the address named by a verification link as proven; LinkError otherwise."""
        if not signed or len(signed) > 512:
            raise LinkError("this verification link is not valid")
        try:
            data = self._verify_serializer().loads(signed, max_age=VERIFY_MAX_AGE)
        except SignatureExpired:
            raise LinkError("this verification link has expired; ask for a new one") from None
        except BadSignature:
            raise LinkError("this verification link is not valid (was it copied whole?)") from None
        if (
            not isinstance(data, list)
            or len(data) != 2
            or not isinstance(data[0], int)
            or not isinstance(data[1], str)
        ):
            raise LinkError("this verification link is not valid")
        if not self._security.mark_email_verified(data[0], data[1]):
            raise LinkError("this verification link is for an address the account no longer has")
        user = self._accounts.get_user(data[0])
        assert user is not None
        subscriber = self._digests.find_by_email(data[1])
        if subscriber is not None:
            self.link_verified_account(subscriber)
        return user

    def link_verified_account(self, subscriber: Subscriber) -> None:
        """Attach a confirmed subscription to the account that verified its address."""
        if not subscriber.confirmed:
            return
        owner = self._security.verified_user_with_email(subscriber.email)
        if owner is not None and subscriber.user_id != owner.id:
            self._digests.update_subscriber(subscriber.id, user_id=owner.id)

    def subscription_of_user(self, user_id: int) -> Subscriber | None:
        """The confirmed subscription of the account's verified address, if any."""
        user = self._accounts.get_user(user_id)
        if user is None or not user.email or not user.email_verified:
            return None
        subscriber = self._digests.find_by_email(user.email)
        if subscriber is None or not subscriber.confirmed:
            return None
        if subscriber.user_id != user.id:
            self._digests.update_subscriber(subscriber.id, user_id=user.id)
            subscriber = self._digests.get_subscriber(subscriber.id)
        return subscriber
