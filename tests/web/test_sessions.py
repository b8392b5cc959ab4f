"""Sessions end at sign-out, are rotated at sign-in, and their cookie is HttpOnly + SameSite
(+ Secure behind an https base URL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from web_helpers import csrf_of, post_form, sign_up

from likewise.library import Library
from likewise.web.app import create_app
from likewise.web.security import SESSION_COOKIE


def _replay(client: TestClient, cookie: str) -> None:
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, cookie)


def test_a_cookie_saved_before_sign_out_no_longer_works(client: TestClient) -> None:
    sign_up(client, "leaver")
    saved, token = client.cookies.get(SESSION_COOKIE), csrf_of(client)
    assert saved and client.get("/api/session").json()["user"]["username"] == "leaver"
    post_form(client, "/signout")
    # Someone who copied the cookie (and its form token) before the sign-out:
    with TestClient(client.app, cookies={SESSION_COOKIE: saved}) as thief:
        headers = {"X-CSRF-Token": token, "Accept": "application/json"}
        voted = thief.post("/api/papers/2503.10100/vote", headers=headers)
        assert voted.status_code == 401
        assert thief.get("/api/session").json()["user"] is None
    assert client.get("/api/papers/2503.10100").json()["page"]["votes"] == 0


def test_signing_out_in_one_browser_leaves_the_other_signed_in(catalog: Library) -> None:
    app = create_app(catalog.settings, catalog)
    with TestClient(app) as laptop, TestClient(app) as phone:
        sign_up(laptop, "twodevices")
        post_form(phone, "/signin", {"username": "twodevices", "password": "correct horse"})
        post_form(laptop, "/signout")
        assert laptop.get("/api/session").json()["user"] is None
        assert phone.get("/api/session").json()["user"]["username"] == "twodevices"


def test_the_session_is_rotated_at_sign_in(client: TestClient) -> None:
    sign_up(client, "rotor")
    post_form(client, "/signout")
    before = client.cookies.get(SESSION_COOKIE)
    assert before
    signed_in = post_form(client, "/signin", {"username": "rotor", "password": "correct horse"})
    assert signed_in.status_code == 303
    after = client.cookies.get(SESSION_COOKIE)
    assert after and after != before
    # The pre-sign-in cookie (which an attacker could have planted) stays a visitor's.
    _replay(client, before)
    assert client.get("/api/session").json()["user"] is None
    _replay(client, after)
    assert client.get("/api/session").json()["user"]["username"] == "rotor"


def test_signing_in_again_replaces_the_browsers_session(
    client: TestClient, catalog: Library
) -> None:
    sign_up(client, "twice")
    first = client.cookies.get(SESSION_COOKIE)
    post_form(client, "/signin", {"username": "twice", "password": "correct horse"})
    second = client.cookies.get(SESSION_COOKIE)
    assert first and second and first != second
    found = catalog.accounts.repository.find_login("twice")
    assert found is not None
    assert catalog.accounts.security.count_sessions(found[0].id) == 1
    _replay(client, first)
    assert client.get("/api/session").json()["user"] is None


def _cookie_attributes(response_cookie: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in response_cookie.split(";")[1:]}


def test_the_session_cookie_is_http_only_and_same_site(client: TestClient) -> None:
    sign_up(client)
    response = post_form(client, "/signin", {"username": "reader", "password": "correct horse"})
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    attributes = _cookie_attributes(cookie)
    assert {"httponly", "samesite", "path", "max-age"} <= attributes
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in attributes  # plain http: a Secure cookie would never come back


@pytest.fixture
def https_client(catalog: Library) -> Iterator[TestClient]:
    settings = catalog.settings.with_overrides(base_url="https://papers.example.org")
    secure_library = Library.open(settings, store=catalog.store, embedder=catalog.embedding.get())
    app = create_app(settings, secure_library)
    with TestClient(app, base_url="https://testserver") as test_client:
        yield test_client


def test_the_session_cookie_is_secure_behind_an_https_base_url(https_client: TestClient) -> None:
    response = https_client.get("/")
    assert "secure" in _cookie_attributes(response.headers["set-cookie"])
    sign_up(https_client, "secured")
    assert https_client.get("/api/session").json()["user"]["username"] == "secured"
