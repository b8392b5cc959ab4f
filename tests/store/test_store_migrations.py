"""Opening a store: URLs, numbered migrations, re-opening, newer schemas, concurrency."""

from __future__ import annotations

import re
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, event, text

from likewise.store import schema
from likewise.store.base import StoreError
from likewise.store.factory import normalise_url, open_store
from likewise.store.migrate import MIGRATIONS, current_revision, head_revision, upgrade_to_head


def test_migration_files_form_one_numbered_chain() -> None:
    files = sorted((MIGRATIONS / "versions").glob("*.py"))
    numbers = []
    for path in files:
        match = re.fullmatch(r"(\d{4})_[a-z0-9_]+\.py", path.name)
        assert match, f"{path.name} is not named NNNN_name.py"
        source = path.read_text(encoding="utf-8")
        assert f'revision = "{match.group(1)}"' in source
        numbers.append(int(match.group(1)))
        previous = f'"{int(match.group(1)) - 1:04d}"' if int(match.group(1)) > 1 else "None"
        assert f"down_revision = {previous}" in source, path.name
    assert numbers == list(range(1, len(numbers) + 1))
    assert head_revision() == f"{numbers[-1]:04d}"


def test_opening_a_new_database_migrates_it_to_head(store: Any) -> None:
    with store.engine.connect() as connection:
        assert current_revision(connection) == head_revision()
    assert store.dialect in {"sqlite", "postgresql"}


def test_reopening_a_migrated_database_changes_nothing(database_url: str) -> None:
    from likewise.models import Paper

    first = open_store(database_url)
    first.upsert_papers([Paper("2503.00001", "Kept")], source="test")
    first.close()
    engine = create_engine(normalise_url(database_url))
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    upgrade_to_head(engine, database_url)
    engine.dispose()
    again = open_store(database_url)

    changes = [s for s in statements if re.match(r"\s*(CREATE|ALTER|INSERT|UPDATE|DROP)", s, re.I)]
    assert changes == []
    assert again.get_paper("2503.00001") is not None
    again.close()


# Other areas' tables may use types SQLAlchemy cannot reflect (pgvector's vector); only the
# catalog's own tables are compared.
@pytest.mark.filterwarnings("ignore:Did not recognize type:sqlalchemy.exc.SAWarning")
def test_the_migrated_schema_matches_the_table_definitions(store: Any) -> None:
    # PostgreSQL's tsvector column and its index exist in the migration only.
    full_text = {"search_vector", "ix_papers_search_vector"}

    def ours(item: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
        if name in full_text:
            return False
        table = item if kind == "table" else getattr(item, "table", None)
        return table is None or table.name in schema.metadata.tables

    with store.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": ours, "compare_type": True}
        )
        differences = compare_metadata(context, schema.metadata)

    assert differences == []


def test_a_database_with_a_newer_schema_is_refused(database_url: str) -> None:
    open_store(database_url).close()
    engine = create_engine(normalise_url(database_url))
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()

    with pytest.raises(StoreError, match="newer than this version"):
        open_store(database_url)


def test_concurrent_openers_all_get_a_migrated_store(database_url: str) -> None:
    errors: list[BaseException] = []
    stores: list[Any] = []

    def open_one() -> None:
        try:
            stores.append(open_store(database_url))
        except BaseException as error:  # collected and asserted on below
            errors.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    for opened in stores:
        assert opened.count_papers() == 0
        opened.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "no database URL"),
        ("mysql://user@localhost/db", "unsupported database URL scheme 'mysql'"),
        ("::not a url::", "not a database URL"),
        ("postgresql://nobody:secret@127.0.0.1:9/none", "cannot use the database"),
    ],
)
def test_unusable_urls_raise_a_clear_store_error(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message) as raised:
        open_store(url)
    assert "secret" not in str(raised.value)


def test_a_folder_or_a_non_database_file_is_refused(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database file at all" * 100)

    with pytest.raises(StoreError, match="is a folder"):
        open_store(f"sqlite:///{tmp_path}")
    with pytest.raises(StoreError, match="cannot use the database"):
        open_store(f"sqlite:///{garbage}")


def test_postgres_urls_are_driven_by_psycopg_3() -> None:
    for url in ("postgres://u@h/db", "postgresql://u@h/db", "postgresql+psycopg2://u@h/db"):
        assert normalise_url(url).drivername == "postgresql+psycopg"
    assert normalise_url("sqlite:///x.db").drivername == "sqlite"


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    opened = open_store(f"sqlite:///{path}")
    with opened.engine.connect() as connection:
        pragmas = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        }
    opened.close()

    assert pragmas == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 30000,
        "synchronous": 1,
    }
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # persistent
