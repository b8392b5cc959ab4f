"""A user's library file in each format: the same works come out, the format is detected, and
a broken file is refused whole with the entry or line named."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from library_fixtures import LIBRARY_DATA, SHANNON_DOI, write_zotero_sqlite
from likewise.ingest import library_files
from likewise.ingest.library_files import read_library_bytes, read_library_file
from likewise.ingest.library_records import LibraryFileError, LibraryRecord

EXPECTED_ARXIV_IDS = [
    "2503.11685",
    "2503.11692",
    "2503.11742",
    None,
    None,
    "1706.03762",
    None,
    None,
]
EXPECTED_DOIS = {SHANNON_DOI, "10.1109/cvpr.2016.90", "10.48550/arxiv.2503.11742"}


@pytest.fixture
def zotero_file(tmp_path: Path) -> Path:
    return write_zotero_sqlite(tmp_path / "zotero.sqlite")


def _files(zotero: Path) -> dict[str, Path]:
    return {
        "bibtex": LIBRARY_DATA / "my-library.bib",
        "ris": LIBRARY_DATA / "my-library.ris",
        "csl-json": LIBRARY_DATA / "my-library.json",
        "zotero": zotero,
    }


def _usable(records: list[LibraryRecord]) -> list[LibraryRecord]:
    return [record for record in records if record.skip_reason is None]


@pytest.mark.parametrize("kind", ["bibtex", "ris", "csl-json", "zotero"])
def test_every_format_gives_the_same_eight_works(kind: str, zotero_file: Path) -> None:
    detected, records = read_library_file(_files(zotero_file)[kind])
    assert detected == kind
    assert len(records) == 8
    assert [record.arxiv_id for record in records] == EXPECTED_ARXIV_IDS
    assert {(record.doi or "").lower() for record in records} - {""} >= EXPECTED_DOIS - {
        "10.48550/arxiv.2503.11742"
    }
    titles = [record.title for record in records]
    assert titles[0] == "CORDIC Is All You Need"
    assert titles[4] == "A Mathematical Theory of Communication, Part I"
    assert titles[7].startswith("The Art of Computer Programming")
    resnet = records[6]
    assert resnet.abstract.startswith("Deeper neural networks are more difficult to train.")
    assert resnet.authors[0] == "Kaiming He"
    assert records[7].abstract == ""


def test_a_wrapped_ris_abstract_is_read_as_one_text() -> None:
    _, records = read_library_file(LIBRARY_DATA / "my-library.ris")
    attention = records[5]
    assert "recurrent or convolutional neural networks. We propose" in attention.abstract
    assert attention.authors == ["Ashish Vaswani", "Noam Shazeer"]


@pytest.mark.parametrize("kind", ["bibtex", "ris", "csl-json", "zotero"])
def test_the_format_is_told_by_content_whatever_the_file_is_called(
    kind: str, zotero_file: Path, tmp_path: Path
) -> None:
    renamed = tmp_path / "export.txt"
    shutil.copy(_files(zotero_file)[kind], renamed)
    assert read_library_file(renamed)[0] == kind


def test_zotero_leaves_out_the_trash_notes_and_attachments(tmp_path: Path) -> None:
    path = write_zotero_sqlite(tmp_path / "zotero.sqlite", trash_title="Thrown away")
    _, records = read_library_file(path)
    titles = [record.title for record in records]
    assert "Thrown away" not in titles and "Full Text PDF" not in titles
    assert len(titles) == 8
    assert [record.location for record in records][:2] == ["Zotero item 1", "Zotero item 2"]


def test_zotero_reads_a_database_another_process_holds_locked_and_writes_nothing(
    zotero_file: Path,
) -> None:
    before = zotero_file.read_bytes()
    holder = sqlite3.connect(zotero_file)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        _, records = read_library_file(zotero_file)
    finally:
        holder.rollback()
        holder.close()
    assert len(records) == 8
    assert zotero_file.read_bytes() == before
    assert not list(zotero_file.parent.glob("zotero.sqlite-*"))


def test_an_uploaded_zotero_database_is_read_from_its_bytes(zotero_file: Path) -> None:
    kind, records = read_library_bytes(zotero_file.read_bytes(), "zotero.sqlite")
    assert kind == "zotero" and len(records) == 8


def test_a_broken_bibtex_entry_refuses_the_file_naming_its_line() -> None:
    text = (LIBRARY_DATA / "my-library.bib").read_text()
    broken = text.replace("@book{knuth_art_1997,", "@book{knuth_art_1997,\n\ttitle = {Unclosed,")
    line = broken.splitlines().index("@book{knuth_art_1997,") + 1
    with pytest.raises(LibraryFileError, match=rf"mine\.bib: line {line}: not valid BibTeX"):
        read_library_bytes(broken.encode(), "mine.bib")


def test_a_duplicate_bibtex_key_is_skipped_with_its_reason() -> None:
    text = (LIBRARY_DATA / "my-library.bib").read_text()
    doubled = text + "\n@misc{he_deep_2016, title = {Again}}\n"
    _, records = read_library_bytes(doubled.encode(), "mine.bib")
    assert records[-1].skip_reason == "duplicate key 'he_deep_2016'"
    assert len(_usable(records)) == 8


def test_an_unclosed_ris_record_names_the_line_it_starts_on() -> None:
    text = "TY  - JOUR\nTI  - One\nER  - \n\nTY  - JOUR\nTI  - Two\n"
    with pytest.raises(LibraryFileError, match=r"x\.ris: line 5: record is not closed by an ER"):
        read_library_bytes(text.encode(), "x.ris")


def test_an_ris_line_outside_a_record_is_named() -> None:
    text = "TY  - JOUR\nTI  - One\nER  - \nthis is not RIS\n"
    with pytest.raises(LibraryFileError, match=r"line 4: not an RIS line"):
        read_library_bytes(text.encode(), "x.ris")


def test_invalid_json_names_line_and_column() -> None:
    text = '[\n  {"title": "One"},\n  {"title": "Two",}\n]'
    with pytest.raises(LibraryFileError, match=r"x\.json: line 3, column 19: not valid JSON"):
        read_library_bytes(text.encode(), "x.json")


def test_a_csl_item_with_a_wrong_field_type_is_named_by_its_position() -> None:
    text = '[{"title": "One"}, {"title": ["not", "text"]}]'
    with pytest.raises(LibraryFileError, match=r"x\.json: item 2: field 'title' is not text"):
        read_library_bytes(text.encode(), "x.json")


def test_a_control_character_in_an_entry_refuses_the_file() -> None:
    text = "TY  - JOUR\nTI  - Bad \x07 bell\nER  - \n"
    with pytest.raises(LibraryFileError, match=r"line 2: field 'TI' contains a control character"):
        read_library_bytes(text.encode(), "x.ris")


def test_binary_junk_is_refused_as_not_a_text_export() -> None:
    junk = bytes(range(256)) * 40
    with pytest.raises(LibraryFileError, match="binary data"):
        read_library_bytes(junk, "junk.bib")


def test_text_that_is_no_library_format_asks_for_the_format() -> None:
    with pytest.raises(LibraryFileError, match="cannot tell the format"):
        read_library_bytes(b"Dear reviewer, thank you.", "letter.txt")


def test_a_wrong_format_override_is_a_clear_error(zotero_file: Path) -> None:
    ris = (LIBRARY_DATA / "my-library.ris").read_bytes()
    with pytest.raises(LibraryFileError, match="no entries found"):
        read_library_bytes(ris, "my-library.ris", "bibtex")
    with pytest.raises(LibraryFileError, match="not a SQLite database"):
        read_library_bytes(ris, "my-library.ris", "zotero")
    with pytest.raises(LibraryFileError, match="not a Zotero database"):
        plain = zotero_file.parent / "plain.sqlite"
        sqlite3.connect(plain).execute("CREATE TABLE t (x)").connection.close()
        read_library_file(plain)


def test_a_file_over_the_size_limit_is_refused_before_parsing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(library_files, "MAX_LIBRARY_BYTES", 1000)
    with pytest.raises(LibraryFileError, match="over the limit of 1,000"):
        read_library_bytes(b"@misc{a, title={T}}\n" * 100, "big.bib")


def test_stray_control_characters_in_a_zotero_field_become_spaces(tmp_path: Path) -> None:
    path = write_zotero_sqlite(tmp_path / "zotero.sqlite")
    connection = sqlite3.connect(path)
    connection.execute(
        "UPDATE itemDataValues SET value = 'Deeper\x0bnetworks.' WHERE value LIKE 'Deeper%'"
    )
    connection.commit()
    connection.close()
    _, records = read_library_file(path)
    assert records[6].abstract == "Deeper networks."
