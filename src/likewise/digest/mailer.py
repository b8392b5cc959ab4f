"""Sending stored mail over SMTP: STARTTLS and AUTH from the smtp_* settings.

Replies are sorted into temporary (4xx, a dropped connection, a timeout: try again later) and
permanent (5xx: the address or the message is refused; retrying would not help), so the
runner can back off or record the failure for the operator.
"""

from __future__ import annotations

import smtplib
import ssl
from email import message_from_string
from email.utils import parseaddr
from types import TracebackType

from likewise.settings import Settings


class MailError(RuntimeError):
    """A message was not accepted; `temporary` says whether trying again may help."""

    temporary = True


class TemporaryMailError(MailError):
    temporary = True


class PermanentMailError(MailError):
    temporary = False


def _classified(code: int, text: str) -> MailError:
    reply = f"SMTP {code}: {text}".strip()
    if 400 <= code < 500:
        return TemporaryMailError(reply)
    return PermanentMailError(reply)


def _reply_text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


class SmtpMailer:
    """One SMTP connection per `open()` block, re-opened after a failure."""

    def __init__(
        self,
        settings: Settings,
        *,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 30.0,
    ) -> None:
        if not settings.smtp_host:
            raise PermanentMailError("no SMTP server configured (set LIKEWISE_SMTP_HOST)")
        self.settings = settings
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.timeout = timeout
        self._connection: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpMailer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        try:
            connection = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=self.timeout)
        except (OSError, smtplib.SMTPException) as error:
            raise TemporaryMailError(
                f"cannot reach SMTP server {settings.smtp_host}:{settings.smtp_port}: {error}"
            ) from error
        try:
            self._greet(connection)
        except BaseException:
            connection.close()
            raise
        return connection

    def _greet(self, connection: smtplib.SMTP) -> None:
        """EHLO, STARTTLS when offered (required before a password), then AUTH."""
        settings = self.settings
        try:
            connection.ehlo()
            if settings.smtp_starttls and connection.has_extn("starttls"):
                connection.starttls(context=self.ssl_context)
                connection.ehlo()
            elif settings.smtp_user:
                raise PermanentMailError(
                    f"{settings.smtp_host}:{settings.smtp_port} offers no STARTTLS; "
                    "refusing to send the SMTP password unencrypted"
                )
            if settings.smtp_user:
                connection.login(settings.smtp_user, settings.smtp_password)
        except smtplib.SMTPAuthenticationError as error:
            raise PermanentMailError(
                f"SMTP log-in refused for {settings.smtp_user}: "
                f"{error.smtp_code} {_reply_text(error.smtp_error)}"
            ) from error
        except smtplib.SMTPResponseException as error:
            raise _classified(error.smtp_code, _reply_text(error.smtp_error)) from error
        except (OSError, smtplib.SMTPException) as error:
            raise TemporaryMailError(
                f"SMTP server {settings.smtp_host}:{settings.smtp_port} failed: {error}"
            ) from error

    def send(self, message: str) -> None:
        """Deliver one stored RFC 5322 message to its To address, or raise a MailError."""
        parsed = message_from_string(message)
        recipient = parseaddr(str(parsed["To"] or ""))[1]
        sender = parseaddr(self.settings.mail_from)[1] or self.settings.mail_from
        if not recipient:
            raise PermanentMailError("the stored message has no recipient")
        if self._connection is None:
            self._connection = self._connect()
        try:
            # SMTP lines end in CRLF; smtplib leaves bytes untouched, so convert here.
            wire = "\r\n".join(message.splitlines()).encode("utf-8") + b"\r\n"
            refused = self._connection.sendmail(sender, [recipient], wire)
        except smtplib.SMTPRecipientsRefused as error:
            code, text = error.recipients.get(recipient, (550, b"recipient refused"))
            raise _classified(code, _reply_text(text)) from error
        except smtplib.SMTPResponseException as error:
            self._reset()
            raise _classified(error.smtp_code, _reply_text(error.smtp_error)) from error
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise TemporaryMailError(f"SMTP connection lost: {error}") from error
        if refused:
            code, text = refused[recipient]
            raise _classified(code, _reply_text(text))

    def _reset(self) -> None:
        """After a refused transaction, start clean (or reconnect if the server hung up)."""
        if self._connection is None:
            return
        try:
            self._connection.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.quit()
            except (OSError, smtplib.SMTPException):
                self._connection.close()
            self._connection = None
