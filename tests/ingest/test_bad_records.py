"""One bad JSON-lines or snapshot record: rejected by file:line and field, the rest stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from likewise.ingest.jsonl import JsonlSource
from likewise.ingest.snapshot import SnapshotSource
from likewise.library import Library


def _line(number: int, **extra: Any) -> str:
    record = {
        "id": f"2403.{number:05d}",
        "title": f"Paper number {number}",
        "abstract": "An abstract.",
        "authors": ["A. One", "B. Two"],
        "categories": ["cs.CL"],
        "first_listed": "2024-03-05",
    }
    record.update(extra)
    return json.dumps(record)


def _snapshot_line(number: int, **extra: Any) -> str:
    record = {
        "id": f"2403.{number:05d}",
        "title": f"Snapshot paper {number}",
        "abstract": "An abstract.",
        "authors": "A. One and B. Two",
        "authors_parsed": [["One", "A.", ""], ["Two", "B.", ""]],
        "categories": "cs.CL cs.LG",
        "versions": [{"version": "v1", "created": "Tue, 5 Mar 2024 18:00:00 GMT"}],
        "update_date": "2024-03-06",
    }
    record.update(extra)
    return json.dumps(record)


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


JSONL_BAD_LINES = {
    "an impossible first_listed": (_line(2, first_listed="9999-12-31"), "first_listed"),
    "a date before arXiv": (_line(2, first_listed="0001-01-01"), "first_listed"),
    "a huge version": (_line(2, id="2403.00002v99999999999999999999"), "id"),
    "a lone surrogate in the title": ('{"id": "2403.00002", "title": "a \\ud800 b"}', "title"),
    "a lone surrogate in the abstract": (
        '{"id": "2403.00002", "title": "t", "abstract": "x\\udfff"}',
        "abstract",
    ),
    "200,000 nested arrays": ("[" * 200_000 + "]" * 200_000, "nested"),
    "a comment that is a number": (_line(2, comment=12), "comment"),
    "a doi that is a list": (_line(2, doi=["10.1/x"]), "doi"),
    "authors that hold a number": (_line(2, authors=["A. One", 7]), "authors"),
}


@pytest.mark.parametrize("case", sorted(JSONL_BAD_LINES))
def test_a_bad_jsonl_record_is_rejected_by_line_and_field_and_its_neighbours_stored(
    library: Library, tmp_path: Path, case: str
) -> None:
    bad, field = JSONL_BAD_LINES[case]
    path = _write(tmp_path / "papers.jsonl", [_line(1), bad, _line(3)])
    summary = library.catalog.ingest(JsonlSource(path))
    assert summary.error is None
    assert summary.inserted == 2
    (rejected,) = summary.rejected
    assert rejected.location == f"{path}:2"
    assert field in rejected.problem
    assert library.store.count_papers() == 2
    assert library.catalog.show("2403.00002") is None


SNAPSHOT_BAD_LINES = {
    "a version label v²": (
        _snapshot_line(2, versions=[{"version": "v²", "created": "Tue, 5 Mar 2024 18:00:00 GMT"}]),
        "version",
    ),
    "a size that is an object": (
        _snapshot_line(2, versions=[{"version": "v1", "created": None, "size": {"kb": 1}}]),
        "size",
    ),
    "authors_parsed of numbers": (_snapshot_line(2, authors_parsed=[[1, 2]]), "authors_parsed"),
    "authors_parsed of a string": (_snapshot_line(2, authors_parsed=["One"]), "authors_parsed"),
    "a created time in year 9999": (
        _snapshot_line(2, versions=[{"version": "v1", "created": "9999-12-31T23:59:59Z"}]),
        "created",
    ),
    "an update_date in year 9999": (_snapshot_line(2, update_date="9999-12-31"), "update_date"),
    "a huge version label": (
        _snapshot_line(2, versions=[{"version": "v99999999999999999999", "created": None}]),
        "version",
    ),
    "a license that is an object": (_snapshot_line(2, license={"x": 1}), "license"),
}


@pytest.mark.parametrize("case", sorted(SNAPSHOT_BAD_LINES))
def test_a_bad_snapshot_record_is_rejected_by_line_and_field_and_its_neighbours_stored(
    library: Library, tmp_path: Path, case: str
) -> None:
    bad, field = SNAPSHOT_BAD_LINES[case]
    path = _write(tmp_path / "snapshot.json", [_snapshot_line(1), bad, _snapshot_line(3)])
    summary = library.catalog.ingest(SnapshotSource(path))
    assert summary.error is None
    assert summary.inserted == 2
    (rejected,) = summary.rejected
    assert rejected.location == f"{path}:2"
    assert field in rejected.problem
    assert library.store.count_papers() == 2


def test_line_3000_bad_in_5000_stores_the_other_4999_however_often_it_is_rerun(
    library: Library, tmp_path: Path
) -> None:
    lines = [_line(number) for number in range(1, 5001)]
    lines[2999] = _line(3000, id="2403.03000v99999999999999999999")
    path = _write(tmp_path / "papers.jsonl", lines)
    for _ in range(2):
        summary = library.catalog.ingest(JsonlSource(path), batch_size=1000)
        assert summary.error is None
        assert [record.location for record in summary.rejected] == [f"{path}:3000"]
        assert library.store.count_papers() == 4999
    assert (
        library.catalog.show("2403.02999") is not None
        and library.catalog.show("2403.03001") is not None
    )


def test_nul_bytes_in_text_are_stored_the_same_way_on_every_backend(
    library: Library, tmp_path: Path
) -> None:
    record = _line(1, title="Null\u0000 title", abstract="ab\u0000stract", comment="c\u0000")
    path = _write(tmp_path / "papers.jsonl", [record, _line(2)])
    summary = library.catalog.ingest(JsonlSource(path))
    assert summary.error is None and summary.inserted == 2 and not summary.rejected
    paper = library.catalog.show("2403.00001")
    assert paper is not None
    assert (paper.title, paper.abstract, paper.comment) == ("Null title", "abstract", "c")


def test_a_same_version_record_with_new_content_counts_as_updated(
    library: Library, tmp_path: Path
) -> None:
    first = _write(tmp_path / "first.jsonl", [_line(1)])
    library.catalog.ingest(JsonlSource(first))
    second = _write(tmp_path / "second.jsonl", [_line(1, abstract="A corrected abstract.")])
    summary = library.catalog.ingest(JsonlSource(second))
    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 1, 0)
    paper = library.catalog.show("2403.00001")
    assert paper is not None and paper.abstract == "A corrected abstract."


def test_unknown_categories_are_counted_and_named_while_the_record_is_stored(
    library: Library, tmp_path: Path
) -> None:
    path = _write(tmp_path / "papers.jsonl", [_line(1, categories=["cs.CL", "xx.YY"]), _line(2)])
    summary = library.catalog.ingest(JsonlSource(path))
    assert summary.inserted == 2 and not summary.rejected
    (note,) = summary.notes
    assert note.location == f"{path}:1" and "xx.YY" in note.problem
    paper = library.catalog.show("2403.00001")
    assert paper is not None and paper.categories == ["cs.CL"]


def test_subject_classifications_beside_categories_are_left_out_without_a_note(
    library: Library, tmp_path: Path
) -> None:
    listed = ["cs.CL", "68T50 (Primary)", "I.2.7; H.3.3", "68T07", "(Machine learning)", "J.m"]
    path = _write(tmp_path / "papers.jsonl", [_line(1, categories=listed)])
    summary = library.catalog.ingest(JsonlSource(path))
    assert summary.inserted == 1 and not summary.notes
    paper = library.catalog.show("2403.00001")
    assert paper is not None and paper.categories == ["cs.CL"]
