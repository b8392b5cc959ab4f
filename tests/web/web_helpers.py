"""Helpers of the web tests: a small catalog with awkward text, and signing up / posting forms.

Days: Thu 2025-03-13, Fri 2025-03-14 and Mon 2025-03-17 (nothing on the weekend between).
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from likewise.models import Announcement, AnnouncementKind, Paper, Version

THURSDAY, FRIDAY, MONDAY = date(2025, 3, 13), date(2025, 3, 14), date(2025, 3, 17)
TOPICS = [
    ("Contrastive learning for dense retrieval", "retrieval contrastive embeddings queries"),
    ("Vision transformers for medical image segmentation", "segmentation images transformer"),
    ("Speech recognition with self-supervised audio models", "speech audio recognition"),
    ("Graph neural networks for molecule property prediction", "graph molecules chemistry"),
    ("Reinforcement learning from human feedback for dialogue", "reinforcement dialogue"),
    ("Diffusion models for text-to-image generation", "diffusion image generation"),
]


def make_papers() -> tuple[list[Paper], list[Announcement]]:
    papers: list[Paper] = []
    announcements: list[Announcement] = []
    days = [THURSDAY, FRIDAY, MONDAY]
    for number in range(12):
        title, words = TOPICS[number % len(TOPICS)]
        day = days[number % 3]
        arxiv_id = f"2503.{10100 + number:05d}"
        submitted = datetime(2025, 3, 10, 12, number, tzinfo=UTC)
        papers.append(
            Paper(
                arxiv_id=arxiv_id,
                title=f"{title} {number}",
                abstract=f"We study {words} with $O(n^2)$ cost & a bound $x<y$. Results {number}.",
                authors=["Ada Lovelace", f"Author Number{number}"],
                categories=["cs.CL", "cs.AI"] if number % 2 else ["cs.CV"],
                submitted=submitted,
                updated=submitted,
                announced=day,
                latest_version=1,
                versions=[Version(arxiv_id, 1, submitted)],
                source="test",
            )
        )
        kind = AnnouncementKind.CROSS_LIST if number == 11 else AnnouncementKind.NEW
        announcements.append(Announcement(arxiv_id, day, kind))
    tricky_id = "2503.10999"
    papers.append(
        Paper(
            arxiv_id=tricky_id,
            title="<script>alert('t')</script> Bounds for $\\mathcal{L}_{\\text{CE}}$ & friends",
            abstract="An abstract with <b>tags</b>, & ampersands and $\\frac{a}{b} < c$ math.",
            authors=["Émile <Evil> Borel"],
            categories=["cs.LG"],
            submitted=datetime(2025, 3, 11, tzinfo=UTC),
            announced=MONDAY,
            versions=[Version(tricky_id, 1, datetime(2025, 3, 11, tzinfo=UTC))],
            source="test",
        )
    )
    announcements.append(Announcement(tricky_id, MONDAY, AnnouncementKind.NEW))
    return papers, announcements


def csrf_of(client: TestClient) -> str:
    """The session's CSRF token, as a page's forms carry it."""
    page = client.get("/signin")
    match = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert match, "every page carries the CSRF token in a meta tag"
    return match.group(1)


def post_form(
    client: TestClient, url: str, data: dict[str, Any] | None = None, **options: Any
) -> Any:
    fields = {"csrf_token": csrf_of(client), **(data or {})}
    return client.post(url, data=fields, follow_redirects=False, **options)


def sign_up(client: TestClient, name: str = "reader", password: str = "correct horse") -> Any:
    response = post_form(client, "/signup", {"username": name, "password": password})
    assert response.status_code == 303, response.text
    return response


def api_headers(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": csrf_of(client), "Accept": "application/json"}


RECORDED = Path(__file__).resolve().parent / "data"
SCREENSHOTS = Path(
    os.environ.get("LIKEWISE_SCREENSHOTS", Path(__file__).resolve().parents[2] / "screenshots")
)


def recorded_arxiv(requested: list[str]) -> httpx.MockTransport:
    """The arXiv API answering from hand-made recorded responses, keyed by `id_list`."""

    def answer(request: httpx.Request) -> httpx.Response:
        ids = request.url.params.get("id_list", "")
        requested.append(ids)
        name = "arxiv_api_2503_11677.xml" if ids == "2503.11677" else "arxiv_api_empty.xml"
        return httpx.Response(
            200,
            content=(RECORDED / name).read_bytes(),
            headers={"content-type": "application/atom+xml"},
        )

    return httpx.MockTransport(answer)
