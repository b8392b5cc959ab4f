"""Fixtures of the digest tests: a small catalog over two announcement days, and a library
whose settings point at a mail server."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from likewise.models import Announcement, AnnouncementKind, Paper

DAY_ONE = date(2026, 6, 29)
DAY_TWO = date(2026, 6, 30)

# (id, title, abstract, categories, authors, day)
PAPERS = [
    (
        "2606.00001",
        "Contrastive learning for dense retrieval",
        "We train dense retrieval models with contrastive learning and hard negatives.",
        ["cs.IR", "cs.CL"],
        ["Ada Lovelace", "Alan Turing"],
        DAY_ONE,
    ),
    (
        "2606.00002",
        "Image segmentation with diffusion priors",
        "A diffusion model prior improves semantic image segmentation of street scenes.",
        ["cs.CV"],
        ["Grace Hopper"],
        DAY_ONE,
    ),
    (
        "2606.00003",
        "Contrastive pretraining of retrieval encoders",
        "Contrastive pretraining makes retrieval encoders better at dense passage retrieval.",
        ["cs.IR"],
        ["Edsger Dijkstra"],
        DAY_TWO,
    ),
    (
        "2606.00004",
        "Contrastive pretraining of retrieval encoders at scale",
        "Contrastive pretraining makes retrieval encoders better at dense passage retrieval.",
        ["cs.IR"],
        ["Barbara Liskov"],
        DAY_TWO,
    ),
    (
        "2606.00005",
        "Reinforcement learning for robot grasping",
        "Robots learn to grasp objects with reinforcement learning from camera images.",
        ["cs.RO", "cs.LG"],
        ["Grace Hopper"],
        DAY_TWO,
    ),
    (
        "2606.00006",
        "Parsing legal documents with language models",
        "Large language models parse legal contracts into structured clauses.",
        ["cs.CL"],
        ["Ada Lovelace"],
        DAY_TWO,
    ),
]


def make_papers() -> tuple[list[Paper], list[Announcement]]:
    papers, announcements = [], []
    for arxiv_id, title, abstract, categories, authors, day in PAPERS:
        papers.append(
            Paper(
                arxiv_id=arxiv_id,
                title=title,
                abstract=abstract,
                authors=list(authors),
                categories=list(categories),
                announced=day,
            )
        )
        announcements.append(Announcement(arxiv_id, day, AnnouncementKind.NEW))
    return papers, announcements


@pytest.fixture
def catalog(library: Any) -> Any:
    """The library with the papers above stored, announced and embedded."""
    papers, announcements = make_papers()
    library.store.upsert_papers(papers, source="test", announcements=announcements)
    library.vectors.update_vectors()
    return library
