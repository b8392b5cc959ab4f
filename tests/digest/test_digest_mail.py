"""Real mail: digests go through a real SMTP server on loopback (aiosmtpd), are parsed with the
standard `email` package, and their links are followed in the running web app."""

from __future__ import annotations

import re
import socket
import ssl
import subprocess
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from fastapi.testclient import TestClient

from likewise.digest.mailer import PermanentMailError, SmtpMailer
from likewise.library import Library
from likewise.web.app import create_app

BASE = "http://testserver"  # the TestClient's host, so mailed links resolve in the app


class Inbox:
    """aiosmtpd handler: keeps accepted messages; answers with scripted replies first."""

    def __init__(self, replies: list[str] | None = None) -> None:
        self.replies = list(replies or [])
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []  # exactly as received on the wire
        self.attempts = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.attempts += 1
        if self.replies:
            return self.replies.pop(0)
        parsed = message_from_bytes(envelope.content, policy=default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.raw.append(envelope.original_content or envelope.content)
        return "250 2.0.0 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def _mailing_library(library: Library, port: int, **more: Any) -> Library:
    settings = library.settings.with_overrides(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
        base_url=BASE,
        mail_from="digest@likewise.test",
        **more,
    )
    return Library.open(settings, store=library.store, embedder=library.embedding.get())


def _links(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)


def test_a_digest_arrives_as_multipart_mail_whose_links_work_in_the_app(
    catalog: Any, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    library = _mailing_library(catalog, port)
    library.digests.add_subscriber(
        "reader@example.org", [("search", "contrastive retrieval encoders")]
    )
    report = library.digests.run_digests()
    assert report.sent == 1 and not report.failed
    (message,) = handler.messages
    assert message["To"] == "reader@example.org"
    assert message["From"] == "digest@likewise.test"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = str(message["List-Unsubscribe"]).strip()
    assert unsubscribe.startswith(f"<{BASE}/subscriptions/unsubscribe/")
    assert unsubscribe.endswith(">")
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    plain, markup = text.get_content(), html.get_content()
    assert "Contrastive pretraining of retrieval encoders" in plain
    assert "matches your search 'contrastive retrieval encoders'" in plain
    assert "matches your search &#39;contrastive retrieval encoders&#39;" in markup
    links = _links(markup)
    assert any("/papers/2606.00003" in link for link in links)
    with TestClient(create_app(library.settings, library)) as client:
        for link in links:
            assert link.startswith(BASE), link
            path = urlsplit(link).path
            response = client.get(path)
            assert response.status_code == 200, (path, response.text[:300])
        feed = client.get(urlsplit(next(x for x in links if x.endswith(".atom"))).path)
        assert feed.headers["content-type"].startswith("application/atom+xml")
        assert "2606.00003" in feed.text
        # RFC 8058: the mail client POSTs one-click, with no session and no CSRF token.
        one_click = client.post(
            urlsplit(unsubscribe[1:-1]).path,
            content=b"List-Unsubscribe=One-Click",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert one_click.status_code == 200
        assert one_click.text == "reader@example.org is unsubscribed"
    assert library.digests.repository.find_by_email("reader@example.org") is None


def _header_lines(raw: bytes, name: str) -> list[str]:
    """The header's physical lines as received (unfolded only by us, never decoded)."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    found: list[str] = []
    for line in head.split("\r\n"):
        if line.lower().startswith(name.lower() + ":"):
            found.append(line)
        elif found and line[:1] in (" ", "\t") and len(found) == 1:
            found[-1] += "\r\n" + line
    return found


def test_list_unsubscribe_reaches_the_server_as_a_bare_bracketed_url(
    catalog: Any, inbox: tuple[Inbox, int]
) -> None:
    # RFC 8058 clients read List-Unsubscribe as <URL>; an RFC 2047 encoded word
    # (=?utf-8?q?=3Chttp...) is not a URL to them, so one-click unsubscribing breaks.
    handler, port = inbox
    library = _mailing_library(catalog, port)
    library.digests.add_subscriber("reader@example.org", [("category", "cs.IR")])
    assert library.digests.run_digests().sent == 1
    (raw,) = handler.raw
    (unsubscribe,) = _header_lines(raw, "List-Unsubscribe")
    assert re.fullmatch(
        rf"List-Unsubscribe: <{re.escape(BASE)}/subscriptions/unsubscribe/[A-Za-z0-9._~-]+>",
        unsubscribe,
    ), unsubscribe
    assert _header_lines(raw, "List-Unsubscribe-Post") == [
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click"
    ]
    (stored,) = library.digests.repository.outbox_messages(states=("sent",))
    assert "=?" not in next(
        line for line in stored.message.splitlines() if line.startswith("List-Unsubscribe:")
    )


def test_the_server_commits_a_message_only_after_the_hand_over_agrees(
    library: Library, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    settings = library.settings.with_overrides(
        smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False
    )
    raw = "To: someone@example.org\nFrom: likewise@localhost\nSubject: {}\n\n.hello\n"
    seen: list[int] = []

    def refused() -> bool:
        seen.append(len(handler.messages))  # the body is at the server, not yet committed
        return False

    def dies() -> bool:
        raise KeyboardInterrupt("the process died between the hand-over and the final dot")

    with SmtpMailer(settings) as mailer:
        assert mailer.send(raw.format("taken over"), refused) is False
        with pytest.raises(KeyboardInterrupt):
            mailer.send(raw.format("died"), dies)
        assert mailer.send(raw.format("agreed")) is True
    assert seen == [0]
    assert [str(m["Subject"]) for m in handler.messages] == ["agreed"]
    assert handler.messages[0].get_content().splitlines() == [".hello"]  # dots survive DATA


class _Clock:
    def __init__(self) -> None:
        from likewise.store.digests import utc_now

        self.moment = utc_now()

    def now(self) -> Any:
        return self.moment

    def sleep(self, seconds: float) -> None:
        from datetime import timedelta

        self.moment += timedelta(seconds=seconds + 1)


def test_a_temporary_451_is_retried_and_then_delivered(
    catalog: Any, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    handler.replies = ["451 4.7.1 greylisted, try again later"]
    library = _mailing_library(catalog, port)
    library.digests.add_subscriber("grey@example.org", [("category", "cs.IR")])
    report = library.digests.run_digests(clock=_Clock(), patience=3600)
    assert handler.attempts == 2 and report.retried == 1 and report.sent == 1
    assert [str(m["To"]) for m in handler.messages] == ["grey@example.org"]
    assert library.digests.repository.outbox_counts()["sent"] == 1


def test_a_permanent_550_is_recorded_for_the_operator(
    catalog: Any, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    handler.replies = ["550 5.1.1 no such mailbox"]
    library = _mailing_library(catalog, port)
    library.digests.add_subscriber("nobody@example.org", [("category", "cs.IR")])
    report = library.digests.run_digests(clock=_Clock(), patience=3600)
    assert handler.attempts == 1 and report.sent == 0
    (failure,) = library.digests.outbox_failures()
    assert failure.recipient == "nobody@example.org"
    assert "550" in (failure.last_error or "") and "no such mailbox" in (failure.last_error or "")


def test_subscribing_sends_a_confirmation_whose_link_confirms(
    library: Library, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    mailing = _mailing_library(library, port)
    with TestClient(create_app(mailing.settings, mailing)) as client:
        page = client.get("/search")  # a session and its CSRF token first
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
        assert csrf is not None
        response = client.post(
            "/subscribe", data={"email": "new@example.org", "csrf_token": csrf.group(1)}
        )
        assert response.status_code == 200 and "confirmation link" in response.text
        (message,) = handler.messages
        body = message.get_body(("plain",))
        assert body is not None
        link = re.search(rf"{BASE}(/subscriptions/confirm/\S+)", body.get_content())
        assert link is not None
        pending = mailing.digests.repository.find_by_email("new@example.org")
        assert pending is not None and pending.confirmed is False
        confirmed = client.get(link.group(1))
        assert confirmed.status_code == 200 and "confirmed" in confirmed.text
    confirmed_now = mailing.digests.repository.find_by_email("new@example.org")
    assert confirmed_now is not None and confirmed_now.confirmed is True


def _certificate(folder: Path) -> tuple[Path, Path]:
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return key, cert


def test_starttls_and_auth_are_used_and_a_wrong_password_is_permanent(
    library: Library, tmp_path: Path
) -> None:
    key, cert = _certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    seen: list[tuple[bytes, bool]] = []

    def authenticator(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        seen.append((data.login, session.ssl is not None))
        accepted = data.login == b"robot" and data.password == b"s3cret"
        # handled=False: aiosmtpd itself answers (235, or 535 on failure).
        return AuthResult(success=accepted, handled=False)

    handler = Inbox()
    port = _free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_context,
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
    )
    controller.start()
    try:
        client_context = ssl.create_default_context(cafile=str(cert))
        settings = library.settings.with_overrides(
            smtp_host="127.0.0.1", smtp_port=port, smtp_user="robot", smtp_password="s3cret"
        )
        raw = "To: someone@example.org\nFrom: likewise@localhost\nSubject: hi\n\nhello\n"
        with SmtpMailer(settings, ssl_context=client_context) as mailer:
            mailer.send(raw)
        assert [str(m["Subject"]) for m in handler.messages] == ["hi"]
        assert seen[0] == (b"robot", True)  # logged in, over TLS
        wrong = settings.with_overrides(smtp_password="nope")
        with (
            pytest.raises(PermanentMailError, match="log-in refused"),
            SmtpMailer(wrong, ssl_context=client_context) as mailer,
        ):
            mailer.send(raw)
    finally:
        controller.stop()


def test_a_mailed_search_item_quotes_the_sentence_that_supports_the_search(
    catalog: Any, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    library = _mailing_library(catalog, port)
    library.digests.add_subscriber(
        "reader@example.org", [("search", "contrastive retrieval encoders")]
    )
    assert library.digests.run_digests().sent == 1
    (message,) = handler.messages
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    plain = text.get_content().replace("\r\n", "\n")
    markup = html.get_content()
    sentence = "Contrastive pretraining makes retrieval encoders better at dense passage retrieval."
    # Quoted in the text part, marked (with inline styles mail clients keep) in the HTML part.
    assert f"\n  > {sentence}\n" in plain
    assert re.search(rf'<mark style="[^"]+">{re.escape(sentence)}</mark>', markup)
    # Only items a saved search picked carry it: a followed author asks no question.
    library.digests.add_subscriber("author@example.org", [("author", "Grace Hopper")])
    plan, preview = library.digests.preview_digest("author@example.org")
    assert plan is not None and plan.themes
    assert all(not item.evidence for theme in plan.themes for item in theme.items)
    assert "\n  > " not in preview
