"""Account addresses are verified by a mailed signed link, and an account reaches a digest
only once both its own address and the subscription are proven (real SMTP: aiosmtpd)."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from web_helpers import csrf_of, post_form

from likewise.library import Library
from likewise.web.app import create_app

BASE = "http://testserver"


class Inbox:
    """aiosmtpd handler keeping every accepted message."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 2.0.0 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if message["To"] == address]

    def link(self, address: str, path_part: str) -> str:
        """The path of the last link containing `path_part` mailed to the address."""
        for message in reversed(self.to(address)):
            body = message.get_body(("plain",))
            assert body is not None
            found = re.findall(
                rf"{re.escape(BASE)}(\S*{re.escape(path_part)}\S*)", body.get_content()
            )
            if found:
                return str(found[-1])
        raise AssertionError(f"no mail to {address} with a {path_part} link")


@dataclass
class Site:
    client: TestClient
    library: Library
    inbox: Inbox

    def open_in(self, client: TestClient, path: str) -> Any:
        return client.get(urlsplit(path).path)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def site(catalog: Library) -> Iterator[Site]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings = catalog.settings.with_overrides(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
        base_url=BASE,
        mail_from="accounts@likewise.test",
    )
    library = Library.open(settings, store=catalog.store, embedder=catalog.embedding.get())
    try:
        with TestClient(create_app(settings, library)) as client:
            yield Site(client, library, inbox)
    finally:
        controller.stop()


def _sign_up(client: TestClient, name: str, email: str) -> None:
    response = post_form(
        client, "/signup", {"username": name, "password": "violet staple orbit", "email": email}
    )
    assert response.status_code == 303, response.text


def _subscribe(client: TestClient, email: str) -> None:
    response = post_form(client, "/subscribe", {"email": email})
    assert response.status_code == 200, response.text


def test_signing_up_with_someone_elses_address_does_not_reach_their_digest(site: Site) -> None:
    victim = site.library.digests.add_subscriber("victim@example.org", [("category", "cs.CV")])
    feed_token = victim.feed_token
    _sign_up(site.client, "mallory", "victim@example.org")
    _subscribe(site.client, "victim@example.org")
    page = site.client.get("/account/digest")
    assert page.status_code < 500
    assert feed_token not in page.text and "cs.CV" not in page.text
    assert "verify" in page.text.lower()
    changed = post_form(site.client, "/account/digest", {"categories": "cs.LG"})
    assert changed.status_code in (403, 404)
    after = site.library.digests.repository.find_by_email("victim@example.org")
    assert after is not None and after.user_id is None
    assert [(i.kind, i.value) for i in after.interests] == [("category", "cs.CV")]
    # The mails went to the address's owner, who is the only one able to use them.
    assert site.inbox.to("victim@example.org")
    assert not site.inbox.to("mallory@example.org")


@pytest.mark.parametrize("first", ["verify", "confirm"])
def test_an_account_reaches_its_digest_once_both_mails_are_opened(site: Site, first: str) -> None:
    _sign_up(site.client, "owner", "Owner@Example.org")
    verify = site.inbox.link("Owner@Example.org", "/account/verify/")
    assert "verify" in site.client.get("/account/digest").text.lower()
    _subscribe(site.client, "owner@example.org")
    confirm = site.inbox.link("owner@example.org", "/subscriptions/confirm/")
    assert site.library.digests.repository.find_by_email("owner@example.org").user_id is None  # type: ignore[union-attr]
    steps = [verify, confirm] if first == "verify" else [confirm, verify]
    opened = site.open_in(site.client, steps[0])
    assert opened.status_code == 200
    assert (
        site.client.get("/account/digest", headers={"accept": "application/json"}).status_code
        != 200
    )
    opened = site.open_in(site.client, steps[1])
    assert opened.status_code == 200
    page = site.client.get("/account/digest", headers={"accept": "application/json"})
    assert page.status_code == 200 and page.json()["email"] == "owner@example.org"
    saved = post_form(site.client, "/account/digest", {"categories": "cs.IR", "cadence": "weekly"})
    assert saved.status_code == 200
    subscriber = site.library.digests.repository.find_by_email("owner@example.org")
    assert subscriber is not None and subscriber.cadence == "weekly"
    assert site.client.get("/api/session").json()["user"]["email_verified"] is True


def test_a_verification_link_is_refused_when_altered(site: Site) -> None:
    _sign_up(site.client, "careful", "careful@example.org")
    link = site.inbox.link("careful@example.org", "/account/verify/")
    token = link.rsplit("/", 1)[1]
    # Alter a character inside the signature: the last base64 character carries padding bits
    # that decoding may ignore, so changing it alone does not always change the signature.
    swapped = token[:-5] + ("a" if token[-5] != "a" else "b") + token[-4:]
    for forged in (swapped, "x" * 40, token[5:]):
        refused = site.client.get(f"/account/verify/{forged}")
        assert refused.status_code == 400 and "not valid" in refused.text
    assert site.client.get("/api/session").json()["user"]["email_verified"] is False
    assert site.open_in(site.client, link).status_code == 200
    assert site.client.get("/api/session").json()["user"]["email_verified"] is True


def test_verification_mails_to_one_address_are_limited(site: Site) -> None:
    _sign_up(site.client, "resender", "resend@example.org")
    statuses = [post_form(site.client, "/account/verify").status_code for _ in range(5)]
    assert statuses[0] == 200
    assert len(site.inbox.to("resend@example.org")) == 3  # the sign-up's and two more a day


def test_verification_needs_the_csrf_token_to_be_resent(site: Site) -> None:
    _sign_up(site.client, "tokenless", "tokenless@example.org")
    csrf_of(site.client)
    assert site.client.post("/account/verify").status_code == 403
    assert len(site.inbox.to("tokenless@example.org")) == 1
