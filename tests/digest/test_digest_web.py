"""The digest's web routes: the subscribe box, signed manage links, unsubscribe and the feed."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from likewise.library import Library
from likewise.web.app import create_app


@pytest.fixture
def client(catalog: Library) -> Iterator[TestClient]:
    with TestClient(create_app(catalog.settings, catalog)) as test_client:
        yield test_client


def _csrf(client: TestClient) -> str:
    page = client.get("/search")
    found = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def _path(url: str) -> str:
    return urlsplit(url).path


def test_a_malformed_address_is_rejected_at_the_form_with_a_message(
    client: TestClient, catalog: Library
) -> None:
    response = client.post(
        "/subscribe", data={"email": "not an address", "csrf_token": _csrf(client)}
    )
    assert response.status_code == 400
    assert "is not a valid e-mail address" in response.text
    assert catalog.digests.list_subscribers() == []


def test_subscribing_queues_a_confirmation_and_says_so(
    client: TestClient, catalog: Library
) -> None:
    response = client.post(
        "/subscribe", data={"email": "Box@Example.org", "csrf_token": _csrf(client)}
    )
    assert response.status_code == 200 and "confirmation link" in response.text
    (subscriber,) = catalog.digests.list_subscribers()
    assert subscriber.email == "box@example.org" and not subscriber.confirmed
    (queued,) = catalog.digests.repository.outbox_messages()
    assert queued.kind == "confirmation" and queued.state == "pending"


def test_the_subscribe_box_needs_the_csrf_token(client: TestClient) -> None:
    assert client.post("/subscribe", data={"email": "a@example.org"}).status_code == 403


def test_the_manage_page_shows_problems_and_saves_changes(
    client: TestClient, catalog: Library
) -> None:
    subscriber = catalog.digests.add_subscriber(
        "m@example.org", [("search", " "), ("like", "2101.99999")]
    )
    manage = _path(catalog.digests.subscriber_links(subscriber).manage)
    page = client.get(manage)
    assert page.status_code == 200
    assert "your saved search is empty" in page.text
    assert "unknown ids" in page.text and "2101.99999" in page.text
    assert client.post(manage, data={"categories": "cs.IR"}).status_code == 403  # no CSRF
    saved = client.post(
        manage,
        data={
            "categories": "cs.IR cs.CL",
            "searches": "dense retrieval",
            "likes": "2606.00001",
            "cadence": "weekly",
            "strictness": "strict",
            "csrf_token": _csrf(client),
        },
    )
    assert saved.status_code == 200 and "Saved" in saved.text
    after = catalog.digests.repository.find_by_email("m@example.org")
    assert after is not None and after.cadence == "weekly" and after.strictness == "strict"
    assert sorted((i.kind, i.value) for i in after.interests) == [
        ("category", "cs.CL"),
        ("category", "cs.IR"),
        ("like", "2606.00001"),
        ("search", "dense retrieval"),
    ]
    bad = client.post(manage, data={"categories": "not a category!", "csrf_token": _csrf(client)})
    assert bad.status_code == 400 and "is not an arXiv category" in bad.text


def test_nobody_reads_or_changes_another_subscribers_settings_by_guessing(
    client: TestClient, catalog: Library
) -> None:
    mine = catalog.digests.add_subscriber("mine@example.org", [("category", "cs.CV")])
    theirs = catalog.digests.add_subscriber("theirs@example.org", [("category", "cs.IR")])
    my_link = _path(catalog.digests.subscriber_links(mine).manage)
    token = my_link.rsplit("/", 1)[1]
    # Altered payloads, another subscriber's id, the unsubscribe purpose: all refused.
    forged = token.replace(token[2], "A" if token[2] != "A" else "B", 1)
    for attempt in (forged, token[:-2] + "xx", f"{theirs.id}.{token}", "a" * 40):
        response = client.get(f"/subscriptions/manage/{attempt}")
        assert response.status_code == 404 and "theirs@example.org" not in response.text
    unsubscribe = _path(catalog.digests.subscriber_links(theirs).unsubscribe)
    assert client.get("/subscriptions/manage/" + unsubscribe.rsplit("/", 1)[1]).status_code == 404
    # Revoked: once unsubscribed, the old links stop working.
    assert client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}).status_code == 404
    assert client.get(my_link).status_code == 200


def test_opening_the_unsubscribe_link_only_asks(client: TestClient, catalog: Library) -> None:
    subscriber = catalog.digests.add_subscriber("stay@example.org", [("category", "cs.IR")])
    link = _path(catalog.digests.subscriber_links(subscriber).unsubscribe)
    page = client.get(link)
    assert page.status_code == 200 and "Unsubscribe" in page.text
    assert catalog.digests.repository.find_by_email("stay@example.org") is not None
    done = client.post(link)  # the page's button: no CSRF needed, the link is signed
    assert done.status_code == 200 and "stay@example.org" in done.text
    assert catalog.digests.repository.find_by_email("stay@example.org") is None


def test_the_private_feed_needs_its_exact_token(client: TestClient, catalog: Library) -> None:
    subscriber = catalog.digests.add_subscriber("feed@example.org", [("category", "cs.IR")])

    class Quiet:
        def send(self, message: str, handover: Callable[[], bool]) -> bool:
            return handover()

        def close(self) -> None:
            pass

    catalog.digests.run_digests(mailer=Quiet())
    feed = client.get(_path(catalog.digests.subscriber_links(subscriber).feed))
    assert feed.status_code == 200 and "2606.00003" in feed.text
    assert "new in your categories" in feed.text
    assert client.get("/subscriptions/feed/" + "x" * 32 + ".atom").status_code == 404


def test_the_account_digest_page_needs_a_signed_in_account(client: TestClient) -> None:
    assert client.get("/account/digest").status_code == 401


def test_confirmation_links_are_refused_when_tampered(client: TestClient, catalog: Any) -> None:
    subscriber = catalog.digests.request_subscription("later@example.org")
    link = _path(catalog.digests.subscriber_links(subscriber).confirm)
    assert client.get(link + "x").status_code == 400
    assert client.get(link).status_code == 200
    confirmed = catalog.digests.repository.find_by_email("later@example.org")
    assert confirmed is not None and confirmed.confirmed


def test_pasted_bibtex_becomes_liked_papers_and_unknown_entries_are_named(
    client: TestClient, catalog: Library
) -> None:
    subscriber = catalog.digests.add_subscriber("bib@example.org", [("category", "cs.IR")])
    manage = _path(catalog.digests.subscriber_links(subscriber).manage)
    bibtex = """
    @article{known, title={Image segmentation with diffusion priors}, author={Hopper, Grace}}
    @misc{byid, title={Whatever}, eprint={2606.00006}, archivePrefix={arXiv}}
    @misc{stranger, title={A paper this catalog does not hold}, author={Nobody, A.}}
    """
    saved = client.post(
        manage, data={"categories": "cs.IR", "bibtex": bibtex, "csrf_token": _csrf(client)}
    )
    assert saved.status_code == 200
    assert "BibTeX entries not found in this catalog: stranger" in saved.text
    after = catalog.digests.repository.find_by_email("bib@example.org")
    assert after is not None
    assert sorted(i.value for i in after.interests if i.kind == "like") == [
        "2606.00002",
        "2606.00006",
    ]


def test_a_signed_in_account_saves_its_digest_settings_from_the_account_page(
    client: TestClient, catalog: Library
) -> None:
    user = catalog.accounts.sign_up("digester", "correct horse", "digester@example.org")
    catalog.digests.add_subscriber("digester@example.org", [("category", "cs.IR")])
    # As if the verification mail's link had been opened (tests/web/test_account_email.py).
    catalog.accounts.security.mark_email_verified(user.id, "digester@example.org")
    signed_in = client.post(
        "/signin",
        data={"username": "digester", "password": "correct horse", "csrf_token": _csrf(client)},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    saved = client.post(
        "/account/digest",
        data={"categories": "cs.CV", "cadence": "weekly", "csrf_token": _csrf(client)},
    )
    assert saved.status_code == 200
    after = catalog.digests.repository.find_by_email("digester@example.org")
    assert after is not None and after.cadence == "weekly"
    assert [i.value for i in after.interests if i.kind == "category"] == ["cs.CV"]
