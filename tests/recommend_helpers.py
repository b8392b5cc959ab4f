"""A small catalog for the personal-feed tests: older papers a reader saves, and three days of
new papers on four distinct topics (with distinct words, so the fake embedder separates them).

Days: Mon 2025-06-02 to Wed 2025-06-04 are new; the saved papers were announced in May.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import numpy.typing as npt

from likewise.library import Library
from likewise.models import Announcement, AnnouncementKind, Paper

OLD_DAY = date(2025, 5, 5)
NEW_DAYS = [date(2025, 6, 2), date(2025, 6, 3), date(2025, 6, 4)]
TOPICS = {
    "retrieval": "dense passage retrieval contrastive query encoder reranking corpus",
    "vision": "convolutional image segmentation pixels medical scans",
    "speech": "speech recognition acoustic audio phoneme transcription",
    "graphs": "graph neural network molecule atoms bonds chemistry",
}


def paper(arxiv_id: str, topic: str, number: int, day: date) -> Paper:
    words = TOPICS[topic]
    return Paper(
        arxiv_id=arxiv_id,
        title=f"{topic.title()} study {number}: {' '.join(words.split()[:3])}",
        abstract=f"We study {words}. Variant {number} of the {topic} method.",
        authors=[f"Author {topic} {number}"],
        categories=["cs.IR" if topic == "retrieval" else "cs.LG"],
        submitted=datetime.combine(day, datetime.min.time(), UTC),
        announced=day,
        source="test",
    )


def build_catalog(library: Library) -> dict[str, list[str]]:
    """Stores the papers; returns the ids of each topic's old and new papers."""
    papers: list[Paper] = []
    announcements: list[Announcement] = []
    ids: dict[str, list[str]] = {}
    for t, topic in enumerate(TOPICS):
        for number in range(2):
            arxiv_id = f"2505.{t}{number:04d}"
            papers.append(paper(arxiv_id, topic, number, OLD_DAY))
            announcements.append(Announcement(arxiv_id, OLD_DAY, AnnouncementKind.NEW))
            ids.setdefault(f"old-{topic}", []).append(arxiv_id)
        for number in range(3):
            day = NEW_DAYS[number]
            arxiv_id = f"2506.{t}{number:04d}"
            papers.append(paper(arxiv_id, topic, 10 + number, day))
            announcements.append(Announcement(arxiv_id, day, AnnouncementKind.NEW))
            ids.setdefault(f"new-{topic}", []).append(arxiv_id)
    library.store.upsert_papers(papers, source="test", announcements=announcements)
    library.vectors.update_vectors()
    return ids


@dataclass
class FakeEntry:
    """An imported library entry as store/library_entries.py will hand it over."""

    id: int
    arxiv_id: str | None
    title: str
    abstract: str | None
    source: str = "bibtex"
    added_at: datetime | None = None
    vector: npt.NDArray[np.float32] | None = None


class FakeEntries:
    def __init__(self, entries: dict[int, list[FakeEntry]]) -> None:
        self.entries = entries

    def entries_of(self, user_id: int) -> list[FakeEntry]:
        return self.entries.get(user_id, [])
