"""The clients of bench/load.py: readers, writers (votes, saves, subscribes) and the static
baseline, as httpx async loops that record latencies, errors and what was acknowledged."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

VOTE_POOL = 40  # writers contend on few papers, so lost or doubled votes would show
# Idle pooled connections are dropped before uvicorn's keep-alive timeout (5 s) closes them:
# with equal timeouts a request can go out on a socket the server is closing just then.
KEEPALIVE_EXPIRY = 2.0


def limits(clients: int) -> httpx.Limits:
    return httpx.Limits(
        max_connections=clients,
        max_keepalive_connections=clients,
        keepalive_expiry=KEEPALIVE_EXPIRY,
    )


@dataclass
class Run:
    """What one load run did and measured."""

    seconds: float
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])  # names unique per run
    readers: list[float] = field(default_factory=list)  # latencies (s) of answered requests
    writers: list[float] = field(default_factory=list)
    static: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    votes_sent: int = 0
    expected_votes: dict[str, int] = field(default_factory=dict)
    stored_votes: dict[str, int] = field(default_factory=dict)
    saves_sent: int = 0
    saved: dict[int, set[str]] = field(default_factory=dict)  # collection id -> papers
    stored_saves: dict[int, set[str]] = field(default_factory=dict)
    subscribed: set[str] = field(default_factory=set)
    subscribe_limited: int = 0
    worker_restarts: int = 0  # "Child process ... died" in the server's log
    kept_log: str = ""  # a copy of the server's log, kept when something failed
    stored_subscribers: set[str] = field(default_factory=set)
    ingest: dict[str, Any] = field(default_factory=dict)

    @property
    def lost_votes(self) -> int:
        return sum(
            max(0, want - self.stored_votes.get(key, 0))
            for key, want in self.expected_votes.items()
        )

    @property
    def doubled_votes(self) -> int:
        return sum(
            max(0, have - self.expected_votes.get(key, 0))
            for key, have in self.stored_votes.items()
        )

    @property
    def lost_saves(self) -> int:
        return sum(
            len(want - self.stored_saves.get(key, set())) for key, want in self.saved.items()
        )

    @property
    def lost_subscribers(self) -> int:
        return len(self.subscribed - self.stored_subscribers)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _timed(
    client: httpx.AsyncClient, run: Run, bucket: list[float], method: str, url: str, **options: Any
) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response = await client.request(method, url, **options)
    except httpx.HTTPError as error:
        run.errors.append(f"{method} {url}: {type(error).__name__} {error}")
        return None
    bucket.append(time.perf_counter() - started)
    return response


async def _reader(
    client: httpx.AsyncClient, run: Run, catalog: dict[str, Any], deadline: float, seed: int
) -> None:
    chooser = random.Random(seed)
    while time.perf_counter() < deadline:
        kind = chooser.randrange(8)
        if kind == 0:
            url = f"/?day={chooser.choice(catalog['days'])}"
        elif kind == 1:
            url = f"/papers/{chooser.choice(catalog['ids'])}"
        elif kind == 2:
            words = " ".join(chooser.choice(catalog["titles"]).split()[:4])
            url = "/search?" + str(httpx.QueryParams(q=words))
        elif kind == 3:
            url = f"/api/papers/{chooser.choice(catalog['ids'][:VOTE_POOL])}"
        elif kind == 4:
            url = "/api/daily?span=week"
        elif kind == 5:
            url = "/trending"
        elif kind == 6:
            url = "/authors/" + httpx.URL(chooser.choice(catalog["authors"])).raw_path.decode()
        else:
            url = "/feeds/daily.atom"
        response = await _timed(client, run, run.readers, "GET", url)
        if response is not None and response.status_code != 200:
            run.errors.append(f"GET {url}: {response.status_code} {response.text[:120]}")


async def _sign_up(client: httpx.AsyncClient, run: Run, number: int) -> dict[str, str] | None:
    """A new account for writer `number`; the headers its requests carry (None: refused)."""
    json_accept = {"Accept": "application/json"}
    first = await client.get("/api/session")
    signed = await client.post(
        "/signup",
        data={
            "username": f"w{run.tag}{number}",
            "password": "a long load password",
            "csrf_token": first.json()["csrf_token"],
        },
        headers=json_accept,
    )
    if signed.status_code != 201:
        run.errors.append(f"signup w{run.tag}{number}: {signed.status_code} {signed.text[:120]}")
        return None
    return {**json_accept, "X-CSRF-Token": signed.json()["csrf_token"]}


async def _writer(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    run: Run,
    catalog: dict[str, Any],
    deadline: float,
    number: int,
    state: dict[tuple[int, str], bool],
    min_actions: int,
) -> None:
    chooser = random.Random(1000 + number)
    pool = catalog["ids"][:VOTE_POOL]
    sent = actions = 0
    # A few actions even past the deadline, so that a starved machine still checks some.
    while time.perf_counter() < deadline or actions < min_actions:
        actions += 1
        arxiv_id = chooser.choice(pool)
        action = chooser.randrange(10)
        if action < 6:  # vote or withdraw (sometimes twice in a row: idempotent)
            up = chooser.random() < 0.6
            for _ in range(2 if chooser.random() < 0.2 else 1):
                method = "POST" if up else "DELETE"
                url = f"/api/papers/{arxiv_id}/vote"
                response = await _timed(client, run, run.writers, method, url, headers=headers)
                run.votes_sent += 1
                if response is None:
                    state.pop((number, arxiv_id), None)  # unknown outcome: excluded below
                elif response.status_code == 200:
                    state[(number, arxiv_id)] = up
                else:
                    run.errors.append(f"{method} {url}: {response.status_code}")
        elif action < 9:
            url = f"/api/papers/{arxiv_id}/save"
            response = await _timed(
                client,
                run,
                run.writers,
                "POST",
                url,
                headers=headers,
                data={"new_name": f"load {number}"},
            )
            run.saves_sent += 1
            if response is not None and response.status_code == 200:
                collection = response.json()["collection"]["id"]
                run.saved.setdefault(collection, set()).add(arxiv_id)
            elif response is not None:
                run.errors.append(f"POST {url}: {response.status_code} {response.text[:120]}")
        else:
            sent += 1
            email = f"w{run.tag}{number}.{sent}@example.org"
            response = await _timed(
                client,
                run,
                run.writers,
                "POST",
                "/subscribe",
                headers=headers,
                data={"email": email},
            )
            if response is not None and response.status_code == 200:
                run.subscribed.add(email)
            elif response is not None and response.status_code == 429:
                run.subscribe_limited += 1  # the subscribe rate limit at work, as designed
            elif response is not None:
                run.errors.append(f"POST /subscribe: {response.status_code}")


async def drive_static(base: str, run: Run, clients: int, seconds: float) -> None:
    deadline = time.perf_counter() + seconds
    async with httpx.AsyncClient(base_url=base, limits=limits(clients), timeout=60) as client:

        async def loop() -> None:
            while time.perf_counter() < deadline:
                response = await _timed(client, run, run.static, "GET", "/healthz")
                if response is not None and response.status_code != 200:
                    run.errors.append(f"GET /healthz: {response.status_code}")

        await asyncio.gather(*(loop() for _ in range(clients)))


async def drive_mixed(
    base: str,
    run: Run,
    catalog: dict[str, Any],
    readers: int,
    writers: int,
    state: dict[tuple[int, str], bool],
    min_actions: int = 0,
) -> None:
    """Writers sign up first (argon2 is slow on purpose), then the clock starts for all."""
    accounts = [
        httpx.AsyncClient(base_url=base, limits=limits(1), timeout=60) for _ in range(writers)
    ]
    try:
        signed = await asyncio.gather(*(_sign_up(c, run, n) for n, c in enumerate(accounts)))
        deadline = time.perf_counter() + run.seconds
        async with httpx.AsyncClient(base_url=base, limits=limits(readers), timeout=60) as client:
            await asyncio.gather(
                *(_reader(client, run, catalog, deadline, seed) for seed in range(readers)),
                *(
                    _writer(account, headers, run, catalog, deadline, n, state, min_actions)
                    for n, (account, headers) in enumerate(zip(accounts, signed, strict=True))
                    if headers is not None
                ),
            )
    finally:
        for account in accounts:
            await account.aclose()
