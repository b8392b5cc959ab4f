"""One ingest batch in one transaction: papers, authors, categories, versions, announcements
and the source checkpoint, written with driver-level executemany (no per-row round trips).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.engine import Connection

from likewise.models import Announcement, AnnouncementKind, Paper, Version, normalise_name
from likewise.store import schema
from likewise.store.base import StoreError, UpsertCounts
from likewise.store.rows import (
    PaperRow,
    clean_categories,
    merge_papers,
    paper_to_row,
    row_to_paper,
    utc,
    with_version_history,
    without_nul,
)

# SQLite allows 32766 bound parameters per statement, PostgreSQL 65535.
IN_CHUNK = 5000
# Any fixed number; serialises catalog writers on PostgreSQL (SQLite has one writer anyway).
CATALOG_WRITE_LOCK = 7_125_914_236_002
_FIRST_LISTING = {AnnouncementKind.NEW, AnnouncementKind.CROSS_LIST}
_PAPER_COLUMN_LIST = ", ".join(schema.PAPER_COLUMNS)
_DATETIME_COLUMNS = [schema.PAPER_COLUMNS.index(name) for name in ("submitted", "updated")]
_DATE_COLUMNS = [
    schema.PAPER_COLUMNS.index(name) for name in ("announced", "record_modified", "listed_day")
]


def chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class BatchWriter:
    """Writes batches on one dialect; encodes values the way SQLAlchemy's types read them."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.sqlite = dialect == "sqlite"
        self.mark = "?" if self.sqlite else "%s"

    # -- value encoding ------------------------------------------------------------------------
    def encode_datetime(self, moment: datetime | None) -> Any:
        moment = utc(moment)
        if moment is None or not self.sqlite:
            return moment
        # SQLAlchemy's SQLite DateTime storage format, so Core selects parse it back.
        return moment.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")

    def encode_date(self, day: date | None) -> Any:
        if day is None or not self.sqlite:
            return day
        return day.isoformat()

    def encode_row(self, row: PaperRow) -> tuple[Any, ...]:
        values = list(row)
        if self.sqlite:
            for index in _DATETIME_COLUMNS:
                values[index] = self.encode_datetime(values[index])
            for index in _DATE_COLUMNS:
                day = values[index]
                values[index] = day.isoformat() if day is not None else None
        return tuple(values)

    def placeholders(self, count: int) -> str:
        return ", ".join([self.mark] * count)

    # -- the batch -----------------------------------------------------------------------------
    def write(
        self,
        connection: Connection,
        papers: Sequence[Paper],
        *,
        source: str,
        announcements: Sequence[Announcement],
        checkpoint: str | None,
    ) -> UpsertCounts:
        if not self.sqlite:
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": CATALOG_WRITE_LOCK}
            )
        first_listed = _first_listing_days(announcements)
        incoming = _dedupe(papers, source, first_listed)
        stored_rows = self.stored_rows(connection, list(incoming))
        counts = UpsertCounts()
        new_papers: list[Paper] = []
        to_merge: list[Paper] = []
        for arxiv_id, paper in incoming.items():
            found = stored_rows.get(arxiv_id)
            if found is None:
                new_papers.append(paper)
            elif not paper.versions and self.encode_row(paper_to_row(paper, source)) == found[1]:
                counts.unchanged += 1  # the same record again: nothing to merge
            else:
                to_merge.append(paper)
        stored = self._stored_papers(connection, [stored_rows[p.arxiv_id][0] for p in to_merge])
        changed: list[tuple[int, Paper]] = []
        for paper in to_merge:
            key, old = stored[paper.arxiv_id]
            merged = merge_papers(old, paper)
            if paper_to_row(merged, source) == paper_to_row(old, source) and (
                merged.versions == old.versions
            ):
                counts.unchanged += 1
            else:
                changed.append((key, merged))
        counts.inserted = len(new_papers)
        counts.updated = len(changed)
        written: list[tuple[int, Paper]] = list(changed)
        if new_papers:
            written.extend(self._insert_papers(connection, new_papers, source))
        if changed:
            self._update_papers(connection, changed, source)
        self._write_details(connection, written, replace_existing=bool(changed))
        self._write_authors(connection, written, replace_existing=bool(changed))
        self._write_announcements(connection, announcements, written)
        if checkpoint is not None:
            self.move_checkpoint(connection, source, checkpoint)
        return counts

    def stored_keys(self, connection: Connection, arxiv_ids: list[str]) -> dict[str, int]:
        """Keys of the stored papers among these ids, in one statement with one parameter
        (binding thousands of parameters costs more than the lookup)."""
        if self.sqlite:
            statement = (
                'SELECT arxiv_id, "key" FROM papers '
                "WHERE arxiv_id IN (SELECT value FROM json_each(?))"
            )
            parameter: Any = json.dumps(arxiv_ids)
        else:
            statement = 'SELECT arxiv_id, "key" FROM papers WHERE arxiv_id = ANY(%s)'
            parameter = arxiv_ids
        rows = connection.exec_driver_sql(statement, (parameter,))
        return {arxiv_id: key for arxiv_id, key in rows}

    def stored_rows(
        self, connection: Connection, arxiv_ids: list[str]
    ) -> dict[str, tuple[int, tuple[Any, ...]]]:
        """Key and papers row, as the driver returns it, of the stored ones among these ids."""
        columns = f'"key", {_PAPER_COLUMN_LIST}'
        if self.sqlite:
            statement = (
                f"SELECT {columns} FROM papers WHERE arxiv_id IN (SELECT value FROM json_each(?))"
            )
            parameter: Any = json.dumps(arxiv_ids)
        else:
            statement = f"SELECT {columns} FROM papers WHERE arxiv_id = ANY(%s)"
            parameter = arxiv_ids
        rows = connection.exec_driver_sql(statement, (parameter,))
        return {row[1]: (row[0], tuple(row[1:])) for row in rows}

    def _stored_papers(
        self, connection: Connection, keys: list[int]
    ) -> dict[str, tuple[int, Paper]]:
        found: dict[str, tuple[int, Paper]] = {}
        rows: list[Any] = []
        for chunk in chunks(keys):
            rows.extend(
                connection.execute(select(schema.papers).where(schema.papers.c.key.in_(chunk)))
            )
        if not rows:
            return found
        histories = load_versions(connection, {row.key: row.arxiv_id for row in rows})
        for row in rows:
            found[row.arxiv_id] = (row.key, row_to_paper(row, histories.get(row.key, [])))
        return found

    def _insert_papers(
        self, connection: Connection, papers: list[Paper], source: str
    ) -> list[tuple[int, Paper]]:
        statement = (
            f"INSERT INTO papers ({_PAPER_COLUMN_LIST}) "
            f"VALUES ({self.placeholders(len(schema.PAPER_COLUMNS))})"
        )
        rows = [self.encode_row(paper_to_row(paper, source)) for paper in papers]
        connection.exec_driver_sql(statement, rows)
        keys = self.stored_keys(connection, [paper.arxiv_id for paper in papers])
        return [(keys[paper.arxiv_id], paper) for paper in papers]

    def _update_papers(
        self, connection: Connection, changed: list[tuple[int, Paper]], source: str
    ) -> None:
        assignments = ", ".join(f"{name} = {self.mark}" for name in schema.PAPER_COLUMNS)
        statement = f'UPDATE papers SET {assignments} WHERE "key" = {self.mark}'
        rows = [(*self.encode_row(paper_to_row(paper, source)), key) for key, paper in changed]
        connection.exec_driver_sql(statement, rows)

    def _write_details(
        self, connection: Connection, written: list[tuple[int, Paper]], replace_existing: bool
    ) -> None:
        """Authors, categories and version history of freshly written papers."""
        if not written:
            return
        if replace_existing:
            table = schema.paper_categories
            for chunk in chunks([key for key, _ in written]):
                connection.execute(table.delete().where(table.c.paper_key.in_(chunk)))
        categories = [
            (key, category, position, position == 0)
            for key, paper in written
            for position, category in enumerate(clean_categories(paper.categories))
        ]
        versions = [
            (key, version.number, self.encode_datetime(version.submitted), version.size)
            for key, paper in written
            for version in paper.versions
        ]
        mark = self.mark
        self._many(
            connection,
            "INSERT INTO paper_categories (paper_key, category, position, is_primary) "
            f"VALUES ({self.placeholders(4)})",
            categories,
        )
        self._many(
            connection,
            f"INSERT INTO versions (paper_key, number, submitted, size) VALUES ({mark}, {mark}, "
            f"{mark}, {mark}) ON CONFLICT (paper_key, number) DO UPDATE SET "
            "submitted = COALESCE(versions.submitted, excluded.submitted), "
            "size = COALESCE(versions.size, excluded.size)",
            versions,
        )

    def _write_authors(
        self, connection: Connection, written: list[tuple[int, Paper]], replace_existing: bool
    ) -> None:
        """The author index of written papers; on SQLite only of those the search index
        already covers, the rest being left to refresh_search_index."""
        if not written:
            return
        if self.sqlite:
            indexed = connection.exec_driver_sql(
                "SELECT indexed_key FROM search_index_state WHERE id = 1"
            ).scalar_one()
            written = [(key, paper) for key, paper in written if key <= indexed]
        if replace_existing:
            table = schema.paper_authors
            for chunk in chunks([key for key, _ in written]):
                connection.execute(table.delete().where(table.c.paper_key.in_(chunk)))
        self.insert_authors(
            connection, [row for key, paper in written for row in author_rows(key, paper.authors)]
        )

    def insert_authors(self, connection: Connection, rows: list[tuple[int, int, str, str]]) -> None:
        self._many(
            connection,
            "INSERT INTO paper_authors (paper_key, position, name, name_normalised) "
            f"VALUES ({self.placeholders(4)})",
            rows,
        )

    def _write_announcements(
        self,
        connection: Connection,
        announcements: Sequence[Announcement],
        written: list[tuple[int, Paper]],
    ) -> None:
        """The given announcements (a day's listing says what kind it was), plus a 'new'
        one for each written paper's announced day that is not stored already, so that every
        announced day is in the table."""
        listed: dict[tuple[str, date], str] = {}
        for announcement in announcements:
            listed.setdefault((announcement.arxiv_id, announcement.day), announcement.kind.value)
        derived = {
            (paper.arxiv_id, paper.announced): AnnouncementKind.NEW.value
            for _, paper in written
            if paper.announced is not None and (paper.arxiv_id, paper.announced) not in listed
        }
        statement = (
            f"INSERT INTO announcements (arxiv_id, day, kind) VALUES ({self.placeholders(3)}) "
            "ON CONFLICT (arxiv_id, day) DO "
        )
        for rows, on_conflict in (
            (listed, "UPDATE SET kind = excluded.kind"),
            (derived, "NOTHING"),
        ):
            self._many(
                connection,
                statement + on_conflict,
                [(arxiv_id, self.encode_date(day), kind) for (arxiv_id, day), kind in rows.items()],
            )

    def move_checkpoint(self, connection: Connection, source: str, checkpoint: str) -> None:
        mark = self.mark
        connection.exec_driver_sql(
            "INSERT INTO sync_state (source, checkpoint, stored, rejected) "
            f"VALUES ({mark}, {mark}, 0, 0) ON CONFLICT (source) DO UPDATE SET "
            "checkpoint = excluded.checkpoint",
            (source, checkpoint),
        )

    def record_sync(
        self, connection: Connection, source: str, finished: datetime, stored: int, rejected: int
    ) -> None:
        mark = self.mark
        connection.exec_driver_sql(
            "INSERT INTO sync_state (source, last_sync, stored, rejected) "
            f"VALUES ({mark}, {mark}, {mark}, {mark}) ON CONFLICT (source) DO UPDATE SET "
            "last_sync = excluded.last_sync, stored = excluded.stored, "
            "rejected = excluded.rejected",
            (source, self.encode_datetime(finished), stored, rejected),
        )

    def put_vectors(self, connection: Connection, rows: list[tuple[str, int, str, bytes]]) -> None:
        mark = self.mark
        self._many(
            connection,
            "INSERT INTO vectors (model_id, paper_key, content_hash, vector) "
            f"VALUES ({mark}, {mark}, {mark}, {mark}) ON CONFLICT (model_id, paper_key) "
            "DO UPDATE SET content_hash = excluded.content_hash, vector = excluded.vector",
            rows,
        )

    @staticmethod
    def _many(connection: Connection, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            connection.exec_driver_sql(statement, list(rows))


def author_rows(key: int, authors: list[str]) -> list[tuple[int, int, str, str]]:
    return [(key, position, name, normalise_name(name)) for position, name in enumerate(authors)]


def _first_listing_days(announcements: Sequence[Announcement]) -> dict[str, date]:
    earliest: dict[str, date] = {}
    for announcement in announcements:
        if announcement.kind in _FIRST_LISTING:
            known = earliest.get(announcement.arxiv_id)
            if known is None or announcement.day < known:
                earliest[announcement.arxiv_id] = announcement.day
    return earliest


def _dedupe(
    papers: Sequence[Paper], source: str, first_listed: dict[str, date]
) -> dict[str, Paper]:
    """Batch papers by id (repeats merged), each with its source, history and announced day."""
    incoming: dict[str, Paper] = {}
    for original in map(without_nul, papers):
        if not isinstance(original.arxiv_id, str) or not original.arxiv_id.strip():
            raise StoreError(f"a paper from {source} has no id (title {original.title!r})")
        if not isinstance(original.title, str) or not isinstance(original.abstract, str):
            raise StoreError(
                f"paper {original.arxiv_id} from {source}: title and abstract must be text"
            )
        listed = first_listed.get(original.arxiv_id)
        if listed is not None and original.announced is not None and listed >= original.announced:
            listed = None
        if _needs_no_preparing(original, listed):
            paper = original  # only read from here on, so no copy is needed
        else:
            paper = with_version_history(original)  # a copy: the caller's paper stays as is
            if listed is not None:
                paper.announced = listed
            if not paper.source:
                paper.source = source
        earlier = incoming.get(paper.arxiv_id)
        incoming[paper.arxiv_id] = paper if earlier is None else merge_papers(earlier, paper)
    return incoming


def _needs_no_preparing(paper: Paper, listed: date | None) -> bool:
    """True for the common file record: no versions to tidy, nothing to fill in."""
    if paper.versions or listed is not None or not paper.source:
        return False
    return (paper.submitted if paper.latest_version == 1 else paper.updated) is None


# Built once: SQLAlchemy then reuses the compiled form (an expanding IN list per call).
_VERSIONS_OF = (
    select(
        schema.versions.c.paper_key,
        schema.versions.c.number,
        schema.versions.c.submitted,
        schema.versions.c.size,
    )
    .where(schema.versions.c.paper_key.in_(bindparam("keys", expanding=True)))
    .order_by(schema.versions.c.paper_key, schema.versions.c.number)
)


def load_versions(connection: Connection, ids: dict[int, str]) -> dict[int, list[Version]]:
    """Version history per paper key (ids maps key to arXiv id), oldest first."""
    by_key: dict[int, list[Version]] = {}
    for chunk in chunks(list(ids)):
        for key, number, submitted, size in connection.execute(_VERSIONS_OF, {"keys": chunk}):
            by_key.setdefault(key, []).append(Version(ids[key], number, utc(submitted), size))
    return by_key
