"""Durable state of embedding-model upgrades: the fitted map, which model serves, who is
re-embedding (a lease), and counts and deletion of a model's stored vectors.

One `model_upgrades` row per upgrade (migration 0010). A partial unique index lets at most
one be `running`; the newest `switched` row names the catalog's serving model.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    Column,
    ColumnElement,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    and_,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from likewise.store import schema

RUNNING, SWITCHED, CANCELLED = "running", "switched", "cancelled"

metadata = MetaData()

model_upgrades = Table(
    "model_upgrades",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("old_embedder", Text, nullable=False),
    Column("old_model_id", Text, nullable=False),
    Column("new_embedder", Text, nullable=False),
    Column("new_model_id", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("map", LargeBinary, nullable=False),  # index/orthogonal_map.py's .npz blob
    Column("sample_size", Integer, nullable=False),
    Column("alignment", Float, nullable=False),  # mean cosine on held-out sample pairs
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("worker", String(64)),  # the process re-embedding, while its lease lasts
    Column("heartbeat_at", DateTime(timezone=True)),
    sqlite_autoincrement=True,
)
Index(
    "ux_model_upgrades_running",
    model_upgrades.c.state,
    unique=True,
    sqlite_where=model_upgrades.c.state == RUNNING,
    postgresql_where=model_upgrades.c.state == RUNNING,
)


class UpgradeInProgressError(RuntimeError):
    """Another upgrade is running; the message names it."""


@dataclass(frozen=True, slots=True)
class ModelUpgrade:
    id: int
    old_embedder: str
    old_model_id: str
    new_embedder: str
    new_model_id: str
    state: str
    map: bytes
    sample_size: int
    alignment: float
    started_at: datetime
    finished_at: datetime | None
    worker: str | None
    heartbeat_at: datetime | None


class ModelUpgradeRepository:
    """Reads and writes `model_upgrades`, and the per-model counts of the vectors table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            connection = connection.execution_options(sqlite_begin="deferred")
            with connection.begin():
                yield connection

    # -- upgrades -------------------------------------------------------------------------------
    def running(self) -> ModelUpgrade | None:
        return self._one(model_upgrades.c.state == RUNNING)

    def serving(self) -> ModelUpgrade | None:
        """The newest switched upgrade: its new model serves the catalog."""
        return self._one(model_upgrades.c.state == SWITCHED)

    def history(self) -> list[ModelUpgrade]:
        with self._reading() as connection:
            rows = connection.execute(select(model_upgrades).order_by(model_upgrades.c.id)).all()
        return [ModelUpgrade(**row._mapping) for row in rows]

    def start(
        self,
        *,
        old: tuple[str, str],
        new: tuple[str, str],
        map_blob: bytes,
        sample_size: int,
        alignment: float,
        now: datetime,
    ) -> ModelUpgrade:
        """Record a running upgrade from old to new, each (embedder name, model id)."""
        values = {
            "old_embedder": old[0],
            "old_model_id": old[1],
            "new_embedder": new[0],
            "new_model_id": new[1],
            "state": RUNNING,
            "map": map_blob,
            "sample_size": sample_size,
            "alignment": alignment,
            "started_at": now,
        }
        try:
            with self.engine.begin() as connection:
                connection.execute(model_upgrades.insert().values(**values))
        except IntegrityError as error:
            held = self.running()
            name = held.new_embedder if held else "another model"
            raise UpgradeInProgressError(f"an upgrade to {name} is already running") from error
        started = self.running()
        assert started is not None
        return started

    def claim(self, upgrade_id: int, worker: str, now: datetime, lease: timedelta) -> bool:
        """Take (or renew) the re-embedding lease: free, expired, or already this worker's."""
        table = model_upgrades.c
        free = (
            (table.worker.is_(None)) | (table.heartbeat_at < now - lease) | (table.worker == worker)
        )
        with self.engine.begin() as connection:
            result = connection.execute(
                update(model_upgrades)
                .where(and_(table.id == upgrade_id, table.state == RUNNING, free))
                .values(worker=worker, heartbeat_at=now)
            )
        return bool(result.rowcount)

    def release(self, upgrade_id: int, worker: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(model_upgrades)
                .where(and_(model_upgrades.c.id == upgrade_id, model_upgrades.c.worker == worker))
                .values(worker=None, heartbeat_at=None)
            )

    def finish(self, upgrade_id: int, state: str, now: datetime) -> bool:
        """Move a running upgrade to switched or cancelled; False if it was not running."""
        with self.engine.begin() as connection:
            result = connection.execute(
                update(model_upgrades)
                .where(and_(model_upgrades.c.id == upgrade_id, model_upgrades.c.state == RUNNING))
                .values(state=state, finished_at=now, worker=None, heartbeat_at=None)
            )
        return bool(result.rowcount)

    def _one(self, condition: ColumnElement[bool]) -> ModelUpgrade | None:
        query = select(model_upgrades).where(condition).order_by(model_upgrades.c.id.desc())
        with self._reading() as connection:
            row = connection.execute(query.limit(1)).first()
        return None if row is None else ModelUpgrade(**row._mapping)

    # -- vectors per model ----------------------------------------------------------------------
    def fresh_vector_count(self, model_id: str) -> int:
        """Papers whose stored vector of the model matches their current text."""
        vectors, papers = schema.vectors, schema.papers
        query = (
            select(func.count())
            .select_from(vectors.join(papers, papers.c.key == vectors.c.paper_key))
            .where(
                and_(
                    vectors.c.model_id == model_id, vectors.c.content_hash == papers.c.content_hash
                )
            )
        )
        with self._reading() as connection:
            return int(connection.scalar(query) or 0)

    def vector_counts(self) -> dict[str, int]:
        """Stored vectors per model id."""
        query = select(schema.vectors.c.model_id, func.count()).group_by(schema.vectors.c.model_id)
        with self._reading() as connection:
            return {str(model): int(count) for model, count in connection.execute(query).all()}

    def delete_vectors(self, model_id: str) -> int:
        """Drop every stored vector of the model (and its pgvector rows); returns how many."""
        with self.engine.begin() as connection:
            deleted = connection.execute(
                delete(schema.vectors).where(schema.vectors.c.model_id == model_id)
            ).rowcount
            if connection.dialect.name == "postgresql":
                has_table = connection.scalar(text("SELECT to_regclass('vector_index')"))
                if has_table is not None:
                    connection.execute(
                        text("DELETE FROM vector_index WHERE model_id = :model"),
                        {"model": model_id},
                    )
        return int(deleted or 0)
