"""Fuzzing the BibTeX reader: any file gives papers and rejects naming file:line, and through
the catalog pipeline the store keeps what it had and gains only whole entries."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from likewise.ingest.base import IngestError
from likewise.ingest.bibtex import BibtexSource
from likewise.ingest.ids import parse_arxiv_id
from likewise.library import Library

BOUNDED = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
_PIECES = st.sampled_from(
    [
        "@article{",
        "@misc{",
        "@string{",
        "@preamble{",
        "@comment{",
        "key,",
        "dup,",
        "title = {",
        'title = "',
        "author = {",
        "eprint = {",
        "archivePrefix = {arXiv}",
        "doi = {",
        "journal = {",
        "url = {https://arxiv.org/abs/",
        "2403.01234",
        "v99999999999999999999",
        "hep-th/9901001",
        " and ",
        "others",
        "}",
        "{",
        '"',
        ",",
        "=",
        "#",
        "\n",
        " ",
        "\\'e",
        "\\v{",
        "$x^2$",
        "%",
        "@",
        "\x00",
        "\x1b",
        "é",
        "year = 2024",
        "primaryClass = {cs.CL}",
        "\\href{javascript:alert(1)}{x}",
    ]
)
BIB = st.lists(_PIECES, max_size=60).map("".join) | st.text(max_size=200)
_files = itertools.count()


def _write(folder: Path, text: str) -> Path:
    path = folder / f"fuzz{next(_files)}.bib"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return path


def _clean(text: str) -> bool:
    return not any(ord(char) < 0x20 and char not in "\t\n\r" for char in text)


@BOUNDED
@given(BIB)
def test_any_bibtex_text_gives_papers_and_rejects_naming_file_and_line(
    tmp_path: Path, text: str
) -> None:
    path = _write(tmp_path, text)
    try:
        (batch,) = list(BibtexSource(path).batches(None, 100))
    except IngestError as error:
        assert str(error).startswith(str(path))
        return
    for record in batch.rejected:
        where, _, line = record.location.rpartition(":")
        assert where == str(path) and line.isdigit() and record.problem
    for paper in batch.papers:
        assert paper.title.strip() and _clean(paper.title) and _clean(paper.abstract)
        assert all(_clean(name) for name in paper.authors)
        if not paper.arxiv_id.startswith("local:"):
            assert parse_arxiv_id(paper.arxiv_id).bare == paper.arxiv_id


def _stored(library: Library) -> dict[str, tuple[Any, ...]]:
    return {paper.arxiv_id: (paper.title,) for paper in library.store.iter_papers()}


@settings(BOUNDED, max_examples=40)
@given(BIB)
def test_fuzzed_bibtex_through_the_store_adds_whole_entries_and_loses_nothing(
    library: Library, tmp_path: Path, text: str
) -> None:
    path = _write(tmp_path, text)
    before = _stored(library)
    try:
        source = library.catalog.file_source(path, file_format="bibtex")
    except IngestError as error:
        assert str(path) in str(error)
        return
    summary = library.catalog.ingest(source)  # anything but IngestError escapes and fails
    after = _stored(library)
    assert set(before) <= set(after)
    if summary.error is not None:
        assert str(path) in summary.error and after == before
    assert all(_clean(title) for (title,) in after.values())


def test_a_control_character_rejects_its_entry_by_file_line_and_the_rest_is_stored(
    library: Library, tmp_path: Path
) -> None:
    # Stored as is before (SQLite), refused by PostgreSQL, which lost the whole file's batch.
    path = tmp_path / "controls.bib"
    path.write_text(
        "@article{good1, title={Graph Networks}, author={Ada Lovelace}}\n"
        "@article{nul, title={Null\x00Title}, author={Kurt Gödel}}\n"
        "@article{esc, title={Fine}, author={Grace\x1bHopper}}\n"
        "@article{good2, title={Sparse Retrieval}, author={Alan Turing}}\n",
        encoding="utf-8",
    )
    summary = library.catalog.ingest(library.catalog.file_source(path))
    assert summary.error is None and summary.inserted == 2
    problems = {record.location: record.problem for record in summary.rejected}
    assert problems == {
        f"{path}:2": "field 'title' contains a control character (U+0000)",
        f"{path}:3": "field 'author' contains a control character (U+001B)",
    }
    assert sorted(title for (title,) in _stored(library).values()) == [
        "Graph Networks",
        "Sparse Retrieval",
    ]


@pytest.mark.parametrize("text", ["@article{a\x00b, title={T}}\n"])
def test_a_control_character_in_an_entry_key_rejects_the_entry(tmp_path: Path, text: str) -> None:
    path = _write(tmp_path, text)
    (batch,) = list(BibtexSource(path).batches(None, 100))
    assert not batch.papers and "contains a control character" in batch.rejected[0].problem
