"""Hypothesis fuzzing of the JSON-lines and snapshot parsers: no exception escapes, every
rejected line is named by file:line with a reason, and what is stored is stored whole."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from likewise.ingest.dates import EARLIEST_DAY, LATEST_DAY
from likewise.ingest.files import JsonLinesSource
from likewise.ingest.ids import MAX_VERSION
from likewise.ingest.jsonl import JsonlSource
from likewise.ingest.snapshot import SnapshotSource
from likewise.library import Library
from likewise.models import Paper, RejectedRecord

# Bounded and reproducible in CI: a fixed number of examples, derandomized, no saved database.
FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
STORED = settings(FUZZ, max_examples=40, suppress_health_check=list(HealthCheck))

_ODD_CHARACTERS = st.sampled_from(["\ud800", "\udfff", "\x00", "\\", "$", "{", "}", "\n", "²"])
TEXT = st.text(alphabet=st.one_of(st.characters(), _ODD_CHARACTERS), max_size=30)
ODD_VALUES = st.sampled_from(
    [
        "9999-12-31",
        "0001-01-01",
        "2024-02-30",
        "2024-03-05T25:00:00Z",
        "Tue, 5 Mar 9999 18:00:00 GMT",
        "v²",
        "v0",
        "v99999999999999999999",
        "2403.00002v99999999999999999999",
        "hep-th/9901001v3",
        "",
        " ",
        10**30,
        -1,
        1.5e308,
        [[1, 2]],
        [["One", "A.", ""]],
        {"kb": 1},
        [{"version": "v1", "created": None, "size": {"kb": 1}}],
        [{"version": "v²"}],
    ]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT | ODD_VALUES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
JSONL_FIELDS = ["id", "arxiv_id", "title", "abstract", "summary", "authors", "categories"]
JSONL_FIELDS += ["comment", "comments", "journal_ref", "doi", "first_listed", "announced"]
SNAPSHOT_FIELDS = ["id", "title", "abstract", "authors", "authors_parsed", "categories"]
SNAPSHOT_FIELDS += ["comments", "journal-ref", "doi", "license", "versions", "update_date"]


def _good(number: int, snapshot: bool) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": f"2403.{number:05d}",
        "title": f"A good paper {number}",
        "abstract": "Text.",
        "authors": "A. One and B. Two",
        "categories": "cs.CL",
    }
    if snapshot:
        record["versions"] = [{"version": "v1", "created": "Tue, 5 Mar 2024 18:00:00 GMT"}]
        record["authors_parsed"] = [["One", "A.", ""], ["Two", "B.", ""]]
    else:
        record["first_listed"] = "2024-03-05"
    return record


@st.composite
def odd_lines(draw: st.DrawFn, snapshot: bool) -> bytes:
    """One line: a good record with some fields replaced, or something that is no record."""
    kind = draw(st.sampled_from(["fields", "fields", "fields", "json", "bytes", "nested"]))
    if kind == "json":
        return json.dumps(draw(JSON)).encode()
    if kind == "bytes":
        return draw(st.binary(max_size=60)).replace(b"\n", b" ")
    if kind == "nested":
        depth = draw(st.sampled_from([10, 1000, 200_000]))
        return b"[" * depth + b"]" * draw(st.sampled_from([0, depth]))
    record = _good(2, snapshot)
    names = SNAPSHOT_FIELDS if snapshot else JSONL_FIELDS
    for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=4, unique=True)):
        record[name] = draw(JSON)
    return json.dumps(record).encode()


def _file(directory: str, line: bytes, snapshot: bool) -> Path:
    path = Path(directory) / "fuzz.jsonl"
    good = [json.dumps(_good(number, snapshot)).encode() for number in (1, 3)]
    path.write_bytes(good[0] + b"\n" + line + b"\n" + good[1] + b"\n")
    return path


def _source(path: Path, snapshot: bool) -> JsonLinesSource:
    return SnapshotSource(path) if snapshot else JsonlSource(path)


def _parsed(path: Path, snapshot: bool) -> tuple[list[Paper], list[RejectedRecord]]:
    papers: list[Paper] = []
    rejected: list[RejectedRecord] = []
    for batch in _source(path, snapshot).batches(None, 100):
        papers.extend(batch.papers)
        rejected.extend(batch.rejected)
    return papers, rejected


def _texts(paper: Paper) -> Iterator[str]:
    for value in (paper.title, paper.abstract, paper.comment, paper.journal_ref, paper.doi):
        if value is not None:
            yield value
    yield from paper.authors
    yield from paper.categories
    yield from (version.size for version in paper.versions if version.size is not None)


def _storable(paper: Paper) -> None:
    for value in _texts(paper):
        assert isinstance(value, str) and "\x00" not in value
        value.encode("utf-8")  # raises on a lone surrogate
    assert 1 <= paper.latest_version <= MAX_VERSION
    assert all(1 <= version.number <= MAX_VERSION for version in paper.versions)
    days: list[date | None] = [paper.announced, paper.record_modified]
    days += [moment.date() if moment else None for moment in (paper.submitted, paper.updated)]
    assert all(day is None or EARLIEST_DAY <= day <= LATEST_DAY for day in days)


def _check_parse(line: bytes, snapshot: bool) -> None:
    with TemporaryDirectory() as directory:
        path = _file(directory, line, snapshot)
        papers, rejected = _parsed(path, snapshot)
    assert {paper.arxiv_id for paper in papers} >= {"2403.00001", "2403.00003"}
    assert len(papers) + len(rejected) == 3 - (not line.strip())
    for record in rejected:
        assert record.location == f"{path}:2"
        assert record.problem.strip() and len(record.problem) < 400
    for paper in papers:
        _storable(paper)


@FUZZ
@given(line=odd_lines(snapshot=False))
def test_no_jsonl_line_escapes_as_an_exception_and_rejects_name_their_line(line: bytes) -> None:
    _check_parse(line, snapshot=False)


@FUZZ
@given(line=odd_lines(snapshot=True))
def test_no_snapshot_line_escapes_as_an_exception_and_rejects_name_their_line(line: bytes) -> None:
    _check_parse(line, snapshot=True)


@pytest.mark.parametrize("snapshot", [False, True], ids=["jsonl", "snapshot"])
def test_fuzzed_lines_store_whole_or_not_at_all_next_to_good_ones(
    library: Library, tmp_path: Path, snapshot: bool
) -> None:
    seen: set[str] = set()

    @STORED
    @given(line=odd_lines(snapshot=snapshot))
    def store_one(line: bytes) -> None:
        with TemporaryDirectory(dir=tmp_path) as directory:
            path = _file(directory, line, snapshot)
            papers, rejected = _parsed(path, snapshot)
            summary = library.catalog.ingest(_source(path, snapshot))
        assert summary.error is None and len(summary.rejected) == len(rejected)
        for paper in papers:
            stored = library.catalog.show(paper.arxiv_id)
            assert stored is not None
            if paper.arxiv_id not in seen:  # first time: every field as parsed
                assert (stored.title, stored.abstract) == (paper.title, paper.abstract)
                assert (stored.authors, stored.categories) == (paper.authors, paper.categories)
                assert stored.latest_version == paper.latest_version
            seen.add(paper.arxiv_id)
        assert library.store.count_papers() == len(seen)

    store_one()
