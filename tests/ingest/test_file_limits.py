"""Damaged and oversized files: what decodes before the damage is kept, memory stays bounded."""

from __future__ import annotations

import gzip
import json
import tracemalloc
import zlib
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from likewise.ingest.files import MAX_LINE_BYTES, read_lines
from likewise.ingest.jsonl import JsonlSource
from likewise.library import Library


def _record(number: int) -> str:
    return json.dumps(
        {
            "id": f"2403.{number:05d}",
            "title": f"Paper {number} on {number * 7919 % 1000} things",
            "abstract": " ".join(f"word{(number * k) % 977}" for k in range(60)),
            "categories": ["cs.CL"],
            "first_listed": "2024-03-05",
        }
    )


def _lines_before_damage(data: bytes) -> int:
    """Complete lines a byte-at-a-time decompression yields before zlib refuses the data
    (or all of them, when it never does)."""
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    output = bytearray()
    for index in range(len(data)):
        try:
            output += decompressor.decompress(data[index : index + 1])
        except zlib.error:
            break
    return output.count(b"\n")


def test_a_corrupt_gzip_keeps_every_record_before_the_damage_and_names_its_line(
    library: Library, tmp_path: Path
) -> None:
    text = "".join(_record(number) + "\n" for number in range(1, 3001))
    packed = bytearray(gzip.compress(text.encode(), compresslevel=6))
    damage = len(packed) * 3 // 4
    packed[damage : damage + 64] = b"\xff" * 64
    path = tmp_path / "papers.jsonl.gz"
    path.write_bytes(bytes(packed))
    readable = _lines_before_damage(bytes(packed))
    intact = _lines_before_damage(bytes(packed[:damage]))  # from bytes before the damage
    assert 1000 < intact <= readable < 3000

    summary = library.catalog.ingest(JsonlSource(path))

    assert summary.error is None
    stored = library.store.count_papers()
    malformed = [record for record in summary.rejected if "malformed" in record.problem]
    assert stored + len(malformed) == readable
    # Bytes past the damage may inflate to garbled lines (rejected); none before it is lost.
    assert all(library.catalog.show(f"2403.{number:05d}") for number in range(1, intact + 1))
    corrupt = [record for record in summary.rejected if "gzip" in record.problem]
    assert [record.location for record in corrupt] == [f"{path}:{readable + 1}"]
    assert "corrupt" in corrupt[0].problem


@pytest.mark.parametrize("packed", [False, True], ids=["plain", "gzip"])
def test_a_line_over_the_limit_is_rejected_naming_the_limit_and_the_rest_stored(
    library: Library, tmp_path: Path, packed: bool
) -> None:
    huge = json.dumps({"id": "2403.00002", "title": "t", "abstract": "x" * (MAX_LINE_BYTES + 10)})
    text = f"{_record(1)}\n{huge}\n{_record(3)}\n".encode()
    path = tmp_path / ("papers.jsonl.gz" if packed else "papers.jsonl")
    path.write_bytes(gzip.compress(text, compresslevel=1) if packed else text)

    summary = library.catalog.ingest(JsonlSource(path))

    (rejected,) = summary.rejected
    assert rejected.location == f"{path}:2"
    assert f"{MAX_LINE_BYTES:,}-byte limit" in rejected.problem
    assert summary.inserted == 2 and library.store.count_papers() == 2


@pytest.mark.parametrize("packed", [False, True], ids=["plain", "gzip"])
def test_reading_a_50_mb_line_holds_no_more_than_a_few_times_the_line_limit(
    tmp_path: Path, packed: bool
) -> None:
    limit = 1 << 20
    text = b'{"id": "2403.00001"}\n' + b"x" * (50 << 20) + b'\n{"id": "2403.00003"}\n'
    path = tmp_path / ("big.jsonl.gz" if packed else "big.jsonl")
    path.write_bytes(gzip.compress(text, compresslevel=1) if packed else text)
    del text

    tracemalloc.start()
    try:
        lines = [(number, line) for number, line, _ in read_lines(path, max_line=limit)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert lines == [(1, b'{"id": "2403.00001"}\n'), (2, None), (3, b'{"id": "2403.00003"}\n')]
    assert peak < 8 * limit


_TEXT = "".join(_record(number) + "\n" for number in range(1, 801)).encode()
_PACKED = gzip.compress(_TEXT, compresslevel=6)


@settings(max_examples=30, deadline=None, derandomize=True, database=None)
@given(
    at=st.floats(min_value=0.0, max_value=1.0),
    length=st.integers(min_value=1, max_value=200),
    fill=st.integers(min_value=0, max_value=255),
    truncate=st.booleans(),
)
def test_damage_anywhere_in_a_gzip_loses_no_record_that_lies_before_it(
    at: float, length: int, fill: int, truncate: bool
) -> None:
    # Past the 10-byte header (a file without the gzip magic is read as plain text).
    damage = min(10 + int(at * len(_PACKED)), len(_PACKED) - 1)
    if truncate:
        packed = _PACKED[:damage]
    else:
        packed = _PACKED[:damage] + bytes([fill]) * length + _PACKED[damage + length :]
    intact = _lines_before_damage(_PACKED[:damage])
    with TemporaryDirectory() as directory:
        path = Path(directory) / "papers.jsonl.gz"
        path.write_bytes(packed)
        batches = list(JsonlSource(path).batches(None, 100))
    ids = {paper.arxiv_id for batch in batches for paper in batch.papers}
    assert ids >= {f"2403.{number:05d}" for number in range(1, intact + 1)}
    rejected = [record for batch in batches for record in batch.rejected]
    assert all(record.location.startswith(f"{path}:") for record in rejected)
    if packed != _PACKED and len(ids) < 800:
        assert any("gzip" in record.problem for record in rejected)
