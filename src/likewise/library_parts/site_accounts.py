"""Library part (under site.py): accounts, votes, "not interested" and collections.

Passwords are hashed here (argon2id, RFC 9106) rather than in web/, so that every caller,
web or CLI, shares one rule; log-in attempts are limited per name and per client address.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from likewise.library_parts.base import LibraryBase
from likewise.models import Paper
from likewise.store.accounts import AccountError, AccountRepository, Collection, User

_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")
_FAILURES_PER_NAME = 5
_FAILURES_PER_ADDRESS = 30
_LOCKOUT = timedelta(minutes=15)


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


class AccountOps(LibraryBase):
    """Accounts and what an account owns."""

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

    def sign_up(self, username: str, password: str, email: str | None = None) -> User:
        username = username.strip()
        if not _USERNAME.fullmatch(username):
            raise SiteError("a user name has 3 to 32 letters, digits, dots, dashes or underscores")
        if not 8 <= len(password) <= 256:
            raise SiteError("a password has 8 to 256 characters")
        if email and (len(email) > 320 or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email)):
            raise SiteError(f"{email!r} is not an email address")
        try:
            return self.accounts.create_user(username, self._hasher.hash(password), email or None)
        except AccountError as error:
            raise SiteError(str(error)) from error

    def sign_in(self, username: str, password: str, client: str = "unknown") -> User:
        """The account, or SignInError; refuses for a while after repeated failures."""
        subjects = [f"user:{username.strip().casefold()[:64]}", f"ip:{client[:64]}"]
        since = datetime.now(UTC) - _LOCKOUT
        if (
            self.accounts.failed_attempts_since(subjects[0], since) >= _FAILURES_PER_NAME
            or self.accounts.failed_attempts_since(subjects[1], since) >= _FAILURES_PER_ADDRESS
        ):
            minutes = int(_LOCKOUT.total_seconds() // 60)
            raise TooManyAttemptsError(f"too many failed sign-ins; try again in {minutes} minutes")
        found = self.accounts.find_login(username)
        try:
            if found is None:
                raise VerifyMismatchError
            user, stored_hash = found
            self._hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError) as error:
            self.accounts.record_login_attempt(subjects, succeeded=False)
            raise SignInError("wrong user name or password") from error
        self.accounts.record_login_attempt(subjects[:1], succeeded=True)
        if self._hasher.check_needs_rehash(stored_hash):
            self.accounts.set_password_hash(user.id, self._hasher.hash(password))
        return user

    def user(self, user_id: int) -> User | None:
        return self.accounts.get_user(user_id)
