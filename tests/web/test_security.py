"""Sessions, CSRF, size limits, log-in rate limiting, and "never a 500" on hostile input."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from web_helpers import api_headers, csrf_of, post_form, sign_up

from likewise.web.security import SESSION_COOKIE, safe_next


def test_a_form_post_without_the_csrf_token_is_refused(client: TestClient) -> None:
    csrf_of(client)  # the visitor has a session
    response = client.post("/signup", data={"username": "mallory", "password": "password123"})
    assert response.status_code == 403
    assert "CSRF" in response.text
    assert (
        post_form(client, "/signin", {"username": "mallory", "password": "password123"}).status_code
        == 401
    )  # the account was never created


def test_a_json_post_with_a_wrong_token_header_is_refused(client: TestClient) -> None:
    sign_up(client)
    response = client.post("/api/papers/2503.10100/vote", headers={"X-CSRF-Token": "guess"})
    assert response.status_code == 403
    assert client.get("/api/papers/2503.10100").json()["page"]["votes"] == 0


def test_pages_forbid_foreign_scripts_framing_and_sniffing(client: TestClient) -> None:
    headers = client.get("/").headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    cookie = headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_tampered_session_cookie_is_ignored(client: TestClient) -> None:
    sign_up(client)
    cookie = client.cookies.get(SESSION_COOKIE)
    assert cookie
    client.cookies.set(SESSION_COOKIE, cookie[:-3] + "abc")
    assert client.get("/api/session").json()["user"] is None


def test_signing_in_changes_the_csrf_token(client: TestClient) -> None:
    before = csrf_of(client)
    sign_up(client)
    assert csrf_of(client) != before


def test_oversized_bodies_and_query_strings_are_refused(client: TestClient) -> None:
    response = client.post(
        "/signin",
        content=b"x" * 100_000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert client.get("/search", params={"q": "a" * 5000}).status_code == 414


def test_a_streamed_body_without_length_is_cut_off_at_the_limit(client: TestClient) -> None:
    chunks = iter([b"username=" + b"x" * 40_000, b"y" * 40_000])
    response = client.post(
        "/signin", content=chunks, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413


def test_repeated_failed_sign_ins_are_rate_limited(client: TestClient) -> None:
    sign_up(client, "victim", "the right password")
    post_form(client, "/signout")
    statuses = [
        post_form(client, "/signin", {"username": "victim", "password": f"wrong {n}"}).status_code
        for n in range(6)
    ]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    # Even the right password waits out the lock-out.
    locked = post_form(client, "/signin", {"username": "victim", "password": "the right password"})
    assert locked.status_code == 429
    assert "too many failed sign-ins" in locked.text


def test_sign_in_errors_do_not_say_whether_the_name_exists(client: TestClient) -> None:
    sign_up(client, "known", "a fine password")
    post_form(client, "/signout")
    unknown = post_form(client, "/signin", {"username": "unknown", "password": "whatever1"})
    wrong = post_form(client, "/signin", {"username": "known", "password": "whatever1"})
    assert unknown.status_code == wrong.status_code == 401
    assert "wrong user name or password" in unknown.text and "wrong user name" in wrong.text


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/papers/2503.10100", "/papers/2503.10100"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
    ],
)
def test_redirects_after_forms_stay_on_this_site(target: str, expected: str) -> None:
    assert safe_next(target) == expected


@pytest.mark.parametrize(
    "url",
    [
        "/papers/..%2F..%2Fetc%2Fpasswd",
        "/papers/%00",
        "/papers/" + "9" * 79,
        "/authors/%3Cscript%3E",
        "/categories/%27%20OR%201%3D1",
        "/api/search?q=%00",
        "/api/search?q=graphs&author=%00&category=cs.%00",
        "/authors/a%00b",
        "/search?q=%27%3B%20DROP%20TABLE%20papers%3B--",
        "/api/collections/abc",
        "/feeds/search.atom",
        "/?day=0001-01-01",
        "/?day=9999-12-31&span=month",
    ],
)
def test_hostile_input_gets_a_4xx_or_a_page_never_a_500(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code < 500, (url, response.text[:300])


def test_nul_characters_in_forms_are_refused(client: TestClient) -> None:
    response = post_form(client, "/signin", {"username": "a\x00b", "password": "whatever1"})
    assert response.status_code == 400
    sign_up(client)
    response = post_form(client, "/papers/2503.10100/save", {"new_name": "x\x00y"})
    assert response.status_code == 400


def test_the_api_rejects_state_changes_from_visitors(client: TestClient) -> None:
    response = client.post("/api/papers/2503.10100/vote", headers=api_headers(client))
    assert response.status_code == 401
    assert "sign in" in response.json()["detail"]
