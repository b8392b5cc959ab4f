"""arXiv's daily announcement feed (``rss.arxiv.org/atom/<cat>+<cat>``, Atom 1.0).

The only source that says what was announced on a day and how: each entry has
``arxiv:announce_type`` new, cross, replace or replace-cross. The day is the date of the
entry's ``published`` stamp (arXiv's local date of the mailing). Weekends give an empty feed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import date
from xml.etree.ElementTree import Element

from likewise.ingest.authors import split_authors
from likewise.ingest.base import Batch, RecordError, source_name
from likewise.ingest.categories import normalise_categories
from likewise.ingest.http import PoliteClient
from likewise.ingest.records import optional_text, required_id, required_title
from likewise.ingest.xml import ARXIV_ATOM, ATOM, DUBLIN_CORE, parse_document, text_of
from likewise.models import Announcement, AnnouncementKind, Paper, RejectedRecord

SOURCE_LABEL = "feed"
_KINDS = {
    "new": AnnouncementKind.NEW,
    "cross": AnnouncementKind.CROSS_LIST,
    "replace": AnnouncementKind.REPLACEMENT,
    "replace-cross": AnnouncementKind.REPLACEMENT,
}
# "arXiv:2403.01234v1 Announce Type: new \nAbstract: ..." precedes the abstract proper.
_SUMMARY_PREFIX = re.compile(r"^\s*arXiv:\S+\s+Announce Type:\s*\S+\s*(?:Abstract:\s*)?", re.I)


def _announcement_day(entry: Element) -> date:
    stamp = text_of(entry, f"{ATOM}published") or text_of(entry, f"{ATOM}updated")
    if not stamp:
        raise RecordError("entry has no published date")
    try:
        return date.fromisoformat(stamp[:10])
    except ValueError as error:
        raise RecordError(f"published is not a date: {stamp!r}") from error


def entry_to_announcement(entry: Element) -> tuple[Paper, Announcement]:
    arxiv_id = required_id(text_of(entry, f"{ATOM}id"))
    kind_text = (text_of(entry, f"{ARXIV_ATOM}announce_type") or "").lower()
    if kind_text not in _KINDS:
        raise RecordError(f"unknown announce_type {kind_text!r}")
    day = _announcement_day(entry)
    summary = text_of(entry, f"{ATOM}summary") or ""
    terms = [category.get("term", "") for category in entry.findall(f"{ATOM}category")]
    paper = Paper(
        arxiv_id=arxiv_id.bare,
        title=required_title(text_of(entry, f"{ATOM}title")),
        abstract=optional_text(_SUMMARY_PREFIX.sub("", summary)) or "",
        authors=split_authors(text_of(entry, f"{DUBLIN_CORE}creator") or ""),
        categories=normalise_categories(terms),
        announced=None if _KINDS[kind_text] is AnnouncementKind.REPLACEMENT else day,
        latest_version=arxiv_id.version or 1,
        journal_ref=optional_text(text_of(entry, f"{ARXIV_ATOM}journal_reference")),
        doi=optional_text(text_of(entry, f"{ARXIV_ATOM}DOI")),
        license=optional_text(text_of(entry, f"{DUBLIN_CORE}rights")),
        source=SOURCE_LABEL,
    )
    return paper, Announcement(paper.arxiv_id, day, _KINDS[kind_text])


def parse_feed(content: bytes, url: str) -> Batch:
    """One feed document as a batch; the checkpoint is the announcement day it covers."""
    feed = parse_document(content, url, f"{ATOM}feed", "an arXiv announcement Atom feed")
    batch = Batch([])
    days: set[date] = set()
    for position, entry in enumerate(feed.findall(f"{ATOM}entry"), start=1):
        try:
            paper, announcement = entry_to_announcement(entry)
        except RecordError as error:
            where = text_of(entry, f"{ATOM}id") or f"entry {position}"
            batch.rejected.append(RejectedRecord(f"{url} ({where})", str(error)))
            continue
        batch.papers.append(paper)
        batch.announcements.append(announcement)
        days.add(announcement.day)
    batch.checkpoint = max(days).isoformat() if days else None
    return batch


class AnnouncementFeedSource:
    """Today's announcements for some categories, fetched from the feed."""

    def __init__(self, client: PoliteClient, feed_url: str, categories: Sequence[str]) -> None:
        if not categories:
            raise ValueError("the feed needs at least one category")
        self.client = client
        self.url = f"{feed_url.rstrip('/')}/{'+'.join(categories)}"
        self.name = source_name(SOURCE_LABEL, "+".join(categories))

    def batches(self, checkpoint: str | None, batch_size: int) -> Iterator[Batch]:
        # The feed only ever holds the latest day, so there is nothing to resume.
        response = self.client.get(self.url)
        batch = parse_feed(response.content, self.url)
        batch.checkpoint = batch.checkpoint or checkpoint
        yield batch
