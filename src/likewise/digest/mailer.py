"""Sending stored mail over SMTP: STARTTLS and AUTH from the smtp_* settings.

Replies are sorted into temporary (4xx, a dropped connection, a timeout: try again later) and
permanent (5xx: the address or the message is refused; retrying would not help), so the
runner can back off or record the failure for the operator. The end of DATA, where the server
commits to a message, is sent only after the runner's hand-over (the row marked sent).
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Callable
from email.parser import HeaderParser
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


class UnconfirmedMailError(MailError):
    """The whole message reached the server, but its reply never came: it was probably
    delivered, and sending it again could deliver it twice."""


def _always() -> bool:
    return True


def _wire(message: str) -> bytes:
    """The DATA payload up to (not including) the final dot: CRLF lines, leading dots doubled."""
    lines = [
        b"." + line if line.startswith(b".") else line for line in message.encode().splitlines()
    ]
    return b"\r\n".join(lines) + b"\r\n"


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
            if connection.sock is not None:
                # The end of DATA is a 3-byte write after the body; with Nagle's algorithm it
                # waits for the server's delayed ACK of the body (~40 ms a message).
                connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
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

    def send(self, message: str, handover: Callable[[], bool] = _always) -> bool:
        """Deliver one stored RFC 5322 message to its To address, or raise a MailError.

        `handover` is called once the message body is at the server, just before the final
        dot that commits it; if it returns False (or raises) the connection is dropped
        instead, so the server discards the unfinished message. Whether it was committed.
        """
        parsed = HeaderParser().parsestr(message)  # only To is needed: headers suffice
        recipient = parseaddr(str(parsed["To"] or ""))[1]
        sender = parseaddr(self.settings.mail_from)[1] or self.settings.mail_from
        if not recipient:
            raise PermanentMailError("the stored message has no recipient")
        if self._connection is None:
            self._connection = self._connect()
        connection = self._connection
        try:
            self._expect(connection.mail(sender), (250,))
            self._expect(connection.rcpt(recipient), (250, 251))
            self._expect(connection.docmd("data"), (354,))
            connection.send(_wire(message))
        except MailError:
            self._reset()
            raise
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            raise TemporaryMailError(f"SMTP connection lost: {error}") from error
        return self._commit(connection, handover)

    def _commit(self, connection: smtplib.SMTP, handover: Callable[[], bool]) -> bool:
        """The end of DATA, once the hand-over agrees; the server's verdict on it."""
        try:
            if not handover():
                self._drop()
                return False
            connection.send(b".\r\n")
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            raise TemporaryMailError(f"SMTP connection lost: {error}") from error
        except BaseException:
            self._drop()
            raise
        try:
            code, text = connection.getreply()
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            raise UnconfirmedMailError(f"no reply to the end of DATA: {error}") from error
        if code != 250:
            raise _classified(code, _reply_text(text))
        return True

    def _expect(self, reply: tuple[int, bytes], accepted: tuple[int, ...]) -> None:
        code, text = reply
        if code not in accepted:
            raise _classified(code, _reply_text(text))

    def _drop(self) -> None:
        """Close without QUIT: mid-DATA, QUIT would be read as message text."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

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
