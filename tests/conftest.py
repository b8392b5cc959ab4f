"""Shared fixtures: a fresh catalog per test on the backend under test, and the shared data.

LIKEWISE_TEST_BACKEND=sqlite (default) or postgres selects the backend. On PostgreSQL the
suite starts one real server (pgserver: PostgreSQL 16 + pgvector) and gives every test its
own database; tests that never touch a database run only in the SQLite pass, since the
second pass would repeat them unchanged.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from likewise.embed.fake import FakeEmbedder
from likewise.settings import Settings

BACKEND = os.environ.get("LIKEWISE_TEST_BACKEND", "sqlite")
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"
_DATABASE_FIXTURES = {"database_url", "store", "library"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if BACKEND != "postgres":
        return
    skip = pytest.mark.skip(reason="backend-independent: runs in the SQLite pass only")
    for item in items:
        if not _DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared data not found at {SHARED_DATA} (clone the repo beside ../shared)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    # pgserver asks platformdirs for a runtime folder at import; without XDG_RUNTIME_DIR
    # that warns (an error here), so give it a private one.
    if not os.environ.get("XDG_RUNTIME_DIR"):
        os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="likewise-runtime-")
    import pgserver

    folder = Path(tempfile.mkdtemp(prefix="likewise-pg-"))
    server = pgserver.get_server(folder, cleanup_mode="stop")
    try:
        server.psql("CREATE EXTENSION IF NOT EXISTS vector;")
        # A throwaway test server needs no durability; without fsync each test's
        # CREATE DATABASE and migrations take about half the time.
        server.psql(
            "ALTER SYSTEM SET fsync = off; ALTER SYSTEM SET synchronous_commit = off; "
            "ALTER SYSTEM SET full_page_writes = off;"
        )
        server.psql("SELECT pg_reload_conf();")
        yield server
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


_database_numbers = itertools.count(1)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A brand-new empty database on the backend under test."""
    if BACKEND == "postgres":
        server = request.getfixturevalue("postgres_server")
        name = f"likewise_test_{os.getpid()}_{next(_database_numbers)}"
        server.psql(f"CREATE DATABASE {name};")
        from sqlalchemy.engine import make_url

        # get_uri() names the default database and a socket folder (?host=/tmp/...) that
        # itself contains slashes; swap only the database name.
        url = make_url(server.get_uri()).set(drivername="postgresql+psycopg", database=name)
        return url.render_as_string(hide_password=False)
    return f"sqlite:///{tmp_path / 'likewise.db'}"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(home=tmp_path / "home", database_url=database_url, embedder="fake")


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def store(database_url: str) -> Iterator[Any]:
    from likewise.store.factory import open_store

    opened = open_store(database_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def library(settings: Settings, store: Any, fake_embedder: FakeEmbedder) -> Iterator[Any]:
    from likewise.library import Library

    settings.home.mkdir(parents=True, exist_ok=True)
    opened = Library.open(settings, store=store, embedder=fake_embedder)
    yield opened
