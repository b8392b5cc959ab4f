"""The personal feed end to end in headless Chromium: sign up, tell likewise what you read,
open "For you" from the header, mark a paper "not interested", reload: it is gone."""

from __future__ import annotations

from typing import Any

import pytest
from test_browser import browser, shot, site  # noqa: F401  (the served site and Chromium)

pytestmark = pytest.mark.browser
SAVED, LIKE_IT = "2503.10100", "2503.10106"  # two papers of one topic in the web catalog


def _card_ids(page: Any) -> list[str]:
    return page.locator("article.card .id").all_inner_texts()  # type: ignore[no-any-return]


def test_a_new_reader_saves_a_paper_sees_for_you_and_not_interested_removes_one(
    site: str,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(site + "/signup?next=/for-you")
    page.locator("#username").fill("newreader")
    page.locator("#password").fill("a good password")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(site + "/for-you")

    # No signal yet: the page says what to do, not an error.
    assert page.locator("h1").inner_text() == "For you"
    assert "does not know what you read yet" in page.locator(".for-you-empty").inner_text()
    shot(page, "for-you-empty")

    # Save a paper to a new collection from its page.
    page.goto(site + f"/papers/{SAVED}")
    page.locator("#save-new").fill("Retrieval")
    page.get_by_role("button", name="Save", exact=True).click()
    assert "Saved in Retrieval" in page.locator(".hint.saved").inner_text()

    # "For you" from the signed-in header.
    page.locator("header nav").get_by_role("link", name="For you").click()
    page.wait_for_url(site + "/for-you")
    ids = _card_ids(page)
    assert ids and ids[0] == LIKE_IT and SAVED not in ids
    first = page.locator("article.card").first
    assert "close to “Contrastive learning for dense retrieval 0” (saved in Retrieval)" in (
        first.locator(".reason").inner_text()
    )
    assert first.locator(".similarity").inner_text().startswith("similarity 0.")
    assert page.locator("#feed-url").input_value().endswith(".atom")
    shot(page, "for-you")

    # Not interested: the form posts and comes back; the paper is gone, and stays gone.
    first.get_by_role("button", name="Not interested in").click()
    page.wait_for_url(site + "/for-you")
    assert LIKE_IT not in _card_ids(page)
    page.reload()
    assert LIKE_IT not in _card_ids(page)
    assert "you marked “not interested”" in page.locator(".lede").inner_text()
    shot(page, "for-you-after-not-interested")

    # The collection's own recommendations.
    page.get_by_role("link", name="Collections").click()
    page.get_by_role("link", name="Retrieval").click()
    assert page.locator("#recommended-title").inner_text() == "Papers like this collection"
    shot(page, "collection-recommended")
    page.close()


def test_a_new_reader_imports_a_bibtex_file_and_for_you_learns_from_it(
    site: str,  # noqa: F811
    browser: Any,  # noqa: F811
    tmp_path: Any,
) -> None:
    bibtex = tmp_path / "mine.bib"
    bibtex.write_text(
        "@article{mine2025,\n  title = {A paper I wrote},\n  author = {Reader, New},\n"
        f"  eprint = {{{SAVED}}},\n  archivePrefix = {{arXiv}},\n  year = {{2025}}\n}}\n",
        encoding="utf-8",
    )
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(site + "/signup?next=/library")
    page.locator("#username").fill("bibreader")
    page.locator("#password").fill("a good password")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(site + "/library")

    page.locator("#library-file").set_input_files(str(bibtex))
    page.get_by_role("button", name="Import").click()
    page.wait_for_load_state()
    assert SAVED in page.content()
    shot(page, "library-imported")

    page.locator("header nav").get_by_role("link", name="For you").click()
    page.wait_for_url(site + "/for-you")
    ids = _card_ids(page)
    assert ids and ids[0] == LIKE_IT and SAVED not in ids
    assert "in your library" in page.locator("article.card").first.locator(".reason").inner_text()
    shot(page, "for-you-from-bibtex")

    page.locator("article.card").first.get_by_role("button", name="Not interested in").click()
    page.wait_for_url(site + "/for-you")
    page.reload()
    assert LIKE_IT not in _card_ids(page)
    page.close()
