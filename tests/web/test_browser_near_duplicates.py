"""Near-duplicates in headless Chromium: a re-submission of a paper is one card on the day's
list with an "also as" link; following it opens the other record, whose page links back, and
the JSON twins carry the same links."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from test_browser import browser, shot, site  # noqa: F401  (the served site and Chromium)
from web_helpers import THURSDAY, make_papers

from likewise.library import Library
from likewise.models import Announcement, AnnouncementKind

pytestmark = pytest.mark.browser
ORIGINAL, TWIN = "2503.10100", "2503.20100"


@pytest.fixture
def catalog(library: Library) -> Library:
    """The web tests' catalog plus a re-submission of its first paper, posted the same day
    under a new id with a reworded abstract; stored without ingest, found by the backfill."""
    papers, announcements = make_papers()
    original = next(p for p in papers if p.arxiv_id == ORIGINAL)
    twin = dataclasses.replace(
        original,
        arxiv_id=TWIN,
        abstract="A revised version: contrastive retrieval embeddings for queries, new results.",
        versions=[],
    )
    library.store.upsert_papers(
        [*papers, twin],
        source="test",
        announcements=[*announcements, Announcement(TWIN, THURSDAY, AnnouncementKind.NEW)],
    )
    library.vectors.update_vectors()
    assert library.near_duplicates.update().pairs == 1
    return library


def test_a_resubmission_is_one_card_with_also_as_and_the_pages_link_each_other(
    site: str,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(site + f"/?day={THURSDAY.isoformat()}")
    ids = page.locator("article.card .id").all_inner_texts()
    assert (ORIGINAL in ids) != (TWIN in ids)
    shown = ORIGINAL if ORIGINAL in ids else TWIN
    other = TWIN if shown == ORIGINAL else ORIGINAL
    card = page.locator("article.card").filter(has=page.locator(".id", has_text=shown))
    also = card.locator(".also-as")
    assert also.inner_text() == f"Also as {other}"
    shot(page, "near-duplicates-daily")

    also.get_by_role("link", name=other).click()
    page.wait_for_url(site + f"/papers/{other}")
    section = page.locator("#also-as")
    assert "the same work under another record" in section.inner_text()
    section.get_by_role("link", name="Contrastive learning for dense retrieval 0").click()
    page.wait_for_url(site + f"/papers/{shown}")
    assert other in page.locator("#also-as").inner_text()
    shot(page, "near-duplicates-paper")

    paper_json = page.request.get(site + f"/api/papers/{shown}").json()
    assert paper_json["page"]["also_as"] == [
        {"arxiv_id": other, "title": "Contrastive learning for dense retrieval 0"}
    ]
    daily_json = page.request.get(site + f"/api/daily?day={THURSDAY.isoformat()}").json()
    listed = [c["paper"]["arxiv_id"] for c in daily_json["listing"]["cards"]]
    assert (ORIGINAL in listed) != (TWIN in listed)
    page.close()
