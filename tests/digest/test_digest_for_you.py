"""The "For you" section of a digest, received by a real SMTP server on loopback: only for a
subscriber whose address an account has verified, never repeating a paper of the digest."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from test_digest_mail import Inbox, _free_port, _mailing_library

from likewise.library import Library


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


def _account(library: Library, name: str, email: str, verified: bool) -> int:
    user = library.accounts.repository.create_user(name, "not-a-real-hash", email)
    if verified:
        library.accounts.security.mark_email_verified(user.id, email)
    return user.id


def _parts(message: EmailMessage) -> tuple[str, str]:
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def _for_you(plain: str) -> str:
    return plain.split("## For you", 1)[1].split("\n--\n", 1)[0]


def test_a_subscriber_with_a_verified_account_gets_for_you_in_text_and_html(
    catalog: Any, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    library = _mailing_library(catalog, port)
    reader = _account(library, "reader", "reader@example.org", verified=True)
    library.accounts.repository.add_vote(reader, "2606.00001")  # dense retrieval, day one
    library.digests.add_subscriber("reader@example.org", [("category", "cs.CL")])

    report = library.digests.run_digests()

    assert report.sent == 1 and not report.failed
    (message,) = handler.messages
    plain, markup = _parts(message)
    section = _for_you(plain)
    assert "Ranked for you from what you upvoted" in section
    assert "http://testserver/for-you" in section
    assert "Contrastive pretraining of retrieval encoders" in section
    assert "Why: close to “Contrastive learning for dense retrieval” (upvoted)" in section
    assert ">For you</h2>" in markup and "close to “Contrastive learning" in markup
    # The upvoted paper itself and the category theme's papers are not repeated.
    assert "2606.00001" not in section
    category_part = plain.split("## For you", 1)[0]
    assert "Parsing legal documents" in category_part
    assert "Parsing legal documents" not in section


def test_no_for_you_without_an_account_that_verified_the_address(
    catalog: Any, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    library = _mailing_library(catalog, port)
    someone = _account(library, "someone", "reader@example.org", verified=False)
    library.accounts.repository.add_vote(someone, "2606.00001")
    library.digests.add_subscriber("reader@example.org", [("category", "cs.CL")])

    assert library.digests.run_digests().sent == 1

    plain, _ = _parts(handler.messages[0])
    assert "## For you" not in plain


def test_for_you_alone_makes_a_digest_and_its_papers_are_not_sent_twice(
    catalog: Any, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    library = _mailing_library(catalog, port)
    reader = _account(library, "reader", "reader@example.org", verified=True)
    library.accounts.repository.add_vote(reader, "2606.00002")
    library.digests.add_subscriber("reader@example.org")

    assert library.digests.run_digests().sent == 1
    plain, _ = _parts(handler.messages[0])
    assert "## For you" in plain
    sent = library.digests.repository.suggestions_of(
        library.digests.repository.find_by_email("reader@example.org").id  # type: ignore[union-attr]
    )
    assert sent and all(entry.theme == "For you" for entry in sent)
    # The same window again: nothing new to send.
    assert library.digests.run_digests().sent == 0
