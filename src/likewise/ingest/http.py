"""A polite HTTP client for arXiv: one connection, one request per interval, retries.

arXiv asks API users for no more than one request every three seconds on a single
connection; 5xx, 429, time-outs and connection errors are retried with exponential back-off
(honouring Retry-After), and giving up names the URL and the last problem.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from likewise import __version__
from likewise.ingest.base import IngestError

USER_AGENT = f"likewise/{__version__} (self-hosted paper discovery; polite arXiv client)"
_MAX_RETRY_AFTER = 300.0


class FetchError(IngestError):
    """A URL could not be fetched; the message names it and says why."""


class PoliteClient:
    """GET with a minimum interval between requests and retries with back-off."""

    def __init__(
        self,
        *,
        interval: float,
        retries: int,
        timeout: float,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        backoff: float | None = None,
    ) -> None:
        self.interval = interval
        self.retries = retries
        self.backoff = max(interval, 1.0) if backoff is None else backoff
        self._sleep = sleep
        self._clock = clock
        self._last_request: float | None = None
        self._client = httpx.Client(
            transport=transport,
            timeout=timeout,
            follow_redirects=True,
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        )

    def _wait_turn(self) -> None:
        if self._last_request is not None:
            remaining = self.interval - (self._clock() - self._last_request)
            if remaining > 0:
                self._sleep(remaining)
        self._last_request = self._clock()

    def get(self, url: str, params: Mapping[str, Any] | None = None) -> httpx.Response:
        """The response to a GET, or FetchError once every retry has failed."""
        shown = str(httpx.URL(url, params=params)) if params else url
        problem = ""
        for attempt in range(self.retries + 1):
            self._wait_turn()
            retry_after = 0.0
            try:
                response = self._client.get(url, params=params)
            except httpx.TimeoutException:
                problem = "the request timed out"
            except httpx.TransportError as error:
                problem = f"cannot connect ({error or type(error).__name__})"
            else:
                status = response.status_code
                if status < 400:
                    return response
                if status != 429 and status < 500:
                    raise FetchError(f"{shown}: HTTP {status} {response.reason_phrase}")
                problem = f"HTTP {status} {response.reason_phrase}"
                retry_after = _retry_after(response)
            if attempt < self.retries:
                self._sleep(max(retry_after, self.backoff * 2**attempt))
        tries = self.retries + 1
        raise FetchError(f"{shown}: {problem} (gave up after {tries} tries)")

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _retry_after(response: httpx.Response) -> float:
    value = response.headers.get("Retry-After", "")
    try:
        return min(float(value), _MAX_RETRY_AFTER)
    except ValueError:
        return 0.0
