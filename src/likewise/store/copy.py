"""Copy a whole catalog (every table, found by reflection) into an empty database and verify it.

Used by `likewise migrate-store`: SQLite to PostgreSQL in one target transaction, so a failure
leaves the target without any copied rows. Each table is verified by row count and by an
order-independent checksum (the sum of per-row SHA-256 digests) computed on both sides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pgvector.sqlalchemy  # noqa: F401  (teaches reflection PostgreSQL's `vector` type)
from sqlalchemy import MetaData, Table, func, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.types import DateTime, String

from likewise.index.pgvector_index import PgvectorIndex
from likewise.store.base import CatalogStore
from likewise.store.copy_checksum import (
    CHECKSUM_BITS,
    CopyError,
    as_utc,
    row_digest,
    table_digest,
    verify_copy,
)
from likewise.store.factory import normalise_url, open_store

# Bookkeeping that each database keeps for itself, and SQLite's full-text shadow tables
# (PostgreSQL derives its own full-text column from the copied papers).
_NOT_COPIED = {
    "alembic_version",
    "sqlite_sequence",
    "sqlite_stat1",
    "sqlite_stat4",
    "search_index_state",
}
# A SQLite target rebuilds these from the papers (store/sqlite.py: refresh_search_index).
_DERIVED_ON_SQLITE = ("paper_authors",)
BATCH_SIZE = 2_000
VECTOR_BATCH_SIZE = 50_000

Progress = Callable[[str, int, int], None]


@dataclass(slots=True)
class TableReport:
    name: str
    rows: int
    checksum: str


@dataclass(slots=True)
class CopyReport:
    tables: list[TableReport] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # source-only tables, e.g. SQLite FTS5
    vector_models: dict[str, int] = field(default_factory=dict)  # model -> vectors indexed
    already_copied: bool = False  # an earlier run (killed after its commit) made this copy

    @property
    def total_rows(self) -> int:
        return sum(table.rows for table in self.tables)


def copy_catalog(
    source_url: str,
    target_url: str,
    *,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> CopyReport:
    """Copy every table of the source catalog into the empty target catalog, then verify."""
    _check_source_exists(source_url)
    # Opening migrates both to the same head revision: the same tables and columns exist.
    source = open_store(source_url)
    try:
        target = open_store(target_url)
        try:
            _complete_derived_tables(source)
            report = _copy_all(source.engine, target.engine, batch_size, progress)
            # A SQLite target derives its full-text index and author rows from the papers.
            _complete_derived_tables(target)
            return report
        finally:
            target.close()
    finally:
        source.close()


def _check_source_exists(url: str) -> None:
    parsed = normalise_url(url)
    if parsed.drivername != "sqlite":
        return
    database = parsed.database or ""
    if database in {"", ":memory:"}:
        raise CopyError("the source must be a SQLite file")
    if not Path(database).expanduser().is_file():
        raise CopyError(f"the source catalog {database} does not exist")


def _complete_derived_tables(store: CatalogStore) -> None:
    # SQLite indexes authors and full text after ingest batches; catch up before copying.
    refresh = getattr(store, "refresh_search_index", None)
    if refresh is not None:
        refresh()


def _copy_all(
    source: Engine, target: Engine, batch_size: int, progress: Progress | None
) -> CopyReport:
    source_tables = _reflect(source)
    target_tables = _reflect(target)
    report = CopyReport()
    report.skipped = sorted(name for name in source_tables if name not in target_tables)
    if target.dialect.name == "sqlite":
        for name in _DERIVED_ON_SQLITE:
            target_tables.pop(name, None)
    order = [table for table in _in_dependency_order(target) if table in target_tables]
    order = [table for table in order if table in source_tables]
    name = ""
    try:
        with source.connect() as reading, target.begin() as writing:
            if _holds_copy(reading, writing, source_tables, target_tables, order, report):
                return report
            _check_empty(writing, target_tables, order)
            for name in order:
                report.tables.append(
                    _copy_table(
                        reading,
                        writing,
                        source_tables[name],
                        target_tables[name],
                        batch_size,
                        progress,
                    )
                )
            if writing.dialect.name == "postgresql":
                _advance_sequences(writing, [target_tables[name] for name in order])
                if "vector_index" in target_tables and "vectors" in target_tables:
                    report.vector_models = _index_vectors(writing, target_tables["vectors"])
    except SQLAlchemyError as error:
        where = f" in table {name}" if name else ""
        raise CopyError(
            f"copy failed{where}, the target was left unchanged: {_short(error)}"
        ) from error
    return report


def _short(error: SQLAlchemyError) -> str:
    """The database's own first line of the error, without the statement and the rows that
    SQLAlchemy appends (kilobytes of parameters on a bulk insert)."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines() or [type(cause).__name__]
    line = lines[0]
    return line if len(line) <= 200 else line[:197] + "..."


def _reflect(engine: Engine) -> dict[str, Table]:
    skipped = _NOT_COPIED | _virtual_tables(engine)
    metadata = MetaData()
    metadata.reflect(bind=engine, only=lambda name, _: name not in skipped)
    return dict(metadata.tables)


def _virtual_tables(engine: Engine) -> set[str]:
    """SQLite's virtual tables (the FTS5 index) and the shadow tables that store them."""
    if engine.dialect.name != "sqlite":
        return set()
    with engine.connect() as connection:
        names = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND sql LIKE 'CREATE VIRTUAL TABLE%'"
        ).scalars()
        virtual = set(names)
    shadows = ("data", "idx", "docsize", "config", "content")
    return virtual | {f"{name}_{suffix}" for name in virtual for suffix in shadows}


def _in_dependency_order(engine: Engine) -> list[str]:
    metadata = MetaData()
    skipped = _NOT_COPIED | _virtual_tables(engine)
    metadata.reflect(bind=engine, only=lambda name, _: name not in skipped)
    return [table.name for table in metadata.sorted_tables]


def _check_empty(connection: Connection, tables: Mapping[str, Table], order: list[str]) -> None:
    for name in [*order, "vector_index"]:
        if name not in tables:
            continue
        rows = connection.execute(select(func.count()).select_from(tables[name])).scalar_one()
        if rows:
            raise CopyError(
                f"the target already holds {rows} rows in {name}; migrate-store copies into an "
                "empty database (create a new one, or drop this one first)"
            )


def _holds_copy(
    reading: Connection,
    writing: Connection,
    source_tables: Mapping[str, Table],
    target_tables: Mapping[str, Table],
    order: list[str],
    report: CopyReport,
) -> bool:
    """Whether the target already holds exactly the source (a rerun after a run killed
    between its commit and its report): then it is verified again, and not refused."""
    if "papers" not in order or not _count(writing, target_tables["papers"]):
        return False
    tables = []
    for name in order:
        columns = _copied_columns(source_tables[name], target_tables[name])
        rows, checksum = table_digest(reading, source_tables[name], columns)
        if (rows, checksum) != table_digest(writing, target_tables[name], columns):
            return False
        tables.append(TableReport(name, rows, f"{checksum:032x}"))
    report.tables, report.already_copied = tables, True
    return True


def _count(connection: Connection, table: Table) -> int:
    return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _copied_columns(source: Table, target: Table) -> list[str]:
    missing = [
        column.name
        for column in target.columns
        if column.name not in source.columns
        and column.computed is None
        and not column.nullable
        and column.server_default is None
    ]
    if missing:
        raise CopyError(f"table {target.name}: the source has no column(s) {', '.join(missing)}")
    # Generated columns (PostgreSQL's search_vector) are computed by the target itself.
    return [
        column.name
        for column in target.columns
        if column.name in source.columns and column.computed is None
    ]


def _copy_table(
    reading: Connection,
    writing: Connection,
    source: Table,
    target: Table,
    batch_size: int,
    progress: Progress | None,
) -> TableReport:
    columns = _copied_columns(source, target)
    utc_columns = {name for name in columns if _is_timestamptz(target.columns[name].type)}
    total = reading.execute(select(func.count()).select_from(source)).scalar_one()
    digest_sum = 0
    copied = 0
    text_columns = [name for name in columns if _is_text(target.columns[name].type)]
    for batch in _batches(reading, source, columns, batch_size):
        for row in batch:
            for name in utc_columns:
                row[name] = as_utc(row[name])
            for name in text_columns:
                value = row[name]
                # Ingest drops NUL bytes (PostgreSQL refuses them); so does the copy, for
                # catalogs written by a version that stored them.
                if isinstance(value, str) and "\x00" in value:
                    row[name] = value.replace("\x00", "")
            digest_sum += row_digest(row, columns)
        writing.execute(target.insert(), batch)
        copied += len(batch)
        if progress is not None:
            progress(target.name, copied, total)
    checksum = digest_sum % (1 << CHECKSUM_BITS)
    verify_copy(writing, target, columns, copied, checksum)
    return TableReport(target.name, copied, f"{checksum:032x}")


def _is_text(column_type: Any) -> bool:
    return isinstance(column_type, String)


def _is_timestamptz(column_type: Any) -> bool:
    return isinstance(column_type, DateTime) and bool(column_type.timezone)


def _batches(
    connection: Connection, table: Table, columns: list[str], batch_size: int
) -> Iterator[list[dict[str, Any]]]:
    statement = select(*(table.columns[name] for name in columns))
    result = connection.execution_options(yield_per=batch_size).execute(statement)
    for partition in result.mappings().partitions(batch_size):
        yield [dict(row) for row in partition]


def _advance_sequences(connection: Connection, tables: list[Table]) -> None:
    """Copied rows carry their own ids: move each serial past them for the next insert."""
    for table in tables:
        for column in table.primary_key.columns:
            sequence = connection.execute(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": table.name, "column": column.name},
            ).scalar_one_or_none()
            if sequence is None:
                continue
            highest = connection.execute(select(func.max(column))).scalar_one_or_none()
            connection.execute(
                text("SELECT setval(CAST(:sequence AS regclass), :value, :called)"),
                {"sequence": sequence, "value": highest or 1, "called": highest is not None},
            )


def _index_vectors(connection: Connection, vectors: Table) -> dict[str, int]:
    """Fill pgvector's table from the copied float32 blobs and build each model's graph."""
    counts: dict[str, int] = {}
    models = connection.execute(select(vectors.c.model_id).distinct()).scalars().all()
    for model_id in models:
        statement = select(vectors.c.paper_key, vectors.c.vector).where(
            vectors.c.model_id == model_id
        )
        index: PgvectorIndex | None = None
        counts[str(model_id)] = 0
        for rows in connection.execute(statement).partitions(VECTOR_BATCH_SIZE):
            widths = {len(row[1]) for row in rows}
            if len(widths) != 1 or (index is not None and 4 * index.dimensions not in widths):
                raise CopyError(f"vectors of model {model_id} have different lengths")
            keys = np.array([row[0] for row in rows], dtype=np.int64)
            matrix = np.frombuffer(b"".join(bytes(row[1]) for row in rows), dtype="<f4")
            matrix = matrix.reshape(len(rows), widths.pop() // 4).astype(np.float32)
            if index is None:
                index = PgvectorIndex(connection.engine, str(model_id), matrix.shape[1])
            index.upsert(connection, keys, matrix)
            counts[str(model_id)] += len(keys)
        if index is not None:
            index.create_graph(connection)
    return counts
