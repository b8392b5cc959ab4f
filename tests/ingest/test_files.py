"""JSON-lines and snapshot files: records, rejects naming file:line, gzip, resuming."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from likewise.ingest.base import MAX_SOURCE_NAME, Batch, IngestError, RecordError, source_name
from likewise.ingest.factory import open_file_source
from likewise.ingest.files import FileCheckpoint
from likewise.ingest.jsonl import JsonlSource, paper_from_record
from likewise.ingest.snapshot import SnapshotSource
from likewise.models import AnnouncementKind


def _all(batches: list[Batch]) -> tuple[list, list, list]:  # type: ignore[type-arg]
    papers = [paper for batch in batches for paper in batch.papers]
    announcements = [item for batch in batches for item in batch.announcements]
    rejected = [record for batch in batches for record in batch.rejected]
    return papers, announcements, rejected


def test_jsonl_records_become_papers_with_the_announcement_day(data_dir: Path) -> None:
    batches = list(JsonlSource(data_dir / "papers.jsonl").batches(None, 100))
    papers, announcements, _ = _all(batches)
    by_id = {paper.arxiv_id: paper for paper in papers}
    assert set(by_id) == {
        "2503.11677",
        "2503.11685",
        "2503.12100",
        "hep-th/9901001",
        "math/9901001",
    }
    cordic = by_id["2503.11685"]
    assert cordic.categories == ["cs.AR", "cs.CV", "eess.IV"]
    assert cordic.announced == date(2025, 3, 18)
    assert cordic.comment == "8 pages"
    aliased = by_id["2503.12100"]
    assert aliased.categories == ["math.NA", "cs.CL"]
    assert aliased.authors == ["Ada Lovelace", "Kurt Gödel", "Alonzo Church"]
    assert aliased.abstract == "Aliases and spaces."
    assert {(item.arxiv_id, item.day, item.kind) for item in announcements} >= {
        ("2503.11677", date(2025, 3, 18), AnnouncementKind.NEW)
    }


def test_bad_jsonl_lines_are_rejected_with_file_and_line(data_dir: Path) -> None:
    path = data_dir / "papers.jsonl"
    _, _, rejected = _all(list(JsonlSource(path).batches(None, 100)))
    problems = {record.location: record.problem for record in rejected}
    resolved = path.resolve()
    assert problems[f"{resolved}:3"].startswith("malformed JSON")
    assert problems[f"{resolved}:4"] == "record has no title"
    assert "not an arXiv identifier: 'not-an-id'" in problems[f"{resolved}:5"]
    assert "first_listed is not a YYYY-MM-DD date" in problems[f"{resolved}:6"]
    assert problems[f"{resolved}:11"] == "expected a JSON object, found list"
    assert len(rejected) == 5


def test_the_last_batch_marks_the_file_done_and_a_done_file_is_read_again(
    data_dir: Path,
) -> None:
    source = JsonlSource(data_dir / "papers.jsonl")
    last = list(source.batches(None, 2))[-1]
    assert last.checkpoint is not None
    assert json.loads(last.checkpoint)["done"] is True
    again = _all(list(source.batches(last.checkpoint, 100)))[0]
    assert len(again) == 5


def test_a_file_resumes_after_the_checkpointed_line(data_dir: Path) -> None:
    source = JsonlSource(data_dir / "papers.jsonl")
    first = next(iter(source.batches(None, 2)))
    assert [paper.arxiv_id for paper in first.papers] == ["2503.11677", "2503.11685"]
    rest, _, _ = _all(list(source.batches(first.checkpoint, 100)))
    assert [paper.arxiv_id for paper in rest] == ["2503.12100", "hep-th/9901001", "math/9901001"]


def test_a_checkpoint_of_a_file_of_another_size_starts_over(data_dir: Path) -> None:
    source = JsonlSource(data_dir / "papers.jsonl")
    foreign = FileCheckpoint(line=7, size=source.total + 1).dump()
    papers, _, _ = _all(list(source.batches(foreign, 100)))
    assert len(papers) == 5


def test_gzip_files_read_like_plain_ones(tmp_path: Path, data_dir: Path) -> None:
    packed = tmp_path / "papers.jsonl.gz"
    packed.write_bytes(gzip.compress((data_dir / "papers.jsonl").read_bytes()))
    plain = _all(list(JsonlSource(data_dir / "papers.jsonl").batches(None, 3)))[0]
    zipped = _all(list(JsonlSource(packed).batches(None, 3)))[0]
    assert [paper.arxiv_id for paper in zipped] == [paper.arxiv_id for paper in plain]


def _noise_lines(count: int) -> list[str]:
    """Text that compresses poorly, so that half the gzip file holds about half the lines."""
    return [hashlib.sha256(str(number).encode()).hexdigest() * 8 for number in range(count)]


def test_a_truncated_gzip_keeps_earlier_lines_and_names_where_it_broke(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": f"2501.{number:05d}", "title": f"Paper {number}", "abstract": noise})
        for number, noise in enumerate(_noise_lines(400), start=1)
    ]
    data = gzip.compress("\n".join(lines).encode())
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[: len(data) // 2])
    papers, _, rejected = _all(list(JsonlSource(cut).batches(None, 50)))
    assert 100 < len(papers) < len(lines)
    assert [paper.arxiv_id for paper in papers] == [
        f"2501.{number:05d}" for number in range(1, len(papers) + 1)
    ]
    assert papers[0].arxiv_id == "2501.00001"
    assert len(rejected) == 1
    assert "truncated" in rejected[0].problem
    assert rejected[0].location == f"{cut.resolve()}:{len(papers) + 1}"


def test_recent_days_keeps_only_the_newest_announcement_days(data_dir: Path) -> None:
    source = JsonlSource(data_dir / "papers.jsonl", recent_days=2)
    papers, _, rejected = _all(list(source.batches(None, 100)))
    assert {paper.announced for paper in papers} == {date(2025, 3, 19), date(2025, 3, 20)}
    assert len(rejected) == 5


def test_the_real_daily_file_parses_its_first_lines(shared_data: Path, tmp_path: Path) -> None:
    head = tmp_path / "head.jsonl"
    with gzip.open(shared_data / "arxiv-daily-cs" / "papers.jsonl.gz", "rt") as source:
        head.write_text("".join(next(source) for _ in range(300)))
    papers, announcements, rejected = _all(list(JsonlSource(head).batches(None, 100)))
    assert len(papers) == 300 and not rejected
    assert all(paper.announced and paper.title and paper.categories for paper in papers)
    assert len(announcements) == 300


def test_snapshot_records_keep_versions_and_dates_apart(data_dir: Path) -> None:
    papers, announcements, rejected = _all(
        list(SnapshotSource(data_dir / "snapshot_slice.jsonl").batches(None, 10))
    )
    first = next(paper for paper in papers if paper.arxiv_id == "0704.0001")
    assert first.latest_version == 2
    assert [version.number for version in first.versions] == [1, 2]
    assert first.submitted == datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)
    assert first.updated == datetime(2007, 7, 24, 20, 10, 27, tzinfo=UTC)
    assert first.record_modified == date(2008, 11, 26)
    assert first.announced is None and not announcements
    assert first.authors[0] == "C. Balázs"
    assert first.title.endswith("at Tevatron and LHC energies")
    old = next(paper for paper in papers if paper.arxiv_id == "math/0309136")
    assert old.categories == ["math.GT", "math-ph"]
    assert {record.location.rsplit(":", 1)[1] for record in rejected} == {"3", "4"}
    assert any(record.problem == "record has no title" for record in rejected)


def test_the_real_snapshot_sample_loads_completely(shared_data: Path) -> None:
    path = shared_data / "arxiv-oai-snapshot-sample" / "arxiv-metadata-oai-snapshot.head200.jsonl"
    source = open_file_source(path)
    assert isinstance(source, SnapshotSource)
    papers, _, rejected = _all(list(source.batches(None, 64)))
    assert len(papers) == 200 and not rejected
    assert all(paper.versions and paper.submitted for paper in papers)


def test_file_format_is_detected_from_content(data_dir: Path, tmp_path: Path) -> None:
    assert isinstance(open_file_source(data_dir / "papers.jsonl"), JsonlSource)
    assert isinstance(open_file_source(data_dir / "snapshot_slice.jsonl"), SnapshotSource)
    renamed = tmp_path / "mine.txt"
    renamed.write_bytes((data_dir / "library.bib").read_bytes())
    assert open_file_source(renamed).name.startswith("bibtex:")


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"nothere\.jsonl: no such file"):
        open_file_source(tmp_path / "nothere.jsonl")


def test_corrupt_gzip_data_is_reported_not_raised(tmp_path: Path) -> None:
    packed = gzip.compress(b'{"id": "2501.00001", "title": "One"}\n' * 50)
    corrupt = tmp_path / "corrupt.jsonl.gz"
    corrupt.write_bytes(packed[:20] + b"\x00garbage\xff" * 8 + packed[20:])
    _, _, rejected = _all(list(JsonlSource(corrupt).batches(None, 10)))
    assert len(rejected) == 1
    assert "gzip" in rejected[0].problem and rejected[0].location.startswith(str(corrupt.resolve()))


def test_source_names_fit_the_store_and_stay_unique_and_stable(tmp_path: Path) -> None:
    short = source_name("jsonl", "/data/papers.jsonl")
    assert short == "jsonl:/data/papers.jsonl"
    deep = tmp_path / ("a" * 80) / "papers.jsonl.gz"
    other = tmp_path / ("b" * 80) / "papers.jsonl.gz"
    name = source_name("jsonl", str(deep))
    assert len(name) <= MAX_SOURCE_NAME and name.startswith("jsonl:papers.jsonl.gz#")
    assert name == source_name("jsonl", str(deep)) != source_name("jsonl", str(other))


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("authors", [1, 2], "authors must be a list of names or a string"),
        ("categories", {"cs": "CL"}, "categories must be a list of names or a string"),
        ("categories", [["cs.CL"]], "categories must be a list of names or a string"),
        ("title", 42, "record has no title"),
        ("id", None, "record has no arXiv id"),
    ],
)
def test_fields_of_the_wrong_type_reject_the_record(
    field: str, value: object, problem: str
) -> None:
    record: dict[str, object] = {"id": "2501.00001", "title": "T", "authors": [], "categories": []}
    record[field] = value
    with pytest.raises(RecordError, match=problem):
        paper_from_record(record)
