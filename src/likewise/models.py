"""Plain data that flows through likewise: papers, versions, announcements, hits and filters.

No I/O here; every other layer speaks in these types.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class AnnouncementKind(StrEnum):
    """How a paper appeared in a daily arXiv announcement."""

    NEW = "new"
    CROSS_LIST = "cross"
    REPLACEMENT = "replace"


@dataclass(frozen=True, slots=True)
class Version:
    """One arXiv version (v1, v2, ...) of a paper."""

    arxiv_id: str
    number: int
    submitted: datetime | None = None
    size: str | None = None


@dataclass(slots=True)
class Paper:
    """One work, keyed by its bare arXiv id (no version suffix).

    Papers that have no arXiv id (a BibTeX entry) carry a stable local id of the form
    ``local:<hash>``. Dates are kept apart: ``submitted`` (v1), ``updated`` (latest
    version), ``announced`` (first day listed in an arXiv announcement) and
    ``record_modified`` (the source's own last-modified datestamp).
    """

    arxiv_id: str
    title: str
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)  # primary first
    submitted: datetime | None = None
    updated: datetime | None = None
    announced: date | None = None
    record_modified: date | None = None
    latest_version: int = 1
    versions: list[Version] = field(default_factory=list)
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    license: str | None = None
    source: str = ""

    @property
    def primary_category(self) -> str | None:
        return self.categories[0] if self.categories else None

    @property
    def is_local(self) -> bool:
        return self.arxiv_id.startswith("local:")

    def embedding_text(self) -> str:
        """The text that is embedded: title + ". " + abstract (matches the shared vectors)."""
        return f"{self.title}. {self.abstract}" if self.abstract else self.title

    def content_hash(self) -> str:
        """Hash of what the embedding depends on, so unchanged papers are never re-embedded."""
        return hashlib.sha256(self.embedding_text().encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Announcement:
    """A paper listed in arXiv's announcement of one day."""

    arxiv_id: str
    day: date
    kind: AnnouncementKind = AnnouncementKind.NEW


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Predicates a search or similar-papers request must respect exactly."""

    since: date | None = None
    until: date | None = None
    categories: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    exclude_ids: frozenset[str] = frozenset()

    @property
    def is_empty(self) -> bool:
        return not (self.since or self.until or self.categories or self.authors or self.exclude_ids)


@dataclass(frozen=True, slots=True)
class Evidence:
    """An abstract sentence that supports a query ("why it matched", rank/evidence.py): its
    text, its [start, end) character offsets in the abstract, and its score."""

    text: str
    start: int
    end: int
    score: float


@dataclass(frozen=True, slots=True)
class AlsoAs:
    """Another record of the same work (a near-duplicate, services/near_duplicates.py)."""

    arxiv_id: str
    title: str


@dataclass(slots=True)
class Hit:
    """One ranked result: the paper id, the score a user sees, and how it was made."""

    arxiv_id: str
    score: float
    paper: Paper | None = None
    components: dict[str, float] = field(default_factory=dict)
    reason: str | None = None
    evidence: list[Evidence] = field(default_factory=list)  # best abstract sentences, in order
    also_as: list[AlsoAs] = field(default_factory=list)  # the work's other records, collapsed


@dataclass(frozen=True, slots=True)
class RejectedRecord:
    """A record a source could not turn into a Paper: where it was and what is wrong."""

    location: str  # file:line, URL, or BibTeX key
    problem: str


@dataclass(slots=True)
class IngestSummary:
    """What one ingest run did; printed by the CLI and stored as the sync log."""

    source: str
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RejectedRecord] = field(default_factory=list)
    matched: int = 0  # input records that are papers already stored (BibTeX matches)
    notes: list[RejectedRecord] = field(default_factory=list)  # stored, with a remark
    error: str | None = None  # the fatal problem that stopped the run, if one did

    @property
    def ok(self) -> bool:
        return not self.rejected and self.error is None


_NON_WORD = re.compile(r"[\W_]+")


def normalise_name(name: str) -> str:
    """An author name folded for matching: accents removed, case-folded, spaces collapsed."""
    return " ".join(_without_accents(name).casefold().split())


def normalise_title(title: str) -> str:
    """A title folded for matching records of one work: accents, case and punctuation gone."""
    return " ".join(_NON_WORD.sub(" ", _without_accents(title).casefold()).split())


def _without_accents(text: str) -> str:
    if text.isascii():  # the common case, and 20x cheaper than decomposing
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))
