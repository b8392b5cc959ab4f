"""Recorded arXiv responses served through httpx.MockTransport (no live calls in tests)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from likewise.ingest.http import PoliteClient

DATA = Path(__file__).resolve().parents[1] / "data" / "ingest"

Route = Callable[[httpx.Request], "str | httpx.Response"]


class Recorder:
    """Serves files from tests/data/ingest chosen by a route; remembers every request."""

    def __init__(self, route: Route) -> None:
        self.route = route
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.route(request)
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(200, content=(DATA / answer).read_bytes())

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


@pytest.fixture
def recorded() -> type[Recorder]:
    """The Recorder class: ``recorded(route)`` serves the files a route names."""
    return Recorder


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def make_client() -> Callable[[Recorder], PoliteClient]:
    """A PoliteClient on recorded responses that never really sleeps."""

    def make(recorder: Recorder, retries: int = 2) -> PoliteClient:
        return PoliteClient(
            interval=3.0,
            retries=retries,
            timeout=5.0,
            transport=recorder.transport(),
            sleep=lambda seconds: None,
        )

    return make
