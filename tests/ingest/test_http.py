"""The polite client: one request per interval, retries with back-off, clear give-up."""

from __future__ import annotations

import httpx
import pytest

from likewise.ingest.http import FetchError, PoliteClient


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _client(handler: httpx.MockTransport, clock: _Clock, retries: int = 3) -> PoliteClient:
    return PoliteClient(
        interval=3.0,
        retries=retries,
        timeout=1.0,
        transport=handler,
        sleep=clock.sleep,
        clock=clock.time,
    )


def test_requests_are_spaced_by_the_interval() -> None:
    clock = _Clock()
    client = _client(httpx.MockTransport(lambda request: httpx.Response(200, text="ok")), clock)
    for _ in range(3):
        assert client.get("https://export.arxiv.org/api/query").text == "ok"
    assert clock.sleeps == [3.0, 3.0]


def test_server_errors_are_retried_with_growing_back_off_then_succeed() -> None:
    clock = _Clock()
    answers = iter([503, 500, 200])
    transport = httpx.MockTransport(lambda request: httpx.Response(next(answers), text="done"))
    response = _client(transport, clock).get("https://export.arxiv.org/api/query")
    assert response.text == "done"
    # Back-off 3 s then 6 s; each pause also covers the 3 s interval between requests.
    assert clock.sleeps == [3.0, 6.0]


def test_retry_after_is_honoured() -> None:
    clock = _Clock()
    answers = iter([httpx.Response(503, headers={"Retry-After": "20"}), httpx.Response(200)])
    _client(httpx.MockTransport(lambda request: next(answers)), clock).get("https://x.org/oai")
    assert clock.sleeps[0] == 20.0


def test_an_unreachable_host_names_the_url_after_all_retries() -> None:
    clock = _Clock()

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = _client(httpx.MockTransport(refuse), clock, retries=2)
    with pytest.raises(FetchError) as raised:
        client.get("https://export.arxiv.org/api/query", params={"id_list": "2403.01234"})
    message = str(raised.value)
    assert "https://export.arxiv.org/api/query?id_list=2403.01234" in message
    assert "cannot connect" in message and "gave up after 3 tries" in message


def test_timeouts_and_rate_limits_are_retried() -> None:
    clock = _Clock()
    calls = []

    def flaky(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise httpx.ReadTimeout("slow", request=request)
        if len(calls) == 2:
            return httpx.Response(429)
        return httpx.Response(200, text="fine")

    assert _client(httpx.MockTransport(flaky), clock).get("https://x.org/").text == "fine"
    assert len(calls) == 3


def test_client_errors_are_not_retried() -> None:
    clock = _Clock()
    calls = []

    def missing(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(404)

    with pytest.raises(FetchError, match=r"https://x.org/nothing: HTTP 404"):
        _client(httpx.MockTransport(missing), clock).get("https://x.org/nothing")
    assert len(calls) == 1
