"""Open the catalog a database URL names (SQLite file or PostgreSQL), migrated to head."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from likewise.store.base import CatalogStore, StoreError
from likewise.store.catalog import SqlCatalogStore
from likewise.store.migrate import upgrade_to_head
from likewise.store.sqlite import SqliteCatalogStore, create_sqlite_engine

_POSTGRES_SCHEMES = {"postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2"}


def normalise_url(url: str) -> URL:
    """The SQLAlchemy URL to use: PostgreSQL always through psycopg 3."""
    if not url or not url.strip():
        raise StoreError("no database URL given (expected sqlite:///path or postgresql://...)")
    try:
        parsed = make_url(url.strip())
    except ArgumentError as error:
        raise StoreError(f"not a database URL: {url!r} ({error})") from error
    if parsed.drivername in _POSTGRES_SCHEMES:
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername in {"sqlite", "sqlite+pysqlite"}:
        return parsed.set(drivername="sqlite")
    raise StoreError(
        f"unsupported database URL scheme {parsed.drivername!r} in "
        f"{parsed.render_as_string(hide_password=True)}: use sqlite:///path or postgresql://..."
    )


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    in_memory = database in {"", ":memory:"}
    if not in_memory:
        path = Path(database).expanduser()
        if path.is_dir():
            raise StoreError(f"{path} is a folder, not a SQLite database file")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"cannot create the folder for {path}: {error}") from error
        url = url.set(database=str(path))
    return create_sqlite_engine(url.render_as_string(hide_password=False), in_memory=in_memory)


def _postgres_refinement(name: str) -> Any:
    """store/postgres.py, when present, refines the PostgreSQL engine and store."""
    if importlib.util.find_spec("likewise.store.postgres") is None:
        return None
    return getattr(importlib.import_module("likewise.store.postgres"), name, None)


def _postgres_engine(url: URL) -> Engine:
    refined = _postgres_refinement("create_postgres_engine")
    if refined is not None:
        engine: Engine = refined(url)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _store_class(dialect: str) -> Any:
    if dialect == "sqlite":
        return SqliteCatalogStore
    return _postgres_refinement("PostgresCatalogStore") or SqlCatalogStore


def open_store(url: str) -> CatalogStore:
    """Open (creating and migrating to head if needed) the catalog at this URL."""
    parsed = normalise_url(url)
    shown = parsed.render_as_string(hide_password=True)
    sqlite = parsed.drivername == "sqlite"
    engine = _sqlite_engine(parsed) if sqlite else _postgres_engine(parsed)
    try:
        upgrade_to_head(engine, shown)
    except StoreError:
        engine.dispose()
        raise
    except DBAPIError as error:
        engine.dispose()
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise StoreError(f"cannot use the database at {shown}: {reason}") from error
    except SQLAlchemyError as error:
        engine.dispose()
        raise StoreError(f"cannot use the database at {shown}: {error}") from error
    store: CatalogStore = _store_class(engine.dialect.name)(engine)
    return store
