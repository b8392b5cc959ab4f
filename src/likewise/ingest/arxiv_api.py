"""arXiv's query API (Atom 1.0): papers by category and submission window, or by id list.

Pages through ``start``/``max_results`` politely; arXiv reports bad queries as an Atom entry
whose id is under ``/api/errors`` inside an HTTP 200 response, which is raised as an error.
A query reporting more results than the API pages through (30,000) is refused up front: it
could never be completed, and a broken server's huge total would page for ever.
See https://info.arxiv.org/help/api/user-manual.html.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from xml.etree.ElementTree import Element

from likewise.ingest.authors import split_authors
from likewise.ingest.base import Batch, IngestError, RecordError, source_name
from likewise.ingest.categories import normalise_categories
from likewise.ingest.dates import estimated_announcement_day, parse_timestamp
from likewise.ingest.http import PoliteClient
from likewise.ingest.records import abstract_text, optional_text, required_id, required_title
from likewise.ingest.xml import ARXIV_ATOM, ATOM, OPENSEARCH, parse_document, text_of
from likewise.models import Announcement, AnnouncementKind, Paper, RejectedRecord, Version

SOURCE_LABEL = "arxiv-api"
_EMPTY_PAGE_RETRIES = 2  # the API now and then returns an empty page mid-way; asking again helps
# arXiv's API serves at most 30,000 results of one query (in pages of up to 2,000).
MAX_API_RESULTS = 30_000
_COUNT = re.compile(r"[0-9]{1,18}", re.ASCII)


class ArxivApiError(IngestError):
    """The API answered with an error entry (HTTP 200, id under /api/errors)."""


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M")


def category_query(categories: Sequence[str], since: datetime, until: datetime) -> str:
    """``(cat:cs.CL OR cat:cs.CV) AND submittedDate:[202403040000 TO 202403052359]``."""
    either = " OR ".join(f"cat:{category}" for category in categories)
    return f"({either}) AND submittedDate:[{_stamp(since)} TO {_stamp(until)}]"


def paper_from_entry(entry: Element) -> Paper:
    """One Atom ``<entry>`` of the API as a Paper (latest version, v1 and latest dates)."""
    arxiv_id = required_id(text_of(entry, f"{ATOM}id"))
    published = parse_timestamp(text_of(entry, f"{ATOM}published"), "published")
    updated = parse_timestamp(text_of(entry, f"{ATOM}updated"), "updated")
    latest = arxiv_id.version or 1
    versions = [Version(arxiv_id.bare, 1, published)]
    if latest > 1:
        versions.append(Version(arxiv_id.bare, latest, updated))
    primary = entry.find(f"{ARXIV_ATOM}primary_category")
    terms = [primary.get("term", "")] if primary is not None else []
    terms += [category.get("term", "") for category in entry.findall(f"{ATOM}category")]
    authors = [
        name
        for author in entry.findall(f"{ATOM}author")
        for name in split_authors(text_of(author, f"{ATOM}name") or "")
    ]
    return Paper(
        arxiv_id=arxiv_id.bare,
        title=required_title(text_of(entry, f"{ATOM}title")),
        abstract=abstract_text(text_of(entry, f"{ATOM}summary")),
        authors=authors,
        categories=normalise_categories(terms),
        submitted=published,
        updated=updated if latest > 1 else published,
        latest_version=latest,
        versions=versions,
        comment=optional_text(text_of(entry, f"{ARXIV_ATOM}comment")),
        journal_ref=optional_text(text_of(entry, f"{ARXIV_ATOM}journal_ref")),
        doi=optional_text(text_of(entry, f"{ARXIV_ATOM}doi")),
        source=SOURCE_LABEL,
    )


def parse_api_page(content: bytes, url: str) -> tuple[int, list[Paper], list[RejectedRecord]]:
    """(total results, papers, rejected entries) of one API response."""
    feed = parse_document(content, url, f"{ATOM}feed", "an arXiv API Atom feed")
    entries = feed.findall(f"{ATOM}entry")
    for entry in entries:
        entry_id = text_of(entry, f"{ATOM}id") or ""
        if "/api/errors" in entry_id:
            message = text_of(entry, f"{ATOM}summary") or entry_id
            raise ArxivApiError(f"{url}: arXiv API error: {message}")
    total_text = text_of(feed, f"{OPENSEARCH}totalResults") or ""
    if _COUNT.fullmatch(total_text):
        total = int(total_text)
    elif total_text.isdigit():  # more digits than any real count, or non-ASCII digits
        raise IngestError(f"{url}: implausible totalResults {total_text[:40]!r}")
    else:
        total = len(entries)
    papers, rejected = [], []
    for position, entry in enumerate(entries, start=1):
        try:
            papers.append(paper_from_entry(entry))
        except RecordError as error:
            where = text_of(entry, f"{ATOM}id") or f"entry {position}"
            rejected.append(RejectedRecord(f"{url} ({where})", str(error)))
    return total, papers, rejected


def _check_progress(url: str, total: int, papers: list[Paper], seen: set[str]) -> None:
    """Refuse what would page for ever: a huge total, or a page of papers already given."""
    if total > MAX_API_RESULTS:
        raise IngestError(
            f"{url}: the API reports {total:,} results for this query but serves at most "
            f"{MAX_API_RESULTS:,}: ask for fewer days or categories, or harvest with OAI-PMH "
            "(likewise backfill)"
        )
    ids = {paper.arxiv_id for paper in papers}
    if ids and ids <= seen:
        raise IngestError(
            f"{url}: the API answered with the same papers as an earlier page; stopping, "
            "as paging on would repeat them for ever"
        )
    seen |= ids


class ArxivApiSource:
    """Papers matching a category/submission-window query, or a list of ids.

    With ``estimate_announcements`` each paper gets the mailing day arXiv's schedule puts it
    on (up to ``today``), recorded as a new submission or a cross-list of ``categories``.
    """

    def __init__(
        self,
        client: PoliteClient,
        api_url: str,
        *,
        categories: Sequence[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
        ids: Sequence[str] = (),
        page_size: int = 500,
        estimate_announcements: bool = False,
        today: date | None = None,
    ) -> None:
        if bool(ids) == bool(categories):
            raise ValueError("give either categories (with a window) or ids")
        self.client = client
        self.api_url = api_url
        self.categories = list(categories)
        self.ids = [required_id(item).bare for item in ids] if ids else []
        self.page_size = page_size
        self.estimate_announcements = estimate_announcements
        self.today = today
        if categories:
            if since is None or until is None:
                raise ValueError("a category query needs a submission window")
            self.query: dict[str, str] = {"search_query": category_query(categories, since, until)}
            self.query |= {"sortBy": "submittedDate", "sortOrder": "ascending"}
            self.name = source_name(SOURCE_LABEL, "+".join(self.categories))
        else:
            self.query = {"id_list": ",".join(self.ids)}
            self.name = f"{SOURCE_LABEL}:ids"
        self.total: int | None = None

    def _resume_from(self, checkpoint: str | None) -> int:
        if not checkpoint:
            return 0
        try:
            data = json.loads(checkpoint)
        except ValueError:
            return 0
        same_query = isinstance(data, dict) and data.get("query") == self.query
        return int(data.get("start", 0)) if same_query and not data.get("done") else 0

    def _announce(self, papers: list[Paper]) -> list[Announcement]:
        announcements = []
        wanted = set(normalise_categories(self.categories))
        for paper in papers:
            if paper.submitted is None:
                continue
            day = estimated_announcement_day(paper.submitted)
            if self.today is not None and day > self.today:
                continue  # not announced yet
            paper.announced = day
            primary = paper.primary_category
            kind = AnnouncementKind.NEW if primary in wanted else AnnouncementKind.CROSS_LIST
            announcements.append(Announcement(paper.arxiv_id, day, kind))
        return announcements

    def batches(self, checkpoint: str | None, batch_size: int) -> Iterator[Batch]:
        start = self._resume_from(checkpoint)
        page_size = min(self.page_size, batch_size) if batch_size > 0 else self.page_size
        if self.ids:
            page_size = max(page_size, len(self.ids))
        empty_tries = 0
        seen: set[str] = set()
        while True:
            params = self.query | {"start": str(start), "max_results": str(page_size)}
            response = self.client.get(self.api_url, params=params)
            url = str(response.url)
            total, papers, rejected = parse_api_page(response.content, url)
            _check_progress(url, total, papers, seen)
            self.total = total
            read = len(papers) + len(rejected)
            if read == 0 and start < total and empty_tries < _EMPTY_PAGE_RETRIES:
                empty_tries += 1
                continue
            empty_tries = 0
            start += read
            done = read == 0 or start >= total
            announcements = self._announce(papers) if self.estimate_announcements else []
            state = {"query": self.query, "start": start, "done": done}
            yield Batch(papers, announcements, rejected, json.dumps(state), position=start)
            if done:
                return
