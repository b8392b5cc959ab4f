"""Sign-in limits: per address and account with back-off, proxy headers only from trusted
proxies, the same work for unknown and known names, and weak passwords refused."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_helpers import post_form

from likewise.library import Library
from likewise.services.errors import SignInError, SiteError, TooManyAttemptsError
from likewise.web.app import create_app


def _client_at(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, client=(address, 40000))


def _sign_in(client: TestClient, name: str, password: str, **headers: str) -> int:
    response = post_form(
        client, "/signin", {"username": name, "password": password}, headers=headers
    )
    return int(response.status_code)


@pytest.fixture
def app(catalog: Library) -> FastAPI:
    catalog.accounts.sign_up("victim", "the right password")
    return create_app(catalog.settings, catalog)


def test_fifty_wrong_passwords_do_not_lock_the_owner_out_from_elsewhere(app: FastAPI) -> None:
    with _client_at(app, "198.51.100.7") as attacker, _client_at(app, "192.0.2.10") as owner:
        statuses = [_sign_in(attacker, "victim", f"guess number {n}") for n in range(50)]
        assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
        assert _sign_in(owner, "victim", "the right password") == 303


def test_a_lock_backs_off_and_ends_without_growing_from_refused_attempts(
    catalog: Library,
) -> None:
    catalog.accounts.sign_up("patient", "the right password")
    start = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    for n in range(5):
        with pytest.raises(SignInError):
            catalog.accounts.sign_in("patient", f"wrong {n}", "203.0.113.9", now=start)
    # Locked for a minute; hammering during the lock is refused and does not extend it.
    for seconds in (1, 20, 59):
        with pytest.raises(TooManyAttemptsError, match="try again in"):
            catalog.accounts.sign_in(
                "patient",
                "the right password",
                "203.0.113.9",
                now=start + timedelta(seconds=seconds),
            )
    one_minute = start + timedelta(seconds=61)
    with pytest.raises(SignInError):
        catalog.accounts.sign_in("patient", "wrong again", "203.0.113.9", now=one_minute)
    # The next lock is twice as long, and the right password works once it ends.
    with pytest.raises(TooManyAttemptsError):
        catalog.accounts.sign_in(
            "patient", "the right password", "203.0.113.9", now=one_minute + timedelta(seconds=90)
        )
    user = catalog.accounts.sign_in(
        "patient", "the right password", "203.0.113.9", now=one_minute + timedelta(seconds=121)
    )
    assert user.username == "patient"


def test_the_back_off_grows_but_never_locks_for_more_than_fifteen_minutes(
    catalog: Library,
) -> None:
    catalog.accounts.sign_up("stubborn", "the right password")
    moment = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    step = timedelta(seconds=30)
    failures: list[datetime] = []
    while len(failures) < 15:
        try:
            catalog.accounts.sign_in("stubborn", "a wrong password", "203.0.113.20", now=moment)
        except TooManyAttemptsError:
            pass  # refused while locked: probed again half a minute later
        except SignInError:
            failures.append(moment)
        moment += step
    gaps = [later - earlier for earlier, later in itertools.pairwise(failures)]
    assert max(gaps) <= timedelta(minutes=15) + step
    assert max(gaps) >= timedelta(minutes=15)  # it did back off to the longest lock
    assert gaps[:4] == [step] * 4  # the first five were free
    user = catalog.accounts.sign_in(
        "stubborn", "the right password", "203.0.113.20", now=moment + timedelta(minutes=16)
    )
    assert user.username == "stubborn"


def test_one_address_guessing_many_names_is_limited(app: FastAPI) -> None:
    with _client_at(app, "198.51.100.8") as sprayer, _client_at(app, "192.0.2.11") as other:
        statuses = [_sign_in(sprayer, f"name{n}", "some password") for n in range(31)]
        assert statuses[:30] == [401] * 30 and statuses[30] == 429
        assert _sign_in(other, "name99", "some password") == 401


@pytest.fixture
def proxied(catalog: Library) -> Iterator[TestClient]:
    catalog.accounts.sign_up("victim", "the right password")
    settings = catalog.settings.with_overrides(trusted_proxies=("10.0.0.0/8",))
    library = Library.open(settings, store=catalog.store, embedder=catalog.embedding.get())
    with _client_at(create_app(settings, library), "10.1.2.3") as client:
        yield client


def test_clients_behind_a_trusted_proxy_are_told_apart(proxied: TestClient) -> None:
    bad = {"X-Forwarded-For": "198.51.100.50"}
    statuses = [_sign_in(proxied, "victim", f"guess {n}", **bad) for n in range(6)]
    assert statuses[-1] == 429
    good = {"X-Forwarded-For": "192.0.2.77, 10.9.9.9"}  # a second trusted hop is skipped
    assert _sign_in(proxied, "victim", "the right password", **good) == 303


def test_forwarded_headers_are_ignored_unless_the_proxy_is_trusted(app: FastAPI) -> None:
    with _client_at(app, "198.51.100.9") as spoofer:
        statuses = [
            _sign_in(spoofer, "victim", f"guess {n}", **{"X-Forwarded-For": f"192.0.2.{n}"})
            for n in range(6)
        ]
    assert statuses[-1] == 429  # a made-up header does not buy a fresh address


def test_a_malformed_trusted_proxy_setting_is_named(catalog: Library) -> None:
    settings = catalog.settings.with_overrides(trusted_proxies=("10.0.0.0/33",))
    with pytest.raises(ValueError, match="trusted_proxies"):
        create_app(settings, catalog)


class CountingHasher(PasswordHasher):
    """A real argon2 hasher that counts verifications (to see the work done, not its time)."""

    def __init__(self) -> None:
        super().__init__()
        self.verified: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verified.append(str(hash))
        return super().verify(hash, password)


def test_an_unknown_name_costs_one_argon2_verification_like_a_known_one(
    catalog: Library,
) -> None:
    catalog.accounts.sign_up("known", "the right password")
    hasher = CountingHasher()
    catalog.accounts.hasher = hasher
    for name in ("known", "nobody-here"):
        with pytest.raises(SignInError) as raised:
            catalog.accounts.sign_in(name, "a wrong password", "192.0.2.30")
        assert str(raised.value) == "wrong user name or password"
    assert len(hasher.verified) == 2
    assert all(stored.startswith("$argon2id$") for stored in hasher.verified)


@pytest.mark.parametrize(
    "password, problem",
    [
        ("12345678", "too common"),
        ("password", "too common"),
        ("PassWord1", "too common"),
        ("qwertyuiop", "too common"),
        (" " * 8, "not only spaces"),
        ("\t \n \t  \n", "not only spaces"),
        ("short", "8 to 256 characters"),
        ("weakling", "must not be the user name"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(
    catalog: Library, client: TestClient, password: str, problem: str
) -> None:
    with pytest.raises(SiteError, match=problem):
        catalog.accounts.sign_up("weakling", password)
    refused = post_form(client, "/signup", {"username": "weakling", "password": password})
    assert refused.status_code == 400 and problem in refused.text
    assert catalog.accounts.repository.find_login("weakling") is None


def test_a_decent_password_is_accepted(catalog: Library) -> None:
    assert catalog.accounts.sign_up("decent", "violet staple orbit").username == "decent"


def test_old_attempts_are_forgotten_at_the_next_sign_in(catalog: Library) -> None:
    catalog.accounts.sign_up("tidy", "the right password")
    start = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    with pytest.raises(SignInError):
        catalog.accounts.sign_in("nobody", "wrong", "203.0.113.40", now=start)
    assert (
        catalog.accounts.repository.failed_attempts_since("ip:203.0.113.40", start - timedelta(1))
        == 1
    )
    catalog.accounts.sign_in(
        "tidy", "the right password", "192.0.2.40", now=start + timedelta(hours=3)
    )
    assert (
        catalog.accounts.repository.failed_attempts_since("ip:203.0.113.40", start - timedelta(1))
        == 0
    )
