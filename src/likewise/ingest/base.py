"""What every source shares: the Batch it yields, the Source protocol, and its errors.

A source reads its input in batches; each batch carries the checkpoint to store with it,
so that a run cut short resumes after the last committed batch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from likewise.models import Announcement, Paper, RejectedRecord


class RecordError(ValueError):
    """One input record cannot become a Paper; the message says what is wrong with it."""


class IngestError(RuntimeError):
    """A fatal problem with a whole source (unreachable host, not Atom/OAI, unreadable file).

    The message names the file or URL and says what is wrong; records already committed stay.
    """


@dataclass(slots=True)
class Batch:
    """Papers to store in one transaction, with the announcements and checkpoint that go along.

    ``matched`` counts input records recognised as papers already stored (BibTeX entries
    matched to arXiv records); ``position`` is how far into the input the batch ends, in the
    unit of the source's ``total`` (bytes for files), for the progress bar. ``notes`` are
    remarks on records that were stored all the same (an unknown category left out).
    """

    papers: list[Paper]
    announcements: list[Announcement] = field(default_factory=list)
    rejected: list[RejectedRecord] = field(default_factory=list)
    checkpoint: str | None = None
    matched: int = 0
    position: int | None = None
    notes: list[RejectedRecord] = field(default_factory=list)


@runtime_checkable
class Source(Protocol):
    """Somewhere papers come from. ``name`` keys its checkpoint and sync status in the store."""

    name: str

    def batches(self, checkpoint: str | None, batch_size: int) -> Iterator[Batch]:
        """Yield batches, resuming after ``checkpoint`` (a value an earlier batch carried)."""
        ...


def total_of(source: Source) -> int | None:
    """How much input the source has in all (bytes of a file), when it knows."""
    total = getattr(source, "total", None)
    return total if isinstance(total, int) else None


# The store keeps a paper's source in 64 characters (papers.source).
MAX_SOURCE_NAME = 64


def source_name(kind: str, detail: str) -> str:
    """``kind:detail`` when it fits; else the tail of the detail plus a hash that keeps it unique.

    Names are stable for the same input (the checkpoint is found again).
    """
    name = f"{kind}:{detail}"
    if len(name) <= MAX_SOURCE_NAME:
        return name
    digest = hashlib.sha256(detail.encode("utf-8")).hexdigest()[:8]
    room = MAX_SOURCE_NAME - len(kind) - len(digest) - 3
    tail = detail.rsplit("/", 1)[-1]
    tail = tail if len(tail) <= room else tail[-room:]
    return f"{kind}:{tail}#{digest}"
