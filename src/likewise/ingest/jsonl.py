"""Plain JSON-lines paper files, e.g. ``arxiv-daily-cs/papers.jsonl.gz``.

One object per line with ``id``, ``title``, ``authors`` (list or string), ``categories``
(list or string, primary first), ``abstract`` (or ``summary``), ``comment`` and
``first_listed`` (YYYY-MM-DD, the announcement day; ``announced`` is accepted too).
"""

from __future__ import annotations

from typing import Any

from likewise.ingest.dates import parse_day
from likewise.ingest.files import JsonLinesSource
from likewise.ingest.records import (
    abstract_text,
    authors_of,
    categories_of,
    optional_text,
    required_id,
    required_title,
)
from likewise.models import Announcement, Paper

SOURCE_LABEL = "jsonl"


def paper_from_record(record: dict[str, Any]) -> tuple[Paper, list[Announcement]]:
    """One line's object as a Paper plus its first announcement, if the line dates it."""
    arxiv_id = required_id(record.get("id") or record.get("arxiv_id"))
    field = "first_listed" if "first_listed" in record else "announced"
    announced = parse_day(record.get(field), field)
    abstract = record.get("abstract")
    comment = record.get("comment")
    paper = Paper(
        arxiv_id=arxiv_id.bare,
        title=required_title(record.get("title")),
        abstract=abstract_text(
            abstract if abstract is not None else record.get("summary"),
            "abstract" if abstract is not None else "summary",
        ),
        authors=authors_of(record.get("authors")),
        categories=categories_of(record.get("categories")),
        announced=announced,
        latest_version=arxiv_id.version or 1,
        comment=optional_text(
            comment if comment is not None else record.get("comments"),
            "comment" if comment is not None else "comments",
        ),
        journal_ref=optional_text(record.get("journal_ref"), "journal_ref"),
        doi=optional_text(record.get("doi"), "doi"),
        source=SOURCE_LABEL,
    )
    announcements = [Announcement(paper.arxiv_id, announced)] if announced else []
    return paper, announcements


class JsonlSource(JsonLinesSource):
    """A JSON-lines file in the format above (plain or gzip)."""

    kind = "jsonl"

    def parse(self, record: dict[str, Any]) -> tuple[Paper, list[Announcement]]:
        return paper_from_record(record)
