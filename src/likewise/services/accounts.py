"""Account service: signing up, signing in (with its limits), sessions, and per-address limits
on sign-ups and subscriptions.

Passwords are hashed here (argon2id, RFC 9106) rather than in web/, so that every caller,
web or CLI, shares one rule. Log-in failures are limited per (client address, name) with an
exponential back-off capped at 15 minutes, so a stranger cannot lock an owner out from
elsewhere, and per client address over all names; unknown names cost the same argon2 work.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from likewise.services.errors import SignInError, SiteError, TooManyAttemptsError
from likewise.services.passwords import password_problem
from likewise.settings import Settings
from likewise.store.account_security import AccountSecurityRepository
from likewise.store.accounts import AccountError, AccountRepository, User

_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")
_FREE_FAILURES = 5  # per (address, name) before the back-off starts
_FAILURES_PER_ADDRESS = 30  # per address over all names within _ADDRESS_WINDOW
_FIRST_LOCK = timedelta(minutes=1)
_LONGEST_LOCK = timedelta(minutes=15)
_WINDOW = timedelta(hours=1)
_ADDRESS_WINDOW = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(days=30)
ACTION_WINDOW = timedelta(hours=1)


def _wait_text(delay: timedelta) -> str:
    seconds = max(1, int(delay.total_seconds() + 0.999))
    if seconds < 120:
        return f"{seconds} seconds"
    return f"{-(-seconds // 60)} minutes"


class AccountService:
    """Accounts and their sessions (what an account owns is in site.py)."""

    def __init__(
        self,
        settings: Settings,
        repository: AccountRepository,
        security: AccountSecurityRepository,
    ) -> None:
        self._settings = settings
        self.repository = repository
        self.security = security
        self.hasher = PasswordHasher()
        self._dummy: str | None = None

    @property
    def _dummy_hash(self) -> str:
        """A real hash of a random password: unknown names are verified against it, so a
        wrong password takes the same time whether or not the name exists."""
        if self._dummy is None:
            self._dummy = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy

    def sign_up(self, username: str, password: str, email: str | None = None) -> User:
        username = username.strip()
        if not _USERNAME.fullmatch(username):
            raise SiteError("a user name has 3 to 32 letters, digits, dots, dashes or underscores")
        problem = password_problem(password, username)
        if problem:
            raise SiteError(problem)
        email = email.strip() if email else None
        if email and (len(email) > 320 or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email)):
            raise SiteError(f"{email!r} is not an email address")
        try:
            return self.repository.create_user(username, self.hasher.hash(password), email or None)
        except AccountError as error:
            raise SiteError(str(error)) from error

    def limit_action(self, action: str, client: str, now: datetime | None = None) -> None:
        """Count one `action` ("signup" or "subscribe") from the client address;
        TooManyAttemptsError once the address has had its hourly allowance (settings
        `signups_per_hour`, `subscribes_per_hour`; 0 means no limit)."""
        allowed = {
            "signup": self._settings.signups_per_hour,
            "subscribe": self._settings.subscribes_per_hour,
        }[action]
        if allowed <= 0:
            return
        now = now or datetime.now(UTC)
        subject = f"{action}:{client[:64]}"
        done, _ = self.repository.failures_since(subject, now - ACTION_WINDOW)
        if done >= allowed:
            raise TooManyAttemptsError(
                f"too many {action} requests from your address (at most {allowed} an hour); "
                "try again later"
            )
        self.repository.record_login_attempt([subject], succeeded=False, at=now)

    def _lock_remaining(self, pair: str, address: str, now: datetime) -> timedelta | None:
        failures, latest = self.repository.failures_since(pair, now - _WINDOW)
        if failures >= _FREE_FAILURES and latest is not None:
            doublings = min(failures - _FREE_FAILURES, 16)  # bounded: no huge powers
            lock = min(_FIRST_LOCK * (1 << doublings), _LONGEST_LOCK)
            if latest + lock > now:
                return latest + lock - now
        from_address, latest = self.repository.failures_since(address, now - _ADDRESS_WINDOW)
        if from_address >= _FAILURES_PER_ADDRESS and latest is not None:
            return latest + _ADDRESS_WINDOW - now
        return None

    def sign_in(
        self,
        username: str,
        password: str,
        client: str = "unknown",
        now: datetime | None = None,
    ) -> User:
        """The account, or SignInError; after repeated failures from this address refuses for
        a while (TooManyAttemptsError), without counting the refused attempts."""
        now = now or datetime.now(UTC)
        name = username.strip().casefold()[:64]
        pair, address = f"pair:{client[:64]}|{name}", f"ip:{client[:64]}"
        remaining = self._lock_remaining(pair, address, now)
        if remaining is not None:
            raise TooManyAttemptsError(
                f"too many failed sign-ins from your address; try again in {_wait_text(remaining)}"
            )
        found = self.repository.find_login(username)
        stored_hash = found[1] if found is not None else self._dummy_hash
        try:
            verified = bool(self.hasher.verify(stored_hash, password)) and found is not None
        except (VerificationError, InvalidHashError):
            verified = False
        if not verified or found is None:
            self.repository.record_login_attempt([pair, address], succeeded=False, at=now)
            raise SignInError("wrong user name or password")
        user = found[0]
        self.repository.record_login_attempt([pair], succeeded=True, at=now)
        self.repository.prune_login_attempts(now - 2 * _WINDOW)  # keeps the table small
        if self.hasher.check_needs_rehash(stored_hash):
            self.repository.set_password_hash(user.id, self.hasher.hash(password))
        return user

    # -- sessions ----------------------------------------------------------------------------
    def start_session(self, user_id: int) -> str:
        """A new random session id for the account (the cookie carries it; rotating it at
        every sign-in leaves a planted pre-sign-in cookie a visitor's)."""
        session_id = secrets.token_urlsafe(32)
        expires = datetime.now(UTC) + SESSION_LIFETIME
        self.security.create_session(user_id, session_id, expires)
        return session_id

    def user_for_session(self, session_id: str) -> User | None:
        return self.security.user_for_session(session_id)

    def end_session(self, session_id: str) -> None:
        self.security.end_session(session_id)

    def user(self, user_id: int) -> User | None:
        return self.repository.get_user(user_id)
