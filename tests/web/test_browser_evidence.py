""" "Why it matched" in headless Chromium: a search over a small catalog of several-sentence
abstracts marks, on each hit, the sentences its JSON twin (/api/search) lists as evidence."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote_plus

import pytest
from test_browser import browser, shot, site  # noqa: F401  (the served site and Chromium)

from likewise.library import Library
from likewise.models import Announcement, AnnouncementKind, Paper, Version

pytestmark = pytest.mark.browser
QUERY = "protein structure prediction with graph neural networks"
MONDAY = date(2025, 3, 17)
# The sentence that should be chosen sits in the middle, so the first sentence would be wrong.
ABSTRACTS = [
    (
        "Learning to fold proteins",
        "Proteins are long chains of amino acids. "
        "We predict protein structure with graph neural networks over residue contacts. "
        "Training takes two days on one accelerator. "
        "The code is released.",
    ),
    (
        "Message passing for molecules",
        "Chemistry has many open problems. "
        "Small molecules are studied with message passing. "
        "Graph neural networks predict binding energies from atom graphs. "
        "We report results on three benchmarks.",
    ),
    (
        "Structure from sequence alone",
        "Sequence databases keep growing. "
        "Our language model reads a sequence and outputs a structure prediction for the protein. "
        "It needs no alignments.",
    ),
    (
        "Weather forecasting at scale",
        "Forecasts matter for farming. "
        "A transformer predicts rainfall a week ahead. "
        "It beats numerical models on two regions.",
    ),
]


def _collapsed(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture
def catalog(library: Library) -> Library:
    """Four papers with plain-text abstracts (no formulas, so a mark's text is the sentence's),
    embedded, in place of the shared web catalog."""
    papers, announcements = [], []
    for number, (title, abstract) in enumerate(ABSTRACTS):
        arxiv_id = f"2503.{20100 + number:05d}"
        submitted = datetime(2025, 3, 12, 9, number, tzinfo=UTC)
        papers.append(
            Paper(
                arxiv_id=arxiv_id,
                title=title,
                abstract=abstract,
                authors=["Ada Lovelace"],
                categories=["cs.LG"],
                submitted=submitted,
                updated=submitted,
                announced=MONDAY,
                latest_version=1,
                versions=[Version(arxiv_id, 1, submitted)],
                source="test",
            )
        )
        announcements.append(Announcement(arxiv_id, MONDAY, AnnouncementKind.NEW))
    library.store.upsert_papers(papers, source="test", announcements=announcements)
    library.vectors.update_vectors()
    return library


def test_a_search_hit_marks_the_sentences_its_json_twin_gives_as_evidence(
    site: str,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    twin = page.request.get(site + "/api/search?q=" + quote_plus(QUERY))
    assert twin.ok
    cards = twin.json()["listing"]["cards"]
    expected = {
        card["paper"]["arxiv_id"]: [_collapsed(item["text"]) for item in card["evidence"]]
        for card in cards
        if card.get("evidence")
    }
    assert expected, "no hit of the search has evidence"

    page.goto(site + "/search?q=" + quote_plus(QUERY))
    shown = page.locator("article.card")
    assert shown.count() == len(cards)
    marked: dict[str, list[str]] = {}
    for number in range(shown.count()):
        card = shown.nth(number)
        arxiv_id = card.locator(".id").inner_text().strip()
        marked[arxiv_id] = [_collapsed(t) for t in card.locator("mark.evidence").all_inner_texts()]
    assert {key: value for key, value in marked.items() if value} == expected

    # The fold paper's match is its second sentence, not its opening one.
    fold = expected["2503.20100"]
    assert fold[0].startswith("We predict protein structure with graph neural networks")
    first_mark = page.locator("mark.evidence").first
    assert first_mark.is_visible()
    shot(page, "search-evidence")
    page.close()
