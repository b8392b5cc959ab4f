"""The items of a Zotero install's ``zotero.sqlite``, read in place, read-only, as library records.

The database is opened immutable (``mode=ro&immutable=1``): nothing is written and Zotero's
own lock on a running install does not matter. Items in the trash (``deletedItems``), notes,
attachments and annotations are left out; fields come through Zotero's entity-attribute-value
tables (items, itemTypes, itemData, itemDataValues, fields, creators, itemCreators).
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

from likewise.ingest.library_records import (
    LibraryFileError,
    LibraryRecord,
    arxiv_id_in,
    check_count,
    checked_text,
    clean_doi,
    make_record,
)

_NOT_PAPERS = ("note", "attachment", "annotation")
_NEEDED = {"items", "itemTypes", "itemData", "itemDataValues", "fields", "deletedItems"}
# Item types whose title lives in another base field (Zotero maps them onto "title").
_TITLE_FIELDS = ("title", "caseName", "nameOfAct", "subject")
_ID_FIELDS = ("archiveID", "url", "DOI", "extra", "number", "publicationTitle")
_USED = {*_TITLE_FIELDS, *_ID_FIELDS, "abstractNote"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_ITEMS = """
SELECT items.itemID FROM items JOIN itemTypes ON itemTypes.itemTypeID = items.itemTypeID
WHERE itemTypes.typeName NOT IN (?, ?, ?)
  AND items.itemID NOT IN (SELECT itemID FROM deletedItems)
ORDER BY items.itemID
"""
_FIELDS = """
SELECT itemData.itemID, fields.fieldName, itemDataValues.value
FROM itemData
JOIN fields ON fields.fieldID = itemData.fieldID
JOIN itemDataValues ON itemDataValues.valueID = itemData.valueID
"""
_CREATORS = """
SELECT itemCreators.itemID, creators.firstName, creators.lastName
FROM itemCreators JOIN creators ON creators.creatorID = itemCreators.creatorID
ORDER BY itemCreators.itemID, itemCreators.orderIndex
"""


def _connect(path: Path) -> sqlite3.Connection:
    uri = f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1"
    try:
        connection = sqlite3.connect(uri, uri=True)
        names = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
    except sqlite3.DatabaseError as error:
        raise LibraryFileError(f"{path.name}: not a SQLite database ({error})") from None
    missing = sorted(_NEEDED - names)
    if missing:
        connection.close()
        raise LibraryFileError(
            f"{path.name}: not a Zotero database (no table {', '.join(missing)})"
        )
    return connection


def read_zotero(path: Path, name: str | None = None) -> list[LibraryRecord]:
    """The library's items in Zotero's own order (item id), trash, notes and attachments out."""
    shown = name or path.name
    connection = _connect(path)
    try:
        item_ids = [int(row[0]) for row in connection.execute(_ITEMS, _NOT_PAPERS)]
        wanted = set(item_ids)
        fields: dict[int, dict[str, object]] = defaultdict(dict)
        for item_id, field_name, value in connection.execute(_FIELDS):
            if item_id in wanted:
                fields[item_id][str(field_name)] = value
        creators: dict[int, list[str]] = defaultdict(list)
        if _has_table(connection, "itemCreators"):
            for item_id, first, last in connection.execute(_CREATORS):
                if item_id in wanted:
                    creators[item_id].append(" ".join(str(p) for p in (first, last) if p))
    except sqlite3.DatabaseError as error:
        raise LibraryFileError(f"{shown}: unreadable Zotero database ({error})") from None
    finally:
        connection.close()
    records = [_record(item, fields[item], creators[item], shown) for item in item_ids]
    return check_count(records, shown)


def _has_table(connection: sqlite3.Connection, table: str) -> bool:
    query = "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?"
    return connection.execute(query, (table,)).fetchone() is not None


def _record(
    item_id: int, values: dict[str, object], authors: list[str], name: str
) -> LibraryRecord:
    where = f"Zotero item {item_id}"
    # Text pasted into Zotero may hold stray control characters; a database Zotero itself
    # wrote is not a malformed file, so they become spaces here instead of refusing it.
    text = {
        key: checked_text(_CONTROL.sub(" ", str(value)), f"{name}: {where}", key)
        for key, value in values.items()
        if key in _USED and value is not None
    }
    authors = [_CONTROL.sub(" ", author) for author in authors]
    title = next((text[key] for key in _TITLE_FIELDS if text.get(key)), "")
    doi = clean_doi(text.get("DOI")) or _doi_in_extra(text.get("extra", ""))
    arxiv_id = arxiv_id_in(*(text.get(key) for key in _ID_FIELDS))
    return make_record(where, title, text.get("abstractNote", ""), authors, doi, arxiv_id)


def _doi_in_extra(extra: str) -> str | None:
    """Zotero keeps fields its item type lacks in "extra" as "DOI: 10.…" lines."""
    marker = extra.lower().find("doi:")
    if marker < 0:
        return None
    return clean_doi(extra[marker + 4 :].split()[0] if extra[marker + 4 :].split() else None)
