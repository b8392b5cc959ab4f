"""Signed links for subscribers: confirm (expiring), manage and one-click unsubscribe.

Each link signs (purpose, subscriber id, the subscriber's random token) with the site's secret
key (itsdangerous, a salt per purpose), so a link is worthless for any other subscriber or
purpose, and rotating the subscriber's token revokes every link sent before.
"""

from __future__ import annotations

import hmac
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from likewise.settings import Settings

CONFIRM, MANAGE, UNSUBSCRIBE = "confirm", "manage", "unsubscribe"
CONFIRM_MAX_AGE = 3 * 24 * 3600  # a confirmation link works for three days
LINK_MAX_AGE = 400 * 24 * 3600  # manage/unsubscribe links in old mails keep working a year


class LinkError(ValueError):
    """A link that is forged, for another purpose, expired or revoked; says which."""


def signing_key(settings: Settings) -> str:
    """The configured key, else the one kept in HOME/secret_key (the same file the web app
    creates), created here when the CLI runs first."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.home) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            key = path.read_text(encoding="utf-8").strip()
            if key:
                return key
            time.sleep(0.05)  # another process is writing it right now
        raise LinkError(f"{path} is empty; delete it or set LIKEWISE_SECRET_KEY") from None
    key = secrets.token_urlsafe(48)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


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
            raise LinkError(
                "this link has expired; subscribe again to get a fresh one"
            ) from None
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
