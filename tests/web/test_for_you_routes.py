"""The "For you" page, its JSON twin and private Atom feed, and a collection's recommendations,
over the small web catalog (papers 2503.10100 and 2503.10106 share their topic)."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from fastapi.testclient import TestClient
from web_helpers import api_headers, post_form, sign_up

ATOM = "{http://www.w3.org/2005/Atom}"
SAVED, LIKE_IT = "2503.10100", "2503.10106"


def _feed_path(client: TestClient) -> str:
    url = client.get("/api/for-you").json()["feed_url"]
    return "/" + url.split("/", 3)[3]


def test_for_you_asks_visitors_to_sign_in_on_the_page_and_in_json(client: TestClient) -> None:
    page = client.get("/for-you", follow_redirects=False)
    assert page.status_code == 307 and page.headers["location"] == "/signin?next=/for-you"
    api = client.get("/api/for-you")
    assert api.status_code == 401 and "sign in" in api.json()["detail"]


def test_a_new_account_sees_what_to_do_instead_of_an_error(client: TestClient) -> None:
    sign_up(client)
    page = client.get("/for-you")
    assert page.status_code == 200
    assert 'href="/for-you" aria-current="page">For you</a>' in page.text
    assert "does not know what you read yet" in page.text
    assert "press ▲ on those you like" in page.text
    body = client.get("/api/for-you").json()
    assert body["status"] == "no-signal" and body["listing"]["cards"] == []
    assert "Upvote papers" in body["message"]


def test_an_upvote_brings_its_like_first_with_a_reason_a_match_and_not_interested(
    client: TestClient,
) -> None:
    sign_up(client)
    assert post_form(client, f"/papers/{SAVED}/vote", {"action": "up"}).status_code == 303

    body = client.get("/api/for-you").json()
    first = body["listing"]["cards"][0]
    assert first["paper"]["arxiv_id"] == LIKE_IT
    assert first["reason"].startswith("close to “Contrastive learning for dense retrieval 0”")
    assert "(upvoted)" in first["reason"]
    assert isinstance(first["score"], float)
    assert SAVED not in [card["paper"]["arxiv_id"] for card in body["listing"]["cards"]]
    assert body["positives"] == 1 and body["days"] == 7

    page = client.get("/for-you").text
    card = page.split('<article class="card"', 2)[1]
    assert LIKE_IT in card and "similarity 0." in card and "close to" in card
    assert "Not interested" in card and "<time datetime=" in card


def test_not_interested_on_the_page_is_gone_on_the_next_load(client: TestClient) -> None:
    sign_up(client)
    post_form(client, f"/papers/{SAVED}/vote", {"action": "up"})
    assert LIKE_IT in client.get("/for-you").text

    hidden = post_form(client, f"/papers/{LIKE_IT}/not-interested", {"next": "/for-you"})
    assert hidden.status_code == 303 and hidden.headers["location"] == "/for-you"

    again = client.get("/api/for-you").json()
    assert LIKE_IT not in [card["paper"]["arxiv_id"] for card in again["listing"]["cards"]]
    assert again["hidden"] == 1
    assert "marked “not interested”" in client.get("/for-you").text


def test_the_private_feed_works_without_a_session_and_a_new_link_revokes_the_old(
    client: TestClient,
) -> None:
    sign_up(client)
    post_form(client, f"/papers/{SAVED}/vote", {"action": "up"})
    path = _feed_path(client)
    assert re.fullmatch(r"/feeds/for-you/[\w.-]+\.atom", path)

    client.cookies.clear()  # a feed reader has no session
    feed = client.get(path)
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(feed.content)
    entries = root.findall(f"{ATOM}entry")
    assert entries and entries[0].findtext(f"{ATOM}id", "").endswith(f"/papers/{LIKE_IT}")
    assert entries[0].findtext(f"{ATOM}summary", "").startswith("Why: close to")

    sign_up(client, "reader2")
    other_path = _feed_path(client)
    assert other_path != path
    rotated = client.post("/api/for-you/feed-link", headers=api_headers(client))
    assert rotated.status_code == 200
    assert client.get(other_path).status_code == 404
    assert client.get("/" + rotated.json()["feed_url"].split("/", 3)[3]).status_code == 200
    assert client.get(path).status_code == 200  # another account's link is untouched


def test_a_forged_or_mangled_feed_link_is_a_404_that_says_why(client: TestClient) -> None:
    sign_up(client)
    path = _feed_path(client)
    for bad in (path.replace(".atom", "x.atom"), "/feeds/for-you/nonsense.atom"):
        answer = client.get(bad)
        assert answer.status_code == 404
        assert (
            "not valid" in answer.json()["detail"]
            and "copy the current link" in answer.json()["detail"]
        )


def test_the_page_form_makes_a_new_feed_link_and_says_so(client: TestClient) -> None:
    sign_up(client)
    before = _feed_path(client)
    made = post_form(client, "/for-you/feed-link")
    assert made.status_code == 303 and made.headers["location"].startswith("/for-you?feed=new")
    assert "the old one no longer works" in client.get("/for-you?feed=new").text
    assert _feed_path(client) != before and client.get(before).status_code == 404


def test_days_outside_the_allowed_range_are_refused(client: TestClient) -> None:
    sign_up(client)
    assert client.get("/api/for-you?days=0").status_code == 422
    assert client.get("/api/for-you?days=91").status_code == 422
    assert client.get("/api/for-you?days=1").json()["days"] == 1


def test_a_collection_page_recommends_papers_like_the_collection(client: TestClient) -> None:
    sign_up(client)
    post_form(client, f"/papers/{SAVED}/save", {"new_name": "Retrieval"})
    collection = client.get("/api/collections").json()["collections"][0]

    body = client.get(f"/api/collections/{collection['id']}").json()
    recommended = [card["paper"]["arxiv_id"] for card in body["recommended"]["cards"]]
    assert recommended[0] == LIKE_IT and SAVED not in recommended
    assert "(in Retrieval)" in body["recommended"]["cards"][0]["reason"]
    page = client.get(f"/collections/{collection['id']}").text
    assert "Papers like this collection" in page
    assert page.index("Papers like this collection") < page.rindex(LIKE_IT)
