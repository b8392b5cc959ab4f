"""The private link of a reader's "For you" Atom feed: signed (account, feed secret).

Signed with the site's secret key by itsdangerous under its own salt, so a digest or session
signature never passes for one; the secret is the account's row in `personal_feed_keys`, so
rotating it revokes every link handed out before. Feed readers cannot sign in: the link is
the credential, and it never expires.
"""

from __future__ import annotations

import hmac

from itsdangerous import BadSignature, URLSafeSerializer

from likewise.digest.tokens import LinkError, signing_key
from likewise.settings import Settings
from likewise.store.reader_signals import ReaderSignalRepository

SALT = "likewise.recommend.feed"
MAX_TOKEN = 200
INVALID = (
    "this For you feed link is not valid: it was revoked (a new link was made) or not copied "
    "whole; sign in and copy the current link from the For you page"
)


class FeedLinks:
    """Makes, reads and revokes the feed links of accounts."""

    def __init__(self, settings: Settings, signals: ReaderSignalRepository) -> None:
        self._settings = settings
        self._signals = signals

    def _serializer(self) -> URLSafeSerializer:
        return URLSafeSerializer(signing_key(self._settings), salt=SALT)

    def token_for(self, user_id: int) -> str:
        return str(self._serializer().dumps([user_id, self._signals.feed_secret(user_id)]))

    def rotate(self, user_id: int) -> str:
        """A new link; the old one stops working at once."""
        self._signals.rotate_feed_secret(user_id)
        return self.token_for(user_id)

    def user_of(self, token: str) -> int:
        """The account a feed link belongs to; LinkError for a forged or revoked one."""
        if not token or len(token) > MAX_TOKEN:
            raise LinkError(INVALID)
        try:
            data = self._serializer().loads(token)
        except BadSignature:
            raise LinkError(INVALID) from None
        if (
            not isinstance(data, list)
            or len(data) != 2
            or not isinstance(data[0], int)
            or not isinstance(data[1], str)
        ):
            raise LinkError(INVALID)
        held = self._signals.held_feed_secret(data[0])
        if held is None or not hmac.compare_digest(held.encode(), data[1].encode()):
            raise LinkError(INVALID)
        return data[0]
