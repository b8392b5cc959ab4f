"""Signed links for subscribers: confirm (expiring), manage and one-click unsubscribe.

Each link signs (purpose, subscriber id, the subscriber's random token) with the site's secret
key (itsdangerous, a salt per purpose), so a link is worthless for any other subscriber or
purpose, and rotating the subscriber's token revokes every link sent before.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from likewise.secret_key import SecretKeyError, load_secret_key
from likewise.settings import Settings

CONFIRM, MANAGE, UNSUBSCRIBE = "confirm", "manage", "unsubscribe"
CONFIRM_MAX_AGE = 3 * 24 * 3600  # a confirmation link works for three days
LINK_MAX_AGE = 400 * 24 * 3600  # manage/unsubscribe links in old mails keep working a year


class LinkError(ValueError):
    """A link that is forged, for another purpose, expired or revoked; says which."""


def signing_key(settings: Settings) -> str:
    """The site's secret key (the same one the web app signs sessions with); a key file that
    stays empty is reported as a LinkError."""
    try:
        return load_secret_key(settings)
    except SecretKeyError as error:
        raise LinkError(str(error)) from None


@dataclass(frozen=True, slots=True)
class LinkClaim:
    subscriber_id: int
    token: str


class LinkSigner:
    def __init__(self, secret_key: str) -> None:
        self._secret_key = secret_key

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self._secret_key, salt=f"likewise.digest.{purpose}")

    def sign(self, purpose: str, subscriber_id: int, token: str) -> str:
        return str(self._serializer(purpose).dumps([subscriber_id, token]))

    def read(self, purpose: str, signed: str) -> LinkClaim:
        """The claim inside a link; the caller still compares the token with the stored one."""
        max_age = CONFIRM_MAX_AGE if purpose == CONFIRM else LINK_MAX_AGE
        if not signed or len(signed) > 512:
            raise LinkError("this link is not valid")
        try:
            data = self._serializer(purpose).loads(signed, max_age=max_age)
        except SignatureExpired:
            raise LinkError("this link has expired; subscribe again to get a fresh one") from None
        except BadSignature:
            raise LinkError("this link is not valid (was it copied completely?)") from None
        if (
            not isinstance(data, list)
            or len(data) != 2
            or not isinstance(data[0], int)
            or not isinstance(data[1], str)
        ):
            raise LinkError("this link is not valid")
        return LinkClaim(data[0], data[1])


def same_token(stored: str, claimed: str) -> bool:
    return hmac.compare_digest(stored.encode(), claimed.encode())
