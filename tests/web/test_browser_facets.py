"""Similar by facet in headless Chromium, on real papers of arxiv-daily-cs (the first lines of
the file, through the real JSON-lines parser, fake embedder): open a paper page, click the
"by method" tab, and see papers with the sentences that matched; "similar overall" goes back."""

from __future__ import annotations

import gzip
import json
from itertools import islice
from pathlib import Path
from typing import Any

import pytest
from test_browser import browser, shot, site  # noqa: F401  (the served site and Chromium)

from likewise.ingest.jsonl import paper_from_record
from likewise.library import Library

ARXIV_DAILY = (
    Path(__file__).resolve().parents[3] / "shared" / "data" / "arxiv-daily-cs" / "papers.jsonl.gz"
)

pytestmark = pytest.mark.browser
PAPERS_READ = 80


@pytest.fixture
def catalog(library: Library) -> Library:
    """This module's catalog: real arXiv records, embedded (vectors and sentences)."""
    with gzip.open(ARXIV_DAILY, "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line in islice(lines, PAPERS_READ)]
    papers = list({p.arxiv_id: p for p in (paper_from_record(r)[0] for r in records)}.values())
    library.store.upsert_papers(papers, source="test")
    library.vectors.update_vectors()
    return library


def test_a_reader_clicks_the_method_tab_and_sees_the_sentences_that_matched(
    catalog: Library,
    site: str,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    stored = catalog.sentences.sentences_of([p.arxiv_id for p in catalog.store.iter_papers()])
    # A paper of several sentences and no TeX, so that the page shows its sentences verbatim.
    query = next(
        arxiv_id
        for arxiv_id, found in sorted(stored.items())
        if len(found.texts) >= 4 and not any("$" in text for text in found.texts)
    )
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{site}/papers/{query}")
    tabs = page.locator("nav.similar-tabs a")
    assert tabs.all_inner_texts() == ["similar overall", "by background", "by method", "by result"]
    assert page.locator("nav.similar-tabs a[aria-current=page]").inner_text() == "similar overall"

    page.get_by_role("link", name="by method").click()
    page.wait_for_url(f"{site}/papers/{query}?facet=method#similar-title")
    assert page.locator("nav.similar-tabs a[aria-current=page]").inner_text() == "by method"
    items = page.locator("ol.similar-list > li")
    assert items.count() == 10
    first_item = items.first
    assert first_item.locator(".facet-match").inner_text().startswith("method match ")
    matched = first_item.locator(".matched-sentences li").first
    hit_id = first_item.locator("a").first.get_attribute("href").rsplit("/", 1)[-1]
    theirs = " ".join(matched.locator("q.theirs").inner_text().split())
    ours = " ".join(matched.locator(".ours").inner_text().split())
    assert ours in [" ".join(text.split()) for text in stored[query].texts]
    assert theirs in [" ".join(text.split()) for text in stored[hit_id].texts]
    shot(page, "paper-similar-by-method")

    page.get_by_role("link", name="similar overall").click()
    page.wait_for_url(f"{site}/papers/{query}#similar-title")
    assert page.locator(".matched-sentences").count() == 0
    page.close()
