"""Reading a library file of any supported format: size limit, format choice, then its parser."""

from __future__ import annotations

import tempfile
from pathlib import Path

from likewise.ingest.bibtex import library_records as bibtex_records
from likewise.ingest.library_records import (
    FORMATS,
    MAX_LIBRARY_BYTES,
    SQLITE_HEADER,
    LibraryFileError,
    LibraryRecord,
    decode_text,
    detect_format,
    parse_csl_json,
    parse_ris,
)
from likewise.ingest.zotero import read_zotero


def read_library_bytes(
    data: bytes, name: str, format: str = "auto"
) -> tuple[str, list[LibraryRecord]]:
    """(format, records) of a file's content; `format` "auto" detects it."""
    if len(data) > MAX_LIBRARY_BYTES:
        raise LibraryFileError(
            f"{name}: {len(data):,} bytes, over the limit of {MAX_LIBRARY_BYTES:,}"
        )
    if not data.strip():
        raise LibraryFileError(f"{name}: the file is empty")
    kind = detect_format(data, name) if format == "auto" else format
    if kind not in FORMATS:
        raise LibraryFileError(f"unknown format {format!r}; choose from {', '.join(FORMATS)}")
    if kind == "zotero":
        if not data.startswith(SQLITE_HEADER):
            raise LibraryFileError(
                f"{name}: not a SQLite database (a Zotero install's zotero.sqlite)"
            )
        # sqlite3 reads files only; the copy lives as long as the reading.
        with tempfile.TemporaryDirectory(prefix="likewise-zotero-") as folder:
            copy = Path(folder) / "zotero.sqlite"
            copy.write_bytes(data)
            return kind, read_zotero(copy, name)
    text = decode_text(data, name)
    if kind == "bibtex":
        return kind, bibtex_records(text, name)
    if kind == "ris":
        return kind, parse_ris(text, name)
    return kind, parse_csl_json(text, name)


def read_library_file(path: Path, format: str = "auto") -> tuple[str, list[LibraryRecord]]:
    """(format, records) of a file on disk; a Zotero database is read in place."""
    resolved = path.expanduser()
    if not resolved.is_file():
        raise LibraryFileError(f"{path}: no such file")
    size = resolved.stat().st_size
    if size > MAX_LIBRARY_BYTES:
        raise LibraryFileError(
            f"{path.name}: {size:,} bytes, over the limit of {MAX_LIBRARY_BYTES:,}"
        )
    with resolved.open("rb") as handle:
        head = handle.read(len(SQLITE_HEADER))
    if head == SQLITE_HEADER and format in ("auto", "zotero"):
        return "zotero", read_zotero(resolved, path.name)
    return read_library_bytes(resolved.read_bytes(), path.name, format)
