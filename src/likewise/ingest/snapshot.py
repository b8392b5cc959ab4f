"""The arXiv metadata snapshot (Kaggle/Cornell ``arxiv-metadata-oai-snapshot.json``).

One object per line: ``id, submitter, authors, title, comments, journal-ref, doi, report-no,
categories, license, abstract, versions [{version, created}], update_date, authors_parsed``.
It says nothing about announcements, so ``announced`` stays empty.
"""

from __future__ import annotations

import re
from typing import Any

from likewise.ingest.authors import names_from_parsed
from likewise.ingest.base import RecordError
from likewise.ingest.dates import parse_day, parse_timestamp
from likewise.ingest.files import JsonLinesSource
from likewise.ingest.ids import MAX_VERSION
from likewise.ingest.records import (
    abstract_text,
    authors_of,
    categories_of,
    optional_text,
    required_id,
    required_title,
    shown,
    storable_text,
)
from likewise.models import Announcement, Paper, Version

SOURCE_LABEL = "snapshot"
_LABEL = re.compile(rf"v([0-9]{{1,{len(str(MAX_VERSION))}}})")


def versions_of(arxiv_id: str, value: Any) -> list[Version]:
    """``[{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}, ...]``, in order."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError(f"versions must be a list, found {shown(value)}")
    versions = []
    for index, item in enumerate(value):
        where = f"versions[{index}]"
        label = item.get("version") if isinstance(item, dict) else None
        match = _LABEL.fullmatch(label) if isinstance(label, str) else None
        if match is None or int(match[1]) < 1:
            raise RecordError(f"{where}.version is not a label v1 to v{MAX_VERSION}: {shown(item)}")
        assert isinstance(item, dict)
        created = parse_timestamp(item.get("created"), f"{where}.created")
        size = item.get("size")
        if size is not None and not isinstance(size, str):
            raise RecordError(f"{where}.size must be text such as '12kb', found {shown(size)}")
        size = storable_text(size, f"{where}.size") if size else None
        versions.append(Version(arxiv_id, int(match[1]), created, size))
    return sorted(versions, key=lambda version: version.number)


def parsed_authors(value: Any) -> list[str]:
    """``authors_parsed``: rows of [surname, forenames, suffix], all text."""
    if value is None or value == []:
        return []
    if not isinstance(value, list) or not all(
        isinstance(row, list) and all(isinstance(part, str) for part in row) for row in value
    ):
        raise RecordError(
            f"authors_parsed must be rows of [surname, forenames, suffix] text, "
            f"found {shown(value)}"
        )
    rows = [[storable_text(part, "authors_parsed") for part in row] for row in value]
    return names_from_parsed(rows)


def paper_from_snapshot(record: dict[str, Any]) -> Paper:
    arxiv_id = required_id(record.get("id"))
    versions = versions_of(arxiv_id.bare, record.get("versions"))
    authors = parsed_authors(record.get("authors_parsed"))
    return Paper(
        arxiv_id=arxiv_id.bare,
        title=required_title(record.get("title")),
        abstract=abstract_text(record.get("abstract")),
        authors=authors or authors_of(record.get("authors")),
        categories=categories_of(record.get("categories")),
        submitted=versions[0].submitted if versions else None,
        updated=versions[-1].submitted if versions else None,
        record_modified=parse_day(record.get("update_date"), "update_date"),
        latest_version=versions[-1].number if versions else (arxiv_id.version or 1),
        versions=versions,
        comment=optional_text(record.get("comments"), "comments"),
        journal_ref=optional_text(record.get("journal-ref"), "journal-ref"),
        doi=optional_text(record.get("doi"), "doi"),
        license=optional_text(record.get("license"), "license"),
        source=SOURCE_LABEL,
    )


class SnapshotSource(JsonLinesSource):
    """The snapshot file, plain or gzip."""

    kind = "snapshot"

    def parse(self, record: dict[str, Any]) -> tuple[Paper, list[Announcement]]:
        return paper_from_snapshot(record), []


def looks_like_snapshot(record: dict[str, object]) -> bool:
    """Whether a first record has the snapshot's own fields."""
    return "versions" in record or "update_date" in record or "authors_parsed" in record
