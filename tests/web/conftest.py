"""Fixtures of the web tests: the small catalog of web_helpers.py and an app over it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from web_helpers import SCREENSHOTS, make_papers

from likewise.library import Library
from likewise.web.app import create_app


@pytest.fixture
def catalog(library: Library) -> Library:
    papers, announcements = make_papers()
    library.store.upsert_papers(papers, source="test", announcements=announcements)
    library.vectors.update_vectors()
    return library


@pytest.fixture
def client(catalog: Library) -> Iterator[TestClient]:
    app = create_app(catalog.settings, catalog)
    with TestClient(app) as test_client:
        yield test_client


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say where the browser tests left their screenshots."""
    if SCREENSHOTS.is_dir() and any(SCREENSHOTS.glob("*.png")):
        terminalreporter.write_line(f"browser screenshots: {SCREENSHOTS}")
