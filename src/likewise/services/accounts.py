"""Library part (under site.py): accounts, sessions, votes, "not interested" and collections.

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

from likewise.services.embedding import LibraryBase
from likewise.services.passwords import password_problem
from likewise.models import Paper
from likewise.store.account_security import AccountSecurityRepository
from likewise.store.accounts import AccountError, AccountRepository, Collection, User

_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")
_FREE_FAILURES = 5  # per (address, name) before the back-off starts
_FAILURES_PER_ADDRESS = 30  # per address over all names within _ADDRESS_WINDOW
_FIRST_LOCK = timedelta(minutes=1)
_LONGEST_LOCK = timedelta(minutes=15)
_WINDOW = timedelta(hours=1)
_ADDRESS_WINDOW = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(days=30)
ACTION_WINDOW = timedelta(hours=1)


class SiteError(ValueError):
    """A site action cannot be done as asked; the message is shown to the user."""


class NotFoundError(SiteError, KeyError):
    """No such paper, collection or page."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not found"


class SignInError(SiteError):
    """Wrong name or password (never says which)."""


class TooManyAttemptsError(SiteError):
    """Log-in refused for a while after repeated failures."""


def _wait_text(delay: timedelta) -> str:
    seconds = max(1, int(delay.total_seconds() + 0.999))
    if seconds < 120:
        return f"{seconds} seconds"
    return f"{-(-seconds // 60)} minutes"


class AccountOps(LibraryBase):
    """Accounts and what an account owns."""

    @property
    def account_security(self) -> AccountSecurityRepository:
        repository = self._cache.get("site.account_security")
        if repository is None:
            repository = AccountSecurityRepository(self.store.engine)
            self._cache["site.account_security"] = repository
        return repository

    @property
    def accounts(self) -> AccountRepository:
        repository = self._cache.get("site.accounts")
        if repository is None:
            repository = AccountRepository(self.store.engine)
            self._cache["site.accounts"] = repository
        return repository

    def require_paper(self, arxiv_id: str) -> Paper:
        paper = self.store.get_paper(arxiv_id)
        if paper is None:
            raise NotFoundError(f"no paper {arxiv_id!r} in this catalog")
        return paper

    def set_vote(self, user_id: int, arxiv_id: str, up: bool) -> int:
        """Add or withdraw the account's one vote; the paper's vote count after it."""
        self.require_paper(arxiv_id)
        if up:
            self.accounts.add_vote(user_id, arxiv_id)
        else:
            self.accounts.remove_vote(user_id, arxiv_id)
        return self.accounts.vote_counts([arxiv_id]).get(arxiv_id, 0)

    def set_not_interested(self, user_id: int, arxiv_id: str, hidden: bool) -> None:
        self.require_paper(arxiv_id)
        if hidden:
            self.accounts.hide(user_id, arxiv_id)
        else:
            self.accounts.unhide(user_id, arxiv_id)

    # -- collections -------------------------------------------------------------------------
    def create_collection(self, user_id: int, name: str) -> Collection:
        name = " ".join(name.split())
        if not 1 <= len(name) <= 100:
            raise SiteError("a collection name has 1 to 100 characters")
        try:
            return self.accounts.create_collection(user_id, name)
        except AccountError as error:
            raise SiteError(str(error)) from error

    def require_collection(self, user_id: int, collection_id: int) -> Collection:
        collection = self.accounts.get_collection(user_id, collection_id)
        if collection is None:
            raise NotFoundError(f"you have no collection number {collection_id}")
        return collection

    def save_to_collection(
        self, user_id: int, arxiv_id: str, collection_id: int | None = None, new_name: str = ""
    ) -> Collection:
        """Save a paper to one of the account's collections, or to a new one by name."""
        self.require_paper(arxiv_id)
        if new_name.strip():
            name = " ".join(new_name.split())
            collection = self.accounts.collection_by_name(user_id, name)
            if collection is None:
                collection = self.create_collection(user_id, name)
        elif collection_id is not None:
            collection = self.require_collection(user_id, collection_id)
        else:
            raise SiteError("choose a collection or name a new one")
        self.accounts.add_to_collection(collection.id, arxiv_id)
        return collection

    def remove_from_collection(self, user_id: int, collection_id: int, arxiv_id: str) -> None:
        self.accounts.remove_from_collection(
            self.require_collection(user_id, collection_id).id, arxiv_id
        )

    # -- accounts ----------------------------------------------------------------------------
    @property
    def _hasher(self) -> PasswordHasher:
        hasher = self._cache.get("site.hasher")
        if hasher is None:
            hasher = self._cache["site.hasher"] = PasswordHasher()
        return hasher

    @property
    def _dummy_hash(self) -> str:
        """A real hash of a random password: unknown names are verified against it, so a
        wrong password takes the same time whether or not the name exists."""
        dummy = self._cache.get("site.dummy_hash")
        if dummy is None:
            dummy = self._cache["site.dummy_hash"] = self._hasher.hash(secrets.token_urlsafe(16))
        return str(dummy)

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
            return self.accounts.create_user(username, self._hasher.hash(password), email or None)
        except AccountError as error:
            raise SiteError(str(error)) from error

    def limit_action(self, action: str, client: str, now: datetime | None = None) -> None:
        """Count one `action` ("signup" or "subscribe") from the client address;
        TooManyAttemptsError once the address has had its hourly allowance (settings
        `signups_per_hour`, `subscribes_per_hour`; 0 means no limit)."""
        allowed = {
            "signup": self.settings.signups_per_hour,
            "subscribe": self.settings.subscribes_per_hour,
        }[action]
        if allowed <= 0:
            return
        now = now or datetime.now(UTC)
        subject = f"{action}:{client[:64]}"
        done, _ = self.accounts.failures_since(subject, now - ACTION_WINDOW)
        if done >= allowed:
            raise TooManyAttemptsError(
                f"too many {action} requests from your address (at most {allowed} an hour); "
                "try again later"
            )
        self.accounts.record_login_attempt([subject], succeeded=False, at=now)

    def _lock_remaining(self, pair: str, address: str, now: datetime) -> timedelta | None:
        failures, latest = self.accounts.failures_since(pair, now - _WINDOW)
        if failures >= _FREE_FAILURES and latest is not None:
            doublings = min(failures - _FREE_FAILURES, 16)  # bounded: no huge powers
            lock = min(_FIRST_LOCK * (1 << doublings), _LONGEST_LOCK)
            if latest + lock > now:
                return latest + lock - now
        from_address, latest = self.accounts.failures_since(address, now - _ADDRESS_WINDOW)
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
        found = self.accounts.find_login(username)
        stored_hash = found[1] if found is not None else self._dummy_hash
        try:
            verified = bool(self._hasher.verify(stored_hash, password)) and found is not None
        except (VerificationError, InvalidHashError):
            verified = False
        if not verified or found is None:
            self.accounts.record_login_attempt([pair, address], succeeded=False, at=now)
            raise SignInError("wrong user name or password")
        user = found[0]
        self.accounts.record_login_attempt([pair], succeeded=True, at=now)
        self.accounts.prune_login_attempts(now - 2 * _WINDOW)  # keeps the table small
        if self._hasher.check_needs_rehash(stored_hash):
            self.accounts.set_password_hash(user.id, self._hasher.hash(password))
        return user

    # -- sessions ----------------------------------------------------------------------------
    def start_session(self, user_id: int) -> str:
        """A new random session id for the account (the cookie carries it; rotating it at
        every sign-in leaves a planted pre-sign-in cookie a visitor's)."""
        session_id = secrets.token_urlsafe(32)
        expires = datetime.now(UTC) + SESSION_LIFETIME
        self.account_security.create_session(user_id, session_id, expires)
        return session_id

    def user_for_session(self, session_id: str) -> User | None:
        return self.account_security.user_for_session(session_id)

    def end_session(self, session_id: str) -> None:
        self.account_security.end_session(session_id)

    def user(self, user_id: int) -> User | None:
        return self.accounts.get_user(user_id)
