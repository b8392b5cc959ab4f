"""Accounts over HTTP: sign up / in / out, one vote per account, collections, not interested."""

from __future__ import annotations

from fastapi.testclient import TestClient
from web_helpers import api_headers, post_form, sign_up


def test_sign_up_signs_in_and_sign_out_signs_out(client: TestClient) -> None:
    response = sign_up(client, "alice", "a long password")
    assert response.headers["location"] == "/"
    assert client.get("/api/session").json()["user"]["username"] == "alice"
    assert "alice" in client.get("/").text
    post_form(client, "/signout")
    assert client.get("/api/session").json()["user"] is None
    back = post_form(
        client, "/signin", {"username": "ALICE", "password": "a long password", "next": "/trending"}
    )
    assert back.status_code == 303 and back.headers["location"] == "/trending"


def test_sign_up_refuses_taken_names_and_short_passwords(client: TestClient) -> None:
    sign_up(client, "bob", "password one")
    post_form(client, "/signout")
    taken = post_form(client, "/signup", {"username": "Bob", "password": "password two"})
    assert taken.status_code == 400 and "already taken" in taken.text
    short = post_form(client, "/signup", {"username": "carol", "password": "short"})
    assert short.status_code == 400 and "8 to 256 characters" in short.text


def test_an_account_has_one_vote_per_paper(client: TestClient) -> None:
    sign_up(client)
    headers = api_headers(client)
    for _ in range(3):
        response = client.post("/api/papers/2503.10100/vote", headers=headers)
    assert response.json()["votes"] == 1
    post_form(client, "/papers/2503.10100/vote", {"action": "up"})
    assert client.get("/api/papers/2503.10100").json()["page"]["votes"] == 1
    withdrawn = client.delete("/api/papers/2503.10100/vote", headers=headers)
    assert withdrawn.json() == {"arxiv_id": "2503.10100", "voted": False, "votes": 0}


def test_votes_of_two_accounts_add_up(client: TestClient, catalog: object) -> None:
    sign_up(client, "first")
    client.post("/api/papers/2503.10100/vote", headers=api_headers(client))
    post_form(client, "/signout")
    sign_up(client, "second")
    response = client.post("/api/papers/2503.10100/vote", headers=api_headers(client))
    assert response.json()["votes"] == 2
    assert 'aria-pressed="true"' in client.get("/papers/2503.10100").text


def test_voting_on_an_unknown_paper_is_a_404(client: TestClient) -> None:
    sign_up(client)
    response = client.post("/api/papers/2501.99999/vote", headers=api_headers(client))
    assert response.status_code == 404


def test_a_visitor_voting_by_form_is_sent_to_sign_in(client: TestClient) -> None:
    response = post_form(client, "/papers/2503.10100/vote", {"next": "/?day=2025-03-14"})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin?next=")


def test_saving_to_collections_and_removing(client: TestClient) -> None:
    sign_up(client)
    saved = post_form(client, "/papers/2503.10100/save", {"new_name": "Reading list"})
    assert saved.status_code == 303
    collections = client.get("/api/collections").json()["collections"]
    assert [(c["name"], c["size"]) for c in collections] == [("Reading list", 1)]
    collection_id = collections[0]["id"]
    post_form(client, "/papers/2503.10101/save", {"collection": str(collection_id)})
    page = client.get(f"/api/collections/{collection_id}").json()
    assert sorted(card["paper"]["arxiv_id"] for card in page["listing"]["cards"]) == [
        "2503.10100",
        "2503.10101",
    ]
    post_form(client, f"/collections/{collection_id}/remove", {"arxiv_id": "2503.10100"})
    page = client.get(f"/api/collections/{collection_id}").json()
    assert [card["paper"]["arxiv_id"] for card in page["listing"]["cards"]] == ["2503.10101"]
    assert "Saved in" in client.get("/papers/2503.10101").text


def test_nobody_sees_another_accounts_collection(client: TestClient) -> None:
    sign_up(client, "owner")
    post_form(client, "/papers/2503.10100/save", {"new_name": "Private"})
    collection_id = client.get("/api/collections").json()["collections"][0]["id"]
    post_form(client, "/signout")
    assert client.get(f"/api/collections/{collection_id}").status_code == 401
    assert client.get("/api/collections").status_code == 401
    assert client.get("/collections", follow_redirects=False).headers["location"] == (
        "/signin?next=/collections"
    )
    sign_up(client, "snoop")
    assert client.get(f"/api/collections/{collection_id}").status_code == 404
    refused = post_form(client, f"/collections/{collection_id}/remove", {"arxiv_id": "2503.10100"})
    assert refused.status_code == 404


def daily_ids(client: TestClient, day: str = "2025-03-17") -> list[str]:
    cards = client.get("/api/daily", params={"day": day}).json()["listing"]["cards"]
    return [card["paper"]["arxiv_id"] for card in cards]


def test_not_interested_hides_a_paper_from_that_account_only(client: TestClient) -> None:
    sign_up(client, "picky")
    assert "2503.10102" in daily_ids(client)
    post_form(client, "/papers/2503.10102/not-interested", {"next": "/"})
    assert "2503.10102" not in daily_ids(client)
    trending = [
        c["paper"]["arxiv_id"] for c in client.get("/api/trending").json()["listing"]["cards"]
    ]
    assert "2503.10102" not in trending
    assert "2503.10102" not in [
        c["paper"]["arxiv_id"]
        for c in client.get("/api/search", params={"q": "speech"}).json()["listing"]["cards"]
    ]
    post_form(client, "/signout")
    assert "2503.10102" in daily_ids(client)
