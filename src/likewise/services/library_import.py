"""Cold start in one step: a user's own library file, or "these are my papers", as positives.

Each entry of an imported file is matched to a catalog paper by arXiv id, then DOI, then
normalised title. An unmatched entry with an abstract is kept through its own title and
abstract, embedded here with the library's embedder; one without is skipped, with the reason.
The file is read and matched whole before the one transaction that stores it: a broken file
stores nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from likewise.ingest.library_files import read_library_bytes, read_library_file
from likewise.ingest.library_records import LibraryFileError, LibraryRecord
from likewise.models import Paper, SearchFilters, normalise_name
from likewise.services.embedding import EmbedderProvider
from likewise.services.errors import NotFoundError, SiteError
from likewise.store.base import CatalogStore
from likewise.store.library_entries import EntryDraft, LibraryEntry, LibraryEntryRepository

Status = Literal["matched", "kept", "skipped"]
MAX_AUTHOR_PAPERS = 500
_EMBED_BATCH = 64

__all__ = ["LibraryFileError", "LibraryImportService"]


@dataclass(frozen=True, slots=True)
class EntryOutcome:
    """What became of one entry of the file."""

    location: str
    title: str
    status: Status
    matched_by: str = ""  # "arxiv_id", "doi", "title" for a matched entry
    arxiv_id: str | None = None
    reason: str = ""  # why it was skipped
    new: bool = False  # added now (False: the library had it already, or skipped)


@dataclass(frozen=True, slots=True)
class ImportReport:
    """The outcome of one import, entry by entry, with the totals a page shows."""

    source: str  # the format: "bibtex", "ris", "csl-json", "zotero" or "claimed"
    name: str
    outcomes: list[EntryOutcome] = field(default_factory=list)

    def _count(self, status: Status, matched_by: str | None = None) -> int:
        return sum(
            1
            for outcome in self.outcomes
            if outcome.status == status and (matched_by is None or outcome.matched_by == matched_by)
        )

    @property
    def matched_by_arxiv_id(self) -> int:
        return self._count("matched", "arxiv_id")

    @property
    def matched_by_doi(self) -> int:
        return self._count("matched", "doi")

    @property
    def matched_by_title(self) -> int:
        return self._count("matched", "title")

    @property
    def kept_unmatched(self) -> int:
        return self._count("kept")

    @property
    def skipped(self) -> int:
        return self._count("skipped")

    @property
    def added(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.new)

    @property
    def already_present(self) -> int:
        return sum(1 for o in self.outcomes if o.status != "skipped" and not o.new)

    def summary(self) -> dict[str, int]:
        return {
            "entries": len(self.outcomes),
            "matched_by_arxiv_id": self.matched_by_arxiv_id,
            "matched_by_doi": self.matched_by_doi,
            "matched_by_title": self.matched_by_title,
            "kept_unmatched": self.kept_unmatched,
            "skipped": self.skipped,
            "added": self.added,
            "already_present": self.already_present,
        }

    def as_dict(self) -> dict[str, object]:
        """The report as JSON-ready values: the totals, then every entry's outcome."""
        return {
            "source": self.source,
            "name": self.name,
            **self.summary(),
            "entries_detail": [
                {
                    "location": o.location,
                    "title": o.title,
                    "status": o.status,
                    "matched_by": o.matched_by or None,
                    "arxiv_id": o.arxiv_id,
                    "reason": o.reason or None,
                    "new": o.new,
                }
                for o in self.outcomes
            ],
        }


@dataclass(frozen=True, slots=True)
class AuthorCandidates:
    """The catalog's papers by one author name, each marked if the library holds it."""

    name: str
    papers: list[Paper]
    in_library: frozenset[str]


class LibraryImportService:
    """Imports, claims, lists and removes the entries of a user's own library."""

    def __init__(
        self, store: CatalogStore, entries: LibraryEntryRepository, embedding: EmbedderProvider
    ) -> None:
        self._store = store
        self.entries = entries
        self._embedding = embedding

    # -- files ---------------------------------------------------------------------------------
    def import_file(self, user_id: int, path: Path, format: str = "auto") -> ImportReport:
        kind, records = read_library_file(path, format)
        return self._import(user_id, kind, path.name, records)

    def import_bytes(
        self, user_id: int, data: bytes, name: str, format: str = "auto"
    ) -> ImportReport:
        kind, records = read_library_bytes(data, name or "upload", format)
        return self._import(user_id, kind, name or "upload", records)

    def _import(
        self, user_id: int, kind: str, name: str, records: list[LibraryRecord]
    ) -> ImportReport:
        outcomes: list[EntryOutcome | None] = []
        drafts: list[tuple[int, EntryDraft]] = []
        to_embed: list[int] = []
        seen: dict[str, str] = {}
        stored = self._store.get_papers(sorted({r.arxiv_id for r in records if r.arxiv_id}))
        for record in records:
            if record.skip_reason:
                outcomes.append(_skipped(record, record.skip_reason))
                continue
            draft = self._match(record, kind, stored)
            if draft is None:
                reason = "not in the catalog, and no abstract to embed"
                outcomes.append(_skipped(record, reason))
                continue
            if draft.key in seen:
                outcomes.append(_skipped(record, f"the same paper as {seen[draft.key]}"))
                continue
            seen[draft.key] = record.location
            if not draft.matched_by:
                to_embed.append(len(drafts))
            drafts.append((len(outcomes), draft))
            outcomes.append(None)  # filled in once stored
        self._embed([drafts[i][1] for i in to_embed], drafts, to_embed)
        added = self.entries.add(user_id, [draft for _, draft in drafts])
        for (position, draft), new in zip(drafts, added, strict=True):
            record = records[position]
            status: Status = "matched" if draft.matched_by else "kept"
            outcomes[position] = EntryOutcome(
                record.location, draft.title, status, draft.matched_by, draft.arxiv_id, new=new
            )
        return ImportReport(kind, name, [o for o in outcomes if o is not None])

    def _match(
        self, record: LibraryRecord, kind: str, stored: dict[str, Paper]
    ) -> EntryDraft | None:
        def matched(arxiv_id: str, how: str) -> EntryDraft:
            paper = stored.get(arxiv_id) or self._store.get_paper(arxiv_id)
            title = record.title or (paper.title if paper else arxiv_id)
            return EntryDraft(arxiv_id, title, record.abstract, record.doi, kind, how)

        if record.arxiv_id and record.arxiv_id in stored:
            return matched(record.arxiv_id, "arxiv_id")
        if record.doi:
            found = self._store.find_by_doi_or_title(record.doi, "")
            if found:
                return matched(found, "doi")
        if record.title:
            found = self._store.find_by_doi_or_title(None, record.title)
            if found:
                return matched(found, "title")
        if not record.abstract or not record.title:
            return None
        return EntryDraft(record.arxiv_id, record.title, record.abstract, record.doi, kind)

    def _embed(
        self, pending: list[EntryDraft], drafts: list[tuple[int, EntryDraft]], at: list[int]
    ) -> None:
        """Give each kept entry its vector: title + ". " + abstract, as catalog papers."""
        if not pending:
            return
        embedder = self._embedding.get()
        texts = [Paper("", d.title, d.abstract).embedding_text() for d in pending]
        for start in range(0, len(texts), _EMBED_BATCH):
            vectors = embedder.embed_documents(texts[start : start + _EMBED_BATCH])
            for offset, vector in enumerate(vectors):
                index = at[start + offset]
                position, draft = drafts[index]
                drafts[index] = (
                    position,
                    EntryDraft(
                        draft.arxiv_id,
                        draft.title,
                        draft.abstract,
                        draft.doi,
                        draft.source,
                        vector=vector,
                        model_id=embedder.model_id,
                    ),
                )

    # -- "these are my papers" ---------------------------------------------------------------
    def author_candidates(self, user_id: int, name: str) -> AuthorCandidates:
        """The catalog's papers by `name` (case and accents ignored), newest first."""
        cleaned = " ".join(name.split())
        if not normalise_name(cleaned):
            raise SiteError("give an author name")
        if len(cleaned) > 200:
            raise SiteError("an author name is at most 200 characters")
        keys = self._store.keys_matching(SearchFilters(authors=(cleaned,)))
        ids = list(self._store.arxiv_ids_for_keys([int(key) for key in keys]).values())
        papers = list(self._store.get_papers(ids).values())
        papers.sort(key=_newest_first)
        papers = papers[:MAX_AUTHOR_PAPERS]
        held = {entry.arxiv_id for entry in self.entries.entries_of(user_id) if entry.arxiv_id}
        return AuthorCandidates(cleaned, papers, frozenset(held & {p.arxiv_id for p in papers}))

    def claim(self, user_id: int, name: str, arxiv_ids: list[str]) -> ImportReport:
        """Store the confirmed papers of `name` as entries with source "claimed"; an id that
        is not among that author's catalog papers refuses the whole claim."""
        if not arxiv_ids:
            raise SiteError("confirm at least one paper")
        candidates = self.author_candidates(user_id, name)
        by_id = {paper.arxiv_id: paper for paper in candidates.papers}
        unknown = [arxiv_id for arxiv_id in arxiv_ids if arxiv_id not in by_id]
        if unknown:
            shown = ", ".join(unknown[:5])
            raise SiteError(f"not a paper by {candidates.name} in this catalog: {shown}")
        chosen = list(dict.fromkeys(arxiv_ids))
        drafts = [
            EntryDraft(i, by_id[i].title, "", by_id[i].doi, "claimed", "claimed") for i in chosen
        ]
        added = self.entries.add(user_id, drafts)
        outcomes = [
            EntryOutcome(d.arxiv_id or "", d.title, "matched", "claimed", d.arxiv_id, new=new)
            for d, new in zip(drafts, added, strict=True)
        ]
        return ImportReport("claimed", candidates.name, outcomes)

    # -- the library -------------------------------------------------------------------------
    def entries_of(self, user_id: int) -> list[LibraryEntry]:
        return self.entries.entries_of(user_id)

    def remove(self, user_id: int, entry_id: int) -> None:
        if not self.entries.remove(user_id, entry_id):
            raise NotFoundError(f"no entry {entry_id} in your library")

    def remove_all(self, user_id: int) -> int:
        return self.entries.remove_all(user_id)


def _skipped(record: LibraryRecord, reason: str) -> EntryOutcome:
    return EntryOutcome(record.location, record.title, "skipped", reason=reason)


def _newest_first(paper: Paper) -> tuple[str, str]:
    day = paper.announced or (paper.submitted.date() if paper.submitted else None)
    # Inverted so that one ascending sort gives newest first, then arXiv id.
    inverted = "".join(chr(0x10FFFF - ord(char)) for char in day.isoformat()) if day else "~"
    return inverted, paper.arxiv_id
