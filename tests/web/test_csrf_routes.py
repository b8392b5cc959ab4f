"""CSRF on every state-changing route, enumerated from the app itself (a new route cannot slip
through): a missing, a wrong and a replayed (another live session's) token are all refused."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from web_helpers import csrf_of, post_form, sign_up

from likewise.library import Library
from likewise.web.app import create_app

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# Authorised by their own signed link instead (RFC 8058 one-click unsubscribe).
EXPECTED_EXEMPT = {("POST", "/subscriptions/unsubscribe/{token}")}


def _routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI's included routers
        if included is not None:
            yield from _routes(included.routes)
        elif isinstance(route, APIRoute):
            yield route


def state_changing_routes(app: FastAPI) -> list[tuple[str, str, bool]]:
    """(method, path template, exempt) for every unsafe method of every route."""
    found = []
    for route in _routes(app.routes):
        exempt = bool(getattr(route.endpoint, "likewise_csrf_exempt", False))
        for method in sorted(route.methods & UNSAFE):
            found.append((method, route.path, exempt))
    return found


@dataclass
class World:
    app: FastAPI
    owner: TestClient
    other: TestClient
    values: dict[str, str]

    def url(self, template: str) -> str:
        def fill(match: re.Match[str]) -> str:
            return self.values[match.group(1).split(":")[0]]

        return re.sub(r"\{([^}]+)\}", fill, template)


@pytest.fixture
def world(catalog: Library) -> Iterator[World]:
    app = create_app(catalog.settings, catalog)
    with TestClient(app) as owner, TestClient(app) as other:
        sign_up(owner, "owner")
        post_form(owner, "/papers/2503.10100/save", {"new_name": "Mine"})
        collection_id = owner.get("/api/collections").json()["collections"][0]["id"]
        sign_up(other, "other")
        subscriber = catalog.digests.add_subscriber("owner@example.org", [("category", "cs.CL")])
        token = catalog.digests.subscriber_links(subscriber).manage.rsplit("/", 1)[1]
        values = {"arxiv_id": "2503.10100", "collection_id": str(collection_id), "token": token}
        values["entry_id"] = "1"  # /library/entries/{entry_id}: none needed to exist
        yield World(app, owner, other, values)


def _send(client: TestClient, method: str, url: str, token: str | None, place: str) -> Any:
    headers = {"accept": "application/json"}
    data: dict[str, str] = {"next": "/", "name": "x", "arxiv_id": "2503.10100"}
    if token is not None and place == "header":
        headers["X-CSRF-Token"] = token
    if token is not None and place == "form":
        data["csrf_token"] = token
    if method == "DELETE":
        return client.request(method, url, headers=headers, follow_redirects=False)
    return client.request(method, url, data=data, headers=headers, follow_redirects=False)


def test_the_app_lists_its_state_changing_routes_and_only_one_is_exempt(catalog: Library) -> None:
    routes = state_changing_routes(create_app(catalog.settings, catalog))
    assert len(routes) >= 19
    assert {(method, path) for method, path, exempt in routes if exempt} == EXPECTED_EXEMPT


def test_every_state_change_refuses_a_missing_wrong_or_replayed_token(world: World) -> None:
    tried = refused = 0
    for method, template, exempt in state_changing_routes(world.app):
        if exempt:
            continue
        url = world.url(template)
        replayed = csrf_of(world.other)  # valid, but for another live session
        cases = [(None, "form"), ("x" * 32, "header"), ("x" * 32, "form")]
        cases += [(replayed, "header"), (replayed, "form")]
        for token, place in cases:
            response = _send(world.owner, method, url, token, place)
            tried += 1
            if response.status_code == 403 and "CSRF" in response.text:
                refused += 1
            else:
                status = response.status_code
                pytest.fail(f"{method} {template} with {token!r} in {place}: {status}")
        # The same request with the session's own token gets past the check (so the refusals
        # above came from the token alone).
        allowed = _send(world.owner, method, url, csrf_of(world.owner), "header")
        assert allowed.status_code != 403, (method, template, allowed.text[:200])
        if template == "/signout":
            sign_up_again = post_form(
                world.owner, "/signin", {"username": "owner", "password": "correct horse"}
            )
            assert sign_up_again.status_code == 303
    assert tried == refused and tried >= 18 * 5
    print(f"CSRF: {refused} of {tried} forged requests refused")
