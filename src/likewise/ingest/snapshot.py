"""The arXiv metadata snapshot (Kaggle/Cornell ``arxiv-metadata-oai-snapshot.json``).

One object per line: ``id, submitter, authors, title, comments, journal-ref, doi, report-no,
categories, license, abstract, versions [{version, created}], update_date, authors_parsed``.
It says nothing about announcements, so ``announced`` stays empty.
"""

from __future__ import annotations

from typing import Any

from likewise.ingest.authors import names_from_parsed
from likewise.ingest.base import RecordError
from likewise.ingest.dates import parse_day, parse_timestamp
from likewise.ingest.files import JsonLinesSource
from likewise.ingest.records import (
    abstract_text,
    authors_of,
    categories_of,
    optional_text,
    required_id,
    required_title,
)
from likewise.models import Announcement, Paper, Version

SOURCE_LABEL = "snapshot"


def versions_of(arxiv_id: str, value: Any) -> list[Version]:
    """``[{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}, ...]``, in order."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError(f"versions must be a list, found {value!r}")
    versions = []
    for item in value:
        label = item.get("version") if isinstance(item, dict) else None
        if not isinstance(label, str) or not label.lstrip("v").isdigit():
            raise RecordError(f"version entry without a vN label: {item!r}")
        created = parse_timestamp(item.get("created"), f"{label} created")
        versions.append(Version(arxiv_id, int(label.lstrip("v")), created, item.get("size")))
    return sorted(versions, key=lambda version: version.number)


def paper_from_snapshot(record: dict[str, Any]) -> Paper:
    arxiv_id = required_id(record.get("id"))
    versions = versions_of(arxiv_id.bare, record.get("versions"))
    parsed = record.get("authors_parsed")
    authors = names_from_parsed(parsed) if isinstance(parsed, list) and parsed else []
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
        comment=optional_text(record.get("comments")),
        journal_ref=optional_text(record.get("journal-ref")),
        doi=optional_text(record.get("doi")),
        license=optional_text(record.get("license")),
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
