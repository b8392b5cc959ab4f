"""Build sources from what a user names: a file (format detected), the network, BibTeX.

Callers pass every value in (settings enter at the edge); nothing here reads settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from likewise.ingest.announcements import AnnouncementFeedSource
from likewise.ingest.arxiv_api import ArxivApiSource
from likewise.ingest.base import IngestError, Source
from likewise.ingest.bibtex import BibtexSource, FindMatch, IsStored
from likewise.ingest.dates import EASTERN, recent_announcement_days, submission_window
from likewise.ingest.files import JsonLinesSource, first_record
from likewise.ingest.http import PoliteClient
from likewise.ingest.jsonl import JsonlSource
from likewise.ingest.snapshot import SnapshotSource, looks_like_snapshot

FILE_FORMATS = ("auto", "jsonl", "snapshot", "bibtex")


def open_file_source(
    path: Path,
    *,
    file_format: str = "auto",
    recent_days: int | None = None,
    find_match: FindMatch | None = None,
    is_stored: IsStored | None = None,
) -> Source:
    """A source for a local file; ``auto`` tells BibTeX, snapshot and JSON lines apart."""
    if file_format not in FILE_FORMATS:
        raise IngestError(f"unknown file format {file_format!r}: use {', '.join(FILE_FORMATS)}")
    if not path.expanduser().is_file():
        raise IngestError(f"{path}: no such file")
    if file_format == "auto":
        file_format = _detect(path.expanduser())
    if file_format == "bibtex":
        return BibtexSource(path, find_match=find_match, is_stored=is_stored)
    kind: type[JsonLinesSource] = SnapshotSource if file_format == "snapshot" else JsonlSource
    return kind(path, recent_days=recent_days)


def _detect(path: Path) -> str:
    if path.suffix.lower() == ".bib":
        return "bibtex"
    record = first_record(path)
    if record is None:
        with path.open("rb") as handle:
            head = handle.read(2048).lstrip()
        if head.startswith(b"@") or b"\n@" in head:
            return "bibtex"
        return "jsonl"  # reading it reports what is wrong line by line
    return "snapshot" if looks_like_snapshot(record) else "jsonl"


def recent_network_sources(
    client: PoliteClient,
    *,
    api_url: str,
    feed_url: str,
    categories: Sequence[str],
    days: int,
    now: datetime | None = None,
) -> list[Source]:
    """The last ``days`` announcement days: the API for the earlier ones, then the feed.

    The query API cannot say what was announced when, so days before today's feed are
    estimated from arXiv's submission cut-offs (see dates.py); the feed, read last, records
    today's announcements exactly.
    """
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    today = moment.astimezone(EASTERN).date()
    wanted = recent_announcement_days(today, max(1, days))
    since, _ = submission_window(min(wanted))
    api = ArxivApiSource(
        client,
        api_url,
        categories=categories,
        since=since,
        until=moment + timedelta(minutes=1),
        estimate_announcements=True,
        today=today,
    )
    feed = AnnouncementFeedSource(client, feed_url, categories)
    return [api, feed]


def parse_day_argument(text: str) -> date:
    """A YYYY-MM-DD command-line date, with a clear message when it is not one."""
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise IngestError(f"not a YYYY-MM-DD date: {text!r}") from error
