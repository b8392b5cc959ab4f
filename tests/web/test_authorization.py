"""One account cannot read or change another's collections, votes or subscriptions; forms never
redirect off the site; subscribing and signing up are rate-limited; oversized requests get a
4xx that names the limit."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_helpers import api_headers, post_form, sign_up

from likewise.library import Library
from likewise.web.app import create_app


@pytest.fixture
def app(catalog: Library) -> FastAPI:
    return create_app(catalog.settings, catalog)


@pytest.fixture
def alice_and_bob(app: FastAPI) -> Iterator[tuple[TestClient, TestClient]]:
    with TestClient(app) as alice, TestClient(app) as bob:
        sign_up(alice, "alice")
        sign_up(bob, "bob")
        yield alice, bob


def test_one_account_cannot_read_or_change_anothers_collections(
    alice_and_bob: tuple[TestClient, TestClient],
) -> None:
    alice, bob = alice_and_bob
    post_form(bob, "/papers/2503.10100/save", {"new_name": "Bob's secrets"})
    (collection,) = bob.get("/api/collections").json()["collections"]
    bobs = collection["id"]
    tries = [
        alice.get(f"/api/collections/{bobs}"),
        alice.get(f"/collections/{bobs}"),
        post_form(alice, f"/collections/{bobs}/remove", {"arxiv_id": "2503.10100"}),
        post_form(alice, "/papers/2503.10101/save", {"collection": str(bobs)}),
        alice.post(
            "/api/papers/2503.10102/save",
            data={"collection": str(bobs)},
            headers=api_headers(alice),
        ),
    ]
    for response in tries:
        assert response.status_code == 404, (response.request.url, response.status_code)
        assert "Bob&#39;s secrets" not in response.text and "Bob's secrets" not in response.text
    assert "Bob" not in str(alice.get("/api/collections").json())
    page = bob.get(f"/api/collections/{bobs}").json()
    assert [card["paper"]["arxiv_id"] for card in page["listing"]["cards"]] == ["2503.10100"]


def test_one_account_cannot_withdraw_or_see_anothers_vote(
    alice_and_bob: tuple[TestClient, TestClient],
) -> None:
    alice, bob = alice_and_bob
    assert bob.post("/api/papers/2503.10100/vote", headers=api_headers(bob)).json()["votes"] == 1
    withdrawn = alice.delete("/api/papers/2503.10100/vote", headers=api_headers(alice))
    assert withdrawn.json()["votes"] == 1
    post_form(alice, "/papers/2503.10100/vote", {"action": "down"})
    assert alice.get("/api/papers/2503.10100").json()["page"] == {
        **alice.get("/api/papers/2503.10100").json()["page"],
        "votes": 1,
        "voted": False,
    }
    assert bob.get("/api/papers/2503.10100").json()["page"]["voted"] is True


def _edits(token: str) -> list[str]:
    # The second-to-last character: the last one of a base64 signature carries padding bits,
    # so changing it between "A" and "B" can leave the signature as it was.
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    middle = len(token) // 2
    return [flipped, token[:middle] + token[middle + 1 :], token + "x", "a" * len(token)]


def test_edited_or_guessed_subscriber_links_reach_nobody(
    alice_and_bob: tuple[TestClient, TestClient], catalog: Library
) -> None:
    alice, _ = alice_and_bob
    mine = catalog.digests.add_subscriber("alice@example.org", [("category", "cs.CV")])
    theirs = catalog.digests.add_subscriber("bob@example.org", [("category", "cs.IR")])
    links = catalog.digests.subscriber_links(mine)
    for kind in ("manage", "unsubscribe"):
        token = urlsplit(getattr(links, kind)).path.rsplit("/", 1)[1]
        for edited in _edits(token):
            url = f"/subscriptions/{kind}/{edited}"
            assert alice.get(url).status_code in (200, 404)  # the unsubscribe GET only asks
            response = post_form(alice, url, {"categories": "cs.LG"})
            assert response.status_code in (404, 422), (kind, edited, response.status_code)
            assert "bob@example.org" not in response.text
    # Replace the last character with a different one (a token may already end in "x").
    other = "y" if theirs.feed_token.endswith("x") else "x"
    edited_feed = f"{theirs.feed_token[:-1]}{other}"
    assert alice.get(f"/subscriptions/feed/{edited_feed}.atom").status_code == 404
    after = catalog.digests.repository.find_by_email("bob@example.org")
    assert after is not None and [i.value for i in after.interests] == ["cs.IR"]
    assert catalog.digests.repository.find_by_email("alice@example.org") is not None
    assert "bob@example.org" not in alice.get("/account/digest").text


HOSTILE_NEXT = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "/\t/evil.example",
    " //evil.example",
    "http:evil.example",
    "data:text/html,hi",
]


def _local(location: str) -> bool:
    parts = urlsplit(location)
    return (
        location.startswith("/")
        and not location.startswith("//")
        and "\\" not in location
        and not parts.scheme
        and not parts.netloc
    )


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_no_form_redirects_off_the_site(app: FastAPI, target: str) -> None:
    with TestClient(app) as client:
        signed_up = post_form(
            client,
            "/signup",
            {"username": "hopper", "password": "violet staple orbit", "next": target},
        )
        assert signed_up.status_code == 303 and _local(signed_up.headers["location"])
        responses = [
            post_form(client, "/collections", {"name": "Reading", "next": target}),
            post_form(client, "/signout", {"next": target}),
            post_form(
                client,
                "/signin",
                {"username": "hopper", "password": "violet staple orbit", "next": target},
            ),
        ]
        for response in responses:
            assert response.status_code == 303, response.text[:200]
            assert _local(response.headers["location"]), response.headers["location"]
        page = client.get("/signin", params={"next": target})
        assert "evil.example" not in page.text and "javascript:" not in page.text.lower()


def test_subscribing_is_rate_limited_per_address(app: FastAPI, catalog: Library) -> None:
    with TestClient(app, client=("198.51.100.60", 1)) as flooder:
        statuses = [
            post_form(flooder, "/subscribe", {"email": f"stranger{n}@example.org"}).status_code
            for n in range(12)
        ]
    assert statuses[:10] == [200] * 10 and statuses[10:] == [429, 429]
    assert len(catalog.digests.list_subscribers()) == 10
    refused = post_form(
        TestClient(app, client=("198.51.100.60", 1)), "/subscribe", {"email": "x@example.org"}
    )
    assert refused.status_code == 429 and "at most 10 an hour" in refused.text
    with TestClient(app, client=("192.0.2.60", 1)) as neighbour:
        assert post_form(neighbour, "/subscribe", {"email": "me@example.org"}).status_code == 200


def test_signing_up_is_rate_limited_per_address(app: FastAPI, catalog: Library) -> None:
    with TestClient(app, client=("198.51.100.61", 1)) as farm:
        statuses = []
        for n in range(11):
            response = post_form(
                farm, "/signup", {"username": f"bot{n}", "password": "violet staple orbit"}
            )
            statuses.append(response.status_code)
            post_form(farm, "/signout")
    assert statuses[:10] == [303] * 10 and statuses[10] == 429
    assert catalog.accounts.repository.find_login("bot10") is None


@pytest.mark.parametrize(
    "url, status, named",
    [
        ("/api/search?q=" + "a" * 5000, 414, "4096 bytes"),
        ("/api/search?q=" + "a" * 2500, 422, "q: String should have at most 2000 characters"),
        (
            "/api/search?q=graphs&page=11",
            422,
            "page: Input should be less than or equal to 10",
        ),
        ("/api/daily?page=0", 422, "page: Input should be greater than or equal to 1"),
        ("/api/trending?window=91", 422, "window: Input should be less than or equal to 90"),
        ("/api/collections/99999999999", 422, "collection_id: Input should be less than"),
    ],
)
def test_oversized_parameters_get_a_4xx_naming_the_limit(
    client: TestClient, url: str, status: int, named: str
) -> None:
    response = client.get(url)
    assert response.status_code == status
    assert named in response.text


def test_an_oversized_body_gets_a_413_naming_the_limit(client: TestClient) -> None:
    response = client.post(
        "/subscribe",
        content=b"email=" + b"a" * 70_000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413 and "65536 bytes" in response.text
