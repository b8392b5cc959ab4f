"""What the site's services raise when an action cannot be done; each message is shown to the
reader as it is."""

from __future__ import annotations


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


class ArxivUnreachableError(SiteError):
    """arXiv did not answer (offline, DNS, timeouts, server errors after the retries)."""
