"""A user's own library file read into plain records: format detection, RIS and CSL-JSON.

BibTeX is read by ingest/bibtex.py and a Zotero database by ingest/zotero.py; all four give
`LibraryRecord`s. A file that cannot be read as a whole (binary junk, a broken entry, the
wrong format, too large) raises `LibraryFileError` naming the entry or line, so that an import
stores nothing rather than half a library.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from likewise.ingest.ids import InvalidArxivIdError, find_arxiv_id, parse_arxiv_id
from likewise.ingest.text import clean_title, collapse_whitespace

FORMATS = ("bibtex", "ris", "csl-json", "zotero")
# A Zotero database of ~10,000 items with abstracts is about 30 MB; text exports are smaller.
MAX_LIBRARY_BYTES = 64 * 1024 * 1024
MAX_ENTRIES = 20_000
SQLITE_HEADER = b"SQLite format 3\x00"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/")
_EXTENSIONS = {
    ".bib": "bibtex",
    ".bibtex": "bibtex",
    ".ris": "ris",
    ".json": "csl-json",
    ".sqlite": "zotero",
    ".db": "zotero",
}


class LibraryFileError(ValueError):
    """The file cannot be imported as a whole; the message names the entry or line."""


@dataclass(frozen=True, slots=True)
class LibraryRecord:
    """One entry of a library file, as the file gives it (nothing matched yet)."""

    location: str  # "line 12", "item 3", "Zotero item 57": where a person finds it
    title: str
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    doi: str | None = None
    arxiv_id: str | None = None
    skip_reason: str | None = None  # set for a well-formed entry that cannot be used


def clean_doi(value: str | None) -> str | None:
    """A bare DOI (``10.1234/x``) from the forms exports use (URL, ``doi:``), or None."""
    if not value:
        return None
    doi = collapse_whitespace(value)
    lowered = doi.lower()
    for prefix in (*_DOI_PREFIXES, "doi:"):
        if lowered.startswith(prefix):
            doi = doi[len(prefix) :].strip()
            break
    return doi if doi.startswith("10.") else None


def arxiv_id_in(*texts: str | None) -> str | None:
    """The first arXiv id named in any of the texts: a bare id, an arxiv.org URL, a DOI
    10.48550/arXiv.*, or "arXiv:..." in free text."""
    for text in texts:
        if not text:
            continue
        try:
            return parse_arxiv_id(text.strip()).bare
        except InvalidArxivIdError:
            pass
        found = find_arxiv_id(text)
        if found:
            return found.bare
    return None


def checked_text(value: object, where: str, name: str) -> str:
    """A field's text with whitespace collapsed; a control character or a non-string refuses
    the file (no database stores NUL, and such bytes mean the file is not what it claims)."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise LibraryFileError(f"{where}: field {name!r} is not text")
    control = _CONTROL.search(value)
    if control:
        code = f"U+{ord(control.group()):04X}"
        raise LibraryFileError(f"{where}: field {name!r} contains a control character ({code})")
    return collapse_whitespace(value)


def make_record(
    where: str,
    title: str,
    abstract: str,
    authors: list[str],
    doi: str | None,
    arxiv_id: str | None,
) -> LibraryRecord:
    """A record, or a skipped one when it has no title to show or match by."""
    cleaned = clean_title(title) if title else ""
    reason = None if cleaned or arxiv_id else "no title"
    return LibraryRecord(where, cleaned, abstract, authors, doi, arxiv_id, reason)


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 text (a byte-order mark is dropped); binary junk is refused here."""
    if b"\x00" in data[:65536]:
        raise LibraryFileError(f"{name}: binary data, not a text export")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise LibraryFileError(f"{name}: line {line}: not UTF-8 text ({error.reason})") from None


def detect_format(data: bytes, name: str) -> str:
    """The format of a library file from its content, else from its name's extension."""
    if data.startswith(SQLITE_HEADER):
        return "zotero"
    head = data[:65536].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"[", b"{"):
        return "csl-json"
    if re.search(rb"^\s*TY  - ", head[:4096], re.MULTILINE):
        return "ris"
    if re.search(rb"^\s*@\s*[A-Za-z]+\s*[{(]", head, re.MULTILINE):
        return "bibtex"
    lowered = name.lower()
    for extension, kind in _EXTENSIONS.items():
        if lowered.endswith(extension):
            return kind
    raise LibraryFileError(
        f"{name}: cannot tell the format (not BibTeX, RIS, CSL-JSON or a Zotero database); "
        "name it with --format"
    )


def check_count(records: list[LibraryRecord], name: str) -> list[LibraryRecord]:
    if not records:
        raise LibraryFileError(f"{name}: no entries found")
    if len(records) > MAX_ENTRIES:
        raise LibraryFileError(f"{name}: {len(records):,} entries, over {MAX_ENTRIES:,}")
    return records


# -- RIS ---------------------------------------------------------------------------------------
_RIS_LINE = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")
_RIS_TITLE = ("TI", "T1", "CT", "BT")
_RIS_ABSTRACT = ("AB", "N2")
_RIS_AUTHORS = ("AU", "A1")
_RIS_ID_FIELDS = ("UR", "L1", "L2", "DO", "AN", "M1", "N1", "ID", "JO", "JF", "T2", "SN")


def _ris_record(tags: dict[str, list[str]], where: str) -> LibraryRecord:
    def first(*names: str) -> str:
        return next((tags[name][0] for name in names if tags.get(name)), "")

    authors = [author for name in _RIS_AUTHORS for author in tags.get(name, [])]
    # RIS names are "Last, First"; the catalog's are "First Last".
    shown = [" ".join(reversed([part.strip() for part in a.split(",", 1)])) for a in authors]
    doi = clean_doi(first("DO"))
    arxiv_id = arxiv_id_in(*(value for name in _RIS_ID_FIELDS for value in tags.get(name, [])))
    return make_record(where, first(*_RIS_TITLE), first(*_RIS_ABSTRACT), shown, doi, arxiv_id)


def parse_ris(text: str, name: str) -> list[LibraryRecord]:
    """Records of an RIS file: each from ``TY  -`` to ``ER  -``; an untagged line inside a
    record continues the previous field (exporters wrap long abstracts)."""
    records: list[LibraryRecord] = []
    tags: dict[str, list[str]] | None = None
    start = 0
    last_tag = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        match = _RIS_LINE.match(line.lstrip("\ufeff"))
        if match is None:
            if not line.strip():
                continue
            if tags is None or not last_tag:
                raise LibraryFileError(f"{name}: line {number}: not an RIS line: {line[:60]!r}")
            tags[last_tag][-1] += " " + checked_text(line, f"{name}: line {number}", last_tag)
            continue
        tag, value = match.group(1), match.group(2) or ""
        if tag == "TY":
            if tags is not None:
                raise LibraryFileError(f"{name}: line {start}: record has no ER line before TY")
            tags, start, last_tag = {}, number, ""
            continue
        if tags is None:
            raise LibraryFileError(f"{name}: line {number}: {tag} outside a record (no TY)")
        if tag == "ER":
            records.append(_ris_record(tags, f"line {start}"))
            tags, last_tag = None, ""
            continue
        tags.setdefault(tag, []).append(checked_text(value, f"{name}: line {number}", tag))
        last_tag = tag
    if tags is not None:
        raise LibraryFileError(f"{name}: line {start}: record is not closed by an ER line")
    return check_count(records, name)


# -- CSL-JSON ----------------------------------------------------------------------------------
def _csl_authors(value: object, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise LibraryFileError(f"{where}: 'author' is not a list")
    names = []
    for person in value:
        if not isinstance(person, dict):
            raise LibraryFileError(f"{where}: an author is not an object")
        if person.get("literal"):
            names.append(checked_text(person["literal"], where, "author"))
            continue
        parts = (checked_text(person.get(key), where, "author") for key in ("given", "family"))
        joined = " ".join(part for part in parts if part)
        if joined:
            names.append(joined)
    return names


def _csl_record(item: object, where: str) -> LibraryRecord:
    if not isinstance(item, dict):
        raise LibraryFileError(f"{where}: not a JSON object")
    text = {
        key: checked_text(item.get(key), where, key)
        for key in ("title", "abstract", "DOI", "URL", "number", "note", "archive_location")
    }
    doi = clean_doi(text["DOI"])
    arxiv_id = arxiv_id_in(
        text["number"] if "arxiv" in text["URL"].lower() else "",
        text["URL"],
        text["DOI"],
        text["archive_location"],
        text["note"],
    )
    authors = _csl_authors(item.get("author"), where)
    return make_record(where, text["title"], text["abstract"], authors, doi, arxiv_id)


def parse_csl_json(text: str, name: str) -> list[LibraryRecord]:
    """Records of a CSL-JSON file: a list of items (or one item, or {"items": [...]})."""
    try:
        value: Any = json.loads(text)
    except json.JSONDecodeError as error:
        raise LibraryFileError(
            f"{name}: line {error.lineno}, column {error.colno}: not valid JSON ({error.msg})"
        ) from None
    except RecursionError:
        raise LibraryFileError(f"{name}: JSON nested too deeply to be a CSL-JSON list") from None
    if isinstance(value, dict):
        value = value.get("items", [value])
    if not isinstance(value, list):
        raise LibraryFileError(f"{name}: CSL-JSON is a list of items, found {type(value).__name__}")
    try:
        records = [_csl_record(item, f"item {number}") for number, item in enumerate(value, 1)]
    except LibraryFileError as error:
        raise LibraryFileError(f"{name}: {error}") from None
    return check_count(records, name)
