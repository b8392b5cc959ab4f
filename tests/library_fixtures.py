"""Fixtures of the library-import tests: the exported files, a zotero.sqlite built with Zotero's
own schema, and a small catalog of real arXiv papers (the first lines of arxiv-daily-cs).

The four files describe the same eight works: three named by arXiv id (eprint, an arxiv.org
URL, a 10.48550/arXiv DOI), one by title only, Shannon 1948 by DOI, two papers outside the
catalog with an abstract, and a book with neither id nor abstract.
"""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

from likewise.ingest.bibtex import local_id
from likewise.library import Library
from likewise.models import Paper

LIBRARY_DATA = Path(__file__).resolve().parent / "data" / "library"
PAPERS = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "arxiv-daily-cs" / "papers.jsonl.gz"
)
SHANNON_DOI = "10.1002/j.1538-7305.1948.tb01338.x"
MATCHED_BY_ID = {"2503.11685", "2503.11692", "2503.11742"}
MATCHED_BY_TITLE = "2503.11750"
CATALOG_SHANNON = local_id("A Mathematical Theory of Communication", ["Claude E. Shannon"], None)

# Zotero's userdata schema (resource/schema/userdata.sql), the tables and columns read here.
_ZOTERO_SCHEMA = """
CREATE TABLE libraries (libraryID INTEGER PRIMARY KEY, type TEXT NOT NULL, editable INT NOT NULL,
    filesEditable INT NOT NULL, version INT NOT NULL DEFAULT 0, storageVersion INT NOT NULL
    DEFAULT 0, lastSync INT NOT NULL DEFAULT 0, archived INT NOT NULL DEFAULT 0);
CREATE TABLE itemTypes (itemTypeID INTEGER PRIMARY KEY, typeName TEXT, templateItemTypeID INT,
    display INT DEFAULT 1);
CREATE TABLE fields (fieldID INTEGER PRIMARY KEY, fieldName TEXT, fieldFormatID INT);
CREATE TABLE items (itemID INTEGER PRIMARY KEY, itemTypeID INT NOT NULL,
    dateAdded TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    dateModified TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    clientDateModified TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    libraryID INT NOT NULL, key TEXT NOT NULL, version INT NOT NULL DEFAULT 0,
    synced INT NOT NULL DEFAULT 0, UNIQUE (libraryID, key),
    FOREIGN KEY (libraryID) REFERENCES libraries(libraryID) ON DELETE CASCADE);
CREATE TABLE itemDataValues (valueID INTEGER PRIMARY KEY, value UNIQUE);
CREATE TABLE itemData (itemID INT, fieldID INT, valueID, PRIMARY KEY (itemID, fieldID),
    FOREIGN KEY (itemID) REFERENCES items(itemID) ON DELETE CASCADE,
    FOREIGN KEY (valueID) REFERENCES itemDataValues(valueID));
CREATE TABLE itemNotes (itemID INTEGER PRIMARY KEY, parentItemID INT, note TEXT, title TEXT,
    FOREIGN KEY (itemID) REFERENCES items(itemID) ON DELETE CASCADE);
CREATE TABLE itemAttachments (itemID INTEGER PRIMARY KEY, parentItemID INT, linkMode INT,
    contentType TEXT, charsetID INT, path TEXT, syncState INT DEFAULT 0,
    FOREIGN KEY (itemID) REFERENCES items(itemID) ON DELETE CASCADE);
CREATE TABLE creators (creatorID INTEGER PRIMARY KEY, firstName TEXT, lastName TEXT,
    fieldMode INT, UNIQUE (lastName, firstName, fieldMode));
CREATE TABLE itemCreators (itemID INT NOT NULL, creatorID INT NOT NULL,
    creatorTypeID INT NOT NULL DEFAULT 1, orderIndex INT NOT NULL DEFAULT 0,
    PRIMARY KEY (itemID, creatorID, creatorTypeID, orderIndex), UNIQUE (itemID, orderIndex),
    FOREIGN KEY (itemID) REFERENCES items(itemID) ON DELETE CASCADE,
    FOREIGN KEY (creatorID) REFERENCES creators(creatorID) ON DELETE CASCADE);
CREATE TABLE deletedItems (itemID INTEGER PRIMARY KEY,
    dateDeleted DEFAULT CURRENT_TIMESTAMP NOT NULL,
    FOREIGN KEY (itemID) REFERENCES items(itemID) ON DELETE CASCADE);
"""
_TYPES = {"preprint": 31, "journalArticle": 22, "conferencePaper": 11, "book": 7}
_TYPES |= {"note": 28, "attachment": 3}
_FIELDS = {"title": 1, "abstractNote": 2, "url": 13, "extra": 16, "publicationTitle": 38}
_FIELDS |= {"DOI": 59, "archiveID": 120, "number": 121, "publisher": 8}
ABSTRACT_RESNET = (
    "Deeper neural networks are more difficult to train. We present a residual learning "
    "framework to ease the training of networks that are substantially deeper than those "
    "used previously."
)
ABSTRACT_ATTENTION = (
    "The dominant sequence transduction models are based on complex recurrent or "
    "convolutional neural networks. We propose a new simple network architecture, the "
    "Transformer, based solely on attention mechanisms."
)
# (item type, fields, [(first name, last name)]) in Zotero's order.
ZOTERO_ITEMS: list[tuple[str, dict[str, str], list[tuple[str, str]]]] = [
    (
        "preprint",
        {
            "title": "CORDIC Is All You Need",
            "archiveID": "arXiv:2503.11685",
            "url": "http://arxiv.org/abs/2503.11685",
            "publisher": "arXiv",
        },
        [("Omkar", "Kokane"), ("Adam", "Teman")],
    ),
    (
        "preprint",
        {
            "title": "FloPE: Flower Pose Estimation for Precision Pollination",
            "url": "https://arxiv.org/abs/2503.11692v1",
        },
        [("Rashik", "Shrestha")],
    ),
    (
        "journalArticle",
        {
            "title": "Safe Vision-Language Models via Unsafe Weights Manipulation",
            "DOI": "10.48550/arXiv.2503.11742",
        },
        [("Moreno", "D'Incà")],
    ),
    (
        "conferencePaper",
        {
            "title": "Making every step effective --- jailbreaking large vision-language "
            "models through hierarchical KV equalization"
        },
        [("Shuyang", "Hao")],
    ),
    (
        "journalArticle",
        {
            "title": "A Mathematical Theory of Communication, Part I",
            "DOI": SHANNON_DOI,
            "publicationTitle": "Bell System Technical Journal",
        },
        [("C. E.", "Shannon")],
    ),
    (
        "conferencePaper",
        {
            "title": "Attention is All you Need",
            "abstractNote": ABSTRACT_ATTENTION,
            "extra": "arXiv: 1706.03762",
        },
        [("Ashish", "Vaswani")],
    ),
    (
        "conferencePaper",
        {
            "title": "Deep Residual Learning for Image Recognition",
            "abstractNote": ABSTRACT_RESNET,
            "extra": "DOI: 10.1109/CVPR.2016.90",
        },
        [("Kaiming", "He"), ("Jian", "Sun")],
    ),
    (
        "book",
        {"title": "The Art of Computer Programming, Volume 1: Fundamental Algorithms"},
        [("Donald E.", "Knuth")],
    ),
]


def write_zotero_sqlite(path: Path, *, trash_title: str = "A draft I threw away") -> Path:
    """A zotero.sqlite holding ZOTERO_ITEMS, plus a note, a PDF attachment and an item in the
    trash (which must all be left out)."""
    connection = sqlite3.connect(path)
    try:
        connection.executescript(_ZOTERO_SCHEMA)
        connection.execute("INSERT INTO libraries VALUES (1, 'user', 1, 1, 0, 0, 0, 0)")
        connection.executemany(
            "INSERT INTO itemTypes (itemTypeID, typeName) VALUES (?, ?)",
            [(number, name) for name, number in _TYPES.items()],
        )
        connection.executemany(
            "INSERT INTO fields (fieldID, fieldName) VALUES (?, ?)",
            [(number, name) for name, number in _FIELDS.items()],
        )
        values: dict[str, int] = {}
        item_id = 0

        def add(kind: str, fields: dict[str, str], creators: list[tuple[str, str]]) -> int:
            nonlocal item_id
            item_id += 1
            connection.execute(
                "INSERT INTO items (itemID, itemTypeID, libraryID, key) VALUES (?, ?, 1, ?)",
                (item_id, _TYPES[kind], f"KEY{item_id:05d}"),
            )
            for name, value in fields.items():
                if value not in values:
                    values[value] = len(values) + 1
                    connection.execute(
                        "INSERT INTO itemDataValues VALUES (?, ?)", (values[value], value)
                    )
                connection.execute(
                    "INSERT INTO itemData VALUES (?, ?, ?)",
                    (item_id, _FIELDS[name], values[value]),
                )
            for order, (first, last) in enumerate(creators):
                connection.execute(
                    "INSERT OR IGNORE INTO creators (firstName, lastName, fieldMode) "
                    "VALUES (?, ?, 0)",
                    (first, last),
                )
                (creator,) = connection.execute(
                    "SELECT creatorID FROM creators WHERE firstName = ? AND lastName = ?",
                    (first, last),
                ).fetchone()
                connection.execute(
                    "INSERT INTO itemCreators VALUES (?, ?, 1, ?)", (item_id, creator, order)
                )
            return item_id

        for kind, fields, creators in ZOTERO_ITEMS:
            add(kind, fields, creators)
        note = add("note", {}, [])
        connection.execute(
            "INSERT INTO itemNotes VALUES (?, 1, '<p>Read section 3 again</p>', 'Read again')",
            (note,),
        )
        pdf = add(
            "attachment", {"title": "Full Text PDF", "url": "https://arxiv.org/pdf/2503.11685"}, []
        )
        connection.execute(
            "INSERT INTO itemAttachments (itemID, parentItemID, linkMode, contentType, path) "
            "VALUES (?, 1, 1, 'application/pdf', 'storage:2503.11685.pdf')",
            (pdf,),
        )
        trashed = add(
            "journalArticle",
            {"title": trash_title, "abstractNote": "Never mind this one."},
            [],
        )
        connection.execute("INSERT INTO deletedItems (itemID) VALUES (?)", (trashed,))
        connection.commit()
    finally:
        connection.close()
    return path


def write_slice(target: Path, lines: int = 60) -> Path:
    with gzip.open(PAPERS, "rt", encoding="utf-8") as source:
        taken = [line for _, line in zip(range(lines), source, strict=False)]
    target.write_text("".join(taken), "utf-8")
    return target


def load_catalog(library: Library, folder: Path, lines: int = 60) -> None:
    """The first `lines` real papers, plus Shannon's 1948 paper with its DOI (the shared data
    carries no DOIs) as a BibTeX-loaded catalog paper would be stored."""
    summary = library.catalog.ingest(
        library.catalog.file_source(write_slice(folder / "slice.jsonl", lines))
    )
    assert summary.error is None, summary.error
    shannon = Paper(
        arxiv_id=CATALOG_SHANNON,
        title="A Mathematical Theory of Communication",
        abstract="The fundamental problem of communication is that of reproducing at one point "
        "either exactly or approximately a message selected at another point.",
        authors=["Claude E. Shannon"],
        doi=SHANNON_DOI,
        source="bibtex",
    )
    library.store.upsert_papers([shannon], source="test")
