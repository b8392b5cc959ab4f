"""Reading JSON-lines files, plain or gzip, line by line with resumable positions.

The checkpoint of a file is the number of lines already committed plus the file size, so a
changed file is read from the start; a finished file is read again in full on the next run
(re-ingesting unchanged data changes nothing).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

from likewise.ingest.base import Batch, IngestError, RecordError, source_name
from likewise.models import Announcement, Paper, RejectedRecord

_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20  # compressed bytes read at a time


@dataclass(frozen=True, slots=True)
class FileCheckpoint:
    """Lines committed so far, the file's size (to notice another file) and whether done."""

    line: int
    size: int
    done: bool = False

    def dump(self) -> str:
        return json.dumps({"line": self.line, "size": self.size, "done": self.done})

    @classmethod
    def load(cls, text: str | None, size: int) -> FileCheckpoint | None:
        """The stored checkpoint if it belongs to this file (same size) and is unfinished."""
        if not text:
            return None
        try:
            data = json.loads(text)
            checkpoint = cls(int(data["line"]), int(data["size"]), bool(data.get("done")))
        except (ValueError, KeyError, TypeError):
            return None
        if checkpoint.size != size or checkpoint.done:
            return None
        return checkpoint


class TruncatedFileError(IngestError):
    """The file ends in the middle of its compressed stream (or is corrupt) at this line."""


def _gzip_lines(raw: IO[bytes]) -> Iterator[tuple[bytes, int]]:
    """(line, compressed bytes read) of a gzip stream, members concatenated.

    Decompressing by hand (not GzipFile) yields every complete line before a truncation
    or corruption is reported, so nothing readable is lost.
    """
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    inside_member = False
    pending = b""
    while chunk := raw.read(_CHUNK):
        while chunk:
            inside_member = True
            pending += decompressor.decompress(chunk)
            chunk = b""
            if decompressor.eof:  # the member is complete; another may follow
                chunk = decompressor.unused_data
                decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
                inside_member = False
        *lines, pending = pending.split(b"\n")
        position = raw.tell()
        for line in lines:
            yield line + b"\n", position
    if inside_member:  # the partial last line is part of what is missing
        raise EOFError("compressed file ended before the end-of-stream marker was reached")
    if pending:
        yield pending, raw.tell()


def _plain_lines(raw: IO[bytes]) -> Iterator[tuple[bytes, int]]:
    for line in raw:
        yield line, raw.tell()


def read_lines(path: Path, skip: int = 0) -> Iterator[tuple[int, bytes, int]]:
    """(line number from 1, line bytes, bytes of the file read so far), after ``skip`` lines.

    A truncated or corrupt gzip stream raises TruncatedFileError naming the line it hit,
    after every complete line before it.
    """
    try:
        raw = path.open("rb")
    except OSError as error:
        raise IngestError(f"{path}: cannot open: {error.strerror or error}") from error
    number = 0
    with raw:
        packed = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        lines = _gzip_lines(raw) if packed else _plain_lines(raw)
        try:
            for number, (line, position) in enumerate(lines, start=1):
                if number > skip:
                    yield number, line, position
        except (EOFError, zlib.error) as error:
            problem = (
                "the gzip stream ends early (truncated file)"
                if isinstance(error, EOFError)
                else f"the gzip data is corrupt ({error})"
            )
            raise TruncatedFileError(
                f"{path}:{number + 1}: {problem}; lines from here on are missing"
            ) from error


def first_record(path: Path) -> dict[str, object] | None:
    """The first JSON object in the file, to tell formats apart; None if there is none."""
    try:
        for _, line, _ in read_lines(path):
            if line.strip():
                value = json.loads(line)
                return value if isinstance(value, dict) else None
    except (ValueError, IngestError):
        return None
    return None


def dedupe_latest(papers: list[Paper]) -> list[Paper]:
    """One paper per id in a batch (the highest version; the later record on a tie)."""
    if len({paper.arxiv_id for paper in papers}) == len(papers):
        return papers
    chosen: dict[str, Paper] = {}
    for paper in papers:
        earlier = chosen.get(paper.arxiv_id)
        if earlier is None or paper.latest_version >= earlier.latest_version:
            chosen[paper.arxiv_id] = paper
    return list(chosen.values())


def _paper_day(paper: Paper) -> date | None:
    if paper.announced is not None:
        return paper.announced
    if paper.submitted is not None:
        return paper.submitted.date()
    return paper.record_modified


ParsedRecord = Paper | RejectedRecord


class JsonLinesSource:
    """A JSON-lines file of paper records; subclasses turn one record into a Paper.

    With ``recent_days`` only the papers of the newest N days in the file are yielded (the
    quick first run); that selection needs the whole file, so it has no checkpoint.
    """

    kind = "jsonl"

    def __init__(self, path: Path, *, recent_days: int | None = None) -> None:
        self.path = path.expanduser().resolve()
        if not self.path.is_file():
            raise IngestError(f"{path}: no such file")
        self.total = self.path.stat().st_size
        self.recent_days = recent_days
        self.name = source_name(self.kind, str(self.path))
        # Filled by a `recent_days` read, for the first run to say what it left out.
        self.days_in_file: list[date] = []
        self.papers_in_file = 0
        self.days_kept: list[date] = []

    def parse(self, record: dict[str, Any]) -> tuple[Paper, list[Announcement]]:
        raise NotImplementedError

    def _records(self, skip: int) -> Iterator[tuple[int, int, ParsedRecord, list[Announcement]]]:
        for number, line, position in read_lines(self.path, skip):
            if not line.strip():
                continue
            location = f"{self.path}:{number}"
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise RecordError(f"expected a JSON object, found {type(record).__name__}")
                paper, announcements = self.parse(record)
            except json.JSONDecodeError as error:
                problem = f"malformed JSON ({error.msg} at column {error.colno})"
                yield number, position, RejectedRecord(location, problem), []
            except UnicodeDecodeError as error:
                problem = f"not UTF-8 text ({error.reason})"
                yield number, position, RejectedRecord(location, problem), []
            except RecordError as error:
                yield number, position, RejectedRecord(location, str(error)), []
            else:
                yield number, position, paper, announcements

    def batches(self, checkpoint: str | None, batch_size: int) -> Iterator[Batch]:
        if self.recent_days is not None:
            yield from self._recent_batches(batch_size)
            return
        start = FileCheckpoint.load(checkpoint, self.total)
        line = skip = start.line if start else 0
        batch = Batch([])
        finished = False
        try:
            for line, position, item, announcements in self._records(skip):
                if isinstance(item, RejectedRecord):
                    batch.rejected.append(item)
                    continue
                batch.papers.append(item)
                batch.announcements.extend(announcements)
                if len(batch.papers) >= batch_size:
                    batch.papers = dedupe_latest(batch.papers)
                    batch.checkpoint = FileCheckpoint(line, self.total).dump()
                    batch.position = position
                    yield batch
                    batch = Batch([])
            finished = True
        except TruncatedFileError as error:
            where, _, problem = str(error).partition(": ")
            batch.rejected.append(RejectedRecord(where, problem))
        batch.papers = dedupe_latest(batch.papers)
        batch.checkpoint = FileCheckpoint(line, self.total, done=finished).dump()
        batch.position = self.total
        yield batch

    def _recent_batches(self, batch_size: int) -> Iterator[Batch]:
        keep = max(1, self.recent_days or 1)
        by_day: dict[date, list[tuple[Paper, list[Announcement]]]] = {}
        rejected: list[RejectedRecord] = []
        seen: dict[date, int] = {}
        try:
            for _, _, item, announcements in self._records(0):
                if isinstance(item, RejectedRecord):
                    rejected.append(item)
                    continue
                day = _paper_day(item)
                if day is None:
                    continue
                seen[day] = seen.get(day, 0) + 1
                if day not in by_day and len(by_day) >= keep:
                    oldest = min(by_day)
                    if day < oldest:
                        continue
                    del by_day[oldest]
                by_day.setdefault(day, []).append((item, announcements))
        except TruncatedFileError as error:
            where, _, problem = str(error).partition(": ")
            rejected.append(RejectedRecord(where, problem))
        chosen = [pair for day in sorted(by_day) for pair in by_day[day]]
        self.days_in_file, self.papers_in_file = sorted(seen), sum(seen.values())
        self.days_kept = sorted(by_day)
        for start in range(0, max(len(chosen), 1), batch_size):
            part = chosen[start : start + batch_size]
            yield Batch(
                dedupe_latest([paper for paper, _ in part]),
                [announcement for _, announcements in part for announcement in announcements],
                rejected if start == 0 else [],
                position=self.total if start + batch_size >= len(chosen) else None,
            )
