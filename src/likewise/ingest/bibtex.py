"""A user's BibTeX file: entries become papers, matched to stored arXiv papers when possible.

An entry naming an arXiv id (``eprint``, ``arxivid``, an arxiv.org URL, "arXiv:..." in the
journal) is that arXiv paper, stored as version 0 until arXiv's own record arrives. Others
are matched by DOI or normalised title through the store; unmatched entries get a stable
id ``local:<hash>`` of their DOI, else title and first author, so that loading the file
again finds the same records.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from bibtexparser.entrypoint import parse_string
from bibtexparser.library import Library as BibtexLibrary
from bibtexparser.model import DuplicateBlockKeyBlock, Entry

from likewise.ingest.authors import bibtex_authors
from likewise.ingest.base import Batch, IngestError, RecordError, source_name
from likewise.ingest.categories import normalise_categories
from likewise.ingest.ids import InvalidArxivIdError, find_arxiv_id, parse_arxiv_id
from likewise.ingest.library_records import LibraryFileError, LibraryRecord, check_count
from likewise.ingest.text import clean_title, collapse_whitespace, latex_to_unicode, normalise_title
from likewise.models import Paper, RejectedRecord

SOURCE_LABEL = "bibtex"
# Control characters other than line breaks and tabs (which fold into spaces): PostgreSQL
# refuses NUL outright, and the rest break the XML of feeds; the entry is rejected instead.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
FindMatch = Callable[[str | None, str], str | None]
IsStored = Callable[[str], bool]


def _field(entry: Entry, name: str) -> str | None:
    """A field's text by case-insensitive name (``archivePrefix``, ``primaryClass``)."""
    field = entry.fields_dict.get(name)
    if field is None:
        field = next((f for key, f in entry.fields_dict.items() if key.lower() == name), None)
    if field is None or not isinstance(field.value, str):
        return None
    control = _CONTROL.search(field.value)
    if control:
        code = f"U+{ord(control.group()):04X}"
        raise RecordError(f"field {field.key!r} contains a control character ({code})")
    value = collapse_whitespace(field.value)
    return value or None


def local_id(title: str, authors: list[str], doi: str | None) -> str:
    """``local:<16 hex>`` from the DOI, else the normalised title and first author."""
    if doi:
        basis = "doi:" + doi.lower()
    else:
        first_author = normalise_title(authors[0]).split(" ")[-1] if authors else ""
        basis = f"title:{normalise_title(title)}|{first_author}"
    return "local:" + hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]


def arxiv_id_of(entry: Entry) -> str | None:
    """The arXiv id an entry names, if any."""
    eprint = _field(entry, "eprint")
    prefix = (_field(entry, "archiveprefix") or _field(entry, "eprinttype") or "").lower()
    for candidate in (_field(entry, "arxivid"), _field(entry, "arxiv"), eprint):
        if candidate:
            try:
                return parse_arxiv_id(candidate).bare
            except InvalidArxivIdError:
                if candidate is eprint and prefix == "arxiv":
                    raise RecordError(f"eprint is not an arXiv id: {candidate!r}") from None
    for name in ("url", "doi", "journal", "howpublished", "note"):
        found = find_arxiv_id(_field(entry, name) or "")
        if found:
            return found.bare
    return None


def _doi(entry: Entry) -> str | None:
    doi = _field(entry, "doi")
    if doi is None:
        return None
    for prefix in ("https://doi.org/", "http://doi.org/", "http://dx.doi.org/", "doi:"):
        if doi.lower().startswith(prefix):
            doi = doi[len(prefix) :]
    return doi


def paper_from_entry(entry: Entry) -> tuple[Paper, bool]:
    """(paper, whether its id is an arXiv id)."""
    if _CONTROL.search(entry.key):
        raise RecordError(f"entry key {entry.key!r} contains a control character")
    raw_title = _field(entry, "title")
    if raw_title is None or not clean_title(raw_title):
        raise RecordError(f"entry {entry.key!r} has no title")
    title = clean_title(raw_title)
    authors = bibtex_authors(_field(entry, "author") or _field(entry, "editor") or "")
    doi = _doi(entry)
    arxiv_id = arxiv_id_of(entry)
    venue = _field(entry, "journal") or _field(entry, "booktitle")
    year = _field(entry, "year")
    journal_ref = ", ".join(part for part in (venue, year) if part) or None
    primary = _field(entry, "primaryclass")
    paper = Paper(
        arxiv_id=arxiv_id or local_id(title, authors, doi),
        # Version 0: "not read from arXiv yet", so any arXiv record of the paper is newer
        # and replaces what the BibTeX entry said (its author list may end in "and others").
        latest_version=0 if arxiv_id else 1,
        title=title,
        abstract=collapse_whitespace(latex_to_unicode(_field(entry, "abstract") or "")),
        authors=authors,
        categories=normalise_categories(primary or ""),
        journal_ref=latex_to_unicode(journal_ref) if journal_ref else None,
        doi=doi,
        comment=f"BibTeX entry {entry.key}",
        source=SOURCE_LABEL,
    )
    return paper, arxiv_id is not None


class BibtexSource:
    """The entries of one .bib file; the whole file is one batch (it is small)."""

    def __init__(
        self, path: Path, *, find_match: FindMatch | None = None, is_stored: IsStored | None = None
    ) -> None:
        self.path = path.expanduser().resolve()
        if not self.path.is_file():
            raise IngestError(f"{path}: no such file")
        self.name = source_name(SOURCE_LABEL, str(self.path))
        self.find_match = find_match
        self.is_stored = is_stored

    def _read(self) -> BibtexLibrary:
        try:
            text = self.path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise IngestError(f"{self.path}: not UTF-8 text ({error.reason})") from error
        return _parse_quietly(text)

    def _is_known(self, paper: Paper, named_arxiv_id: bool) -> bool:
        """Whether the entry is a paper the store already has (it is then not stored again)."""
        if named_arxiv_id:
            return self.is_stored is not None and self.is_stored(paper.arxiv_id)
        if self.find_match is None:
            return False
        # Finding the entry's own local record is loading the file again, not a match.
        match = self.find_match(paper.doi, paper.title)
        return match is not None and match != paper.arxiv_id

    def batches(self, checkpoint: str | None, batch_size: int) -> Iterator[Batch]:
        library = self._read()
        batch = Batch([])
        for block in library.failed_blocks:
            where = f"{self.path}:{(block.start_line or 0) + 1}"
            if isinstance(block, DuplicateBlockKeyBlock):
                problem = f"duplicate entry key {block.key!r} (the first entry is kept)"
            else:
                error = getattr(block, "error", None)
                reason = getattr(error, "abort_reason", None) or str(error or "")
                detail = collapse_whitespace(reason)
                problem = f"not valid BibTeX ({detail or 'unparseable block'})"
            batch.rejected.append(RejectedRecord(where, problem))
        seen: set[str] = set()
        for entry in library.entries:
            where = f"{self.path}:{(entry.start_line or 0) + 1}"
            try:
                paper, named_arxiv_id = paper_from_entry(entry)
            except RecordError as error:
                batch.rejected.append(RejectedRecord(where, str(error)))
                continue
            if paper.arxiv_id in seen or self._is_known(paper, named_arxiv_id):
                batch.matched += 1
                continue
            seen.add(paper.arxiv_id)
            batch.papers.append(paper)
        batch.rejected.sort(key=lambda record: _line_of(record.location))
        batch.checkpoint = None
        yield batch


def _parse_quietly(text: str) -> BibtexLibrary:
    # bibtexparser also logs each failed block; the callers report them themselves.
    parser_log = logging.getLogger("bibtexparser")
    level = parser_log.level
    parser_log.setLevel(logging.ERROR)
    try:
        return parse_string(text)
    finally:
        parser_log.setLevel(level)


def library_records(text: str, name: str) -> list[LibraryRecord]:
    """The entries of a user's .bib export as library records (ingest/library_records.py).

    Stricter than loading a file into the catalog: a block that is not valid BibTeX refuses
    the whole file, naming its line, since an import stores all of a library or nothing. A
    repeated key or an entry without a title is kept as a skipped record with its reason.
    """
    library = _parse_quietly(text)
    records: list[LibraryRecord] = []
    for block in library.failed_blocks:
        line = (block.start_line or 0) + 1
        if isinstance(block, DuplicateBlockKeyBlock):
            records.append(
                LibraryRecord(f"line {line}", "", skip_reason=f"duplicate key {block.key!r}")
            )
            continue
        error = getattr(block, "error", None)
        reason = collapse_whitespace(getattr(error, "abort_reason", None) or str(error or ""))
        raise LibraryFileError(f"{name}: line {line}: not valid BibTeX ({reason or 'unparseable'})")
    for entry in library.entries:
        where = f"line {(entry.start_line or 0) + 1}"
        raw_title = _field_or_refuse(entry, "title", name, where)
        if raw_title is None or not clean_title(raw_title):
            records.append(
                LibraryRecord(where, "", skip_reason=f"entry {entry.key!r} has no title")
            )
            continue
        try:
            paper, named_arxiv_id = paper_from_entry(entry)
        except RecordError as error:
            raise LibraryFileError(f"{name}: {where}: {error}") from None
        arxiv_id = paper.arxiv_id if named_arxiv_id else None
        records.append(
            LibraryRecord(where, paper.title, paper.abstract, paper.authors, paper.doi, arxiv_id)
        )
    records.sort(key=lambda record: _line_of(record.location.replace(" ", ":")))
    return check_count(records, name)


def _field_or_refuse(entry: Entry, field: str, name: str, where: str) -> str | None:
    try:
        return _field(entry, field)
    except RecordError as error:
        raise LibraryFileError(f"{name}: {where}: {error}") from None


def _line_of(location: str) -> int:
    tail = location.rpartition(":")[2]
    return int(tail) if tail.isdigit() else 0
