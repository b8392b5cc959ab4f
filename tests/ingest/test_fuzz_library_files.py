"""Fuzzing the library-file readers: any bytes in any format give records or one
LibraryFileError naming the problem, never another exception (which the site would show as a
500) and never a record holding a control character."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from library_fixtures import LIBRARY_DATA, write_zotero_sqlite
from likewise.ingest.library_files import read_library_bytes
from likewise.ingest.library_records import LibraryFileError, LibraryRecord

BOUNDED = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
FORMATS = ["auto", "bibtex", "ris", "csl-json", "zotero"]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PIECES = st.sampled_from(
    [
        "TY  - JOUR\n",
        "ER  - \n",
        "TI  - ",
        "AB  - ",
        "AU  - Lee, Ann\n",
        "DO  - 10.1/x\n",
        "UR  - https://arxiv.org/abs/2503.11685\n",
        "@misc{k,",
        "title = {",
        "}",
        "}\n",
        '[{"title": "',
        '"}]',
        '"DOI": "10.48550/arXiv.2503.11742"',
        "{",
        "[",
        "]",
        ",",
        "\x00",
        "\x07",
        "é",
        "\ufeff",
        "\r\n",
        " ",
        "arXiv:2501.00001",
        "SQLite format 3\x00",
    ]
)


def _check(records: list[LibraryRecord]) -> None:
    assert records
    for record in records:
        for text in (record.title, record.abstract, record.doi or "", *record.authors):
            assert not _CONTROL.search(text)


def _read(data: bytes, kind: str) -> None:
    try:
        _, records = read_library_bytes(data, "fuzz.bin", kind)
    except LibraryFileError as error:
        assert str(error)
        return
    _check(records)


@BOUNDED
@given(data=st.binary(max_size=2000), kind=st.sampled_from(FORMATS))
def test_random_bytes_give_records_or_a_clear_refusal(data: bytes, kind: str) -> None:
    _read(data, kind)


@BOUNDED
@given(pieces=st.lists(_PIECES, max_size=40), kind=st.sampled_from(FORMATS))
def test_pieces_of_every_format_give_records_or_a_clear_refusal(
    pieces: list[str], kind: str
) -> None:
    _read("".join(pieces).encode("utf-8"), kind)


@BOUNDED
@given(
    cut=st.integers(min_value=1, max_value=4000),
    name=st.sampled_from(["my-library.bib", "my-library.ris", "my-library.json"]),
)
def test_a_real_export_cut_anywhere_gives_records_or_a_clear_refusal(cut: int, name: str) -> None:
    data = (LIBRARY_DATA / name).read_bytes()
    _read(data[: cut % len(data) + 1], "auto")


def test_deeply_nested_json_is_refused_not_a_crash() -> None:
    with pytest.raises(LibraryFileError, match="nested too deeply"):
        read_library_bytes(b"[" * 100_000 + b"]" * 100_000, "deep.json")


@pytest.mark.parametrize("where", [0.1, 0.5, 0.9])
def test_a_damaged_zotero_database_is_refused_not_a_crash(tmp_path: Path, where: float) -> None:
    data = bytearray(write_zotero_sqlite(tmp_path / "zotero.sqlite").read_bytes())
    start = int(len(data) * where)
    data[start : start + 512] = b"\xff" * 512
    try:
        _, records = read_library_bytes(bytes(data), "zotero.sqlite")
    except LibraryFileError as error:
        assert "zotero.sqlite" in str(error)
        return
    _check(records)
