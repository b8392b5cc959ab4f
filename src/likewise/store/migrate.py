"""Numbered schema migrations (Alembic, driven from code): bring a database to head on open.

Concurrent openers are safe: on PostgreSQL the upgrade runs under a transaction-level
advisory lock, on SQLite inside a BEGIN IMMEDIATE transaction (one writer at a time).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from likewise.store.base import StoreError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any fixed 64-bit number works; it only has to be the same in every likewise process.
_MIGRATION_LOCK = 7_125_914_236_001


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    heads = script_directory().get_heads()
    if len(heads) != 1:
        raise StoreError(f"migrations must form one numbered chain, found heads {sorted(heads)}")
    return heads[0]


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _check_known(revision: str | None, scripts: ScriptDirectory, url: str) -> None:
    if revision is None:
        return
    known = {script.revision for script in scripts.walk_revisions()}
    if revision not in known:
        raise StoreError(
            f"the database at {url} has schema revision {revision}, newer than this version "
            f"of likewise knows (head {head_revision()}); upgrade likewise"
        )


def upgrade_to_head(engine: Engine, url: str) -> None:
    """Create or migrate the schema to the newest revision; a no-op when already there."""
    scripts = script_directory()
    head = head_revision()
    with engine.connect().execution_options(sqlite_begin="deferred") as connection:
        revision = current_revision(connection)
    _check_known(revision, scripts, url)
    if revision == head:
        return
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": _MIGRATION_LOCK}
            )
        # Another process may have migrated while this one waited for the lock.
        revision = current_revision(connection)
        _check_known(revision, scripts, url)
        if revision == head:
            return
        config = _config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
