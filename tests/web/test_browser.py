"""End-to-end journeys in headless Chromium against a real uvicorn server on loopback.

Browse a day, search, open a paper, sign up, vote, save, submit by id, on a desktop and a
phone viewport. Screenshots of the main pages go to ./screenshots (or LIKEWISE_SCREENSHOTS);
the folder is printed at the end of the run.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import expect
from web_helpers import SCREENSHOTS, recorded_arxiv

from likewise.library import Library
from likewise.web.app import create_app

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
    pytest.skip(
        "Debian's chromium is not installed (scripts/test installs it)", allow_module_level=True
    )


@pytest.fixture
def site(catalog: Library) -> Iterator[str]:
    """The app over the small catalog, served by uvicorn in a thread on a free port."""
    catalog.catalog.use_transport(recorded_arxiv([]))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        create_app(catalog.settings, catalog),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_a_reader_browses_searches_signs_up_votes_saves_and_submits(
    site: str, browser: Any
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(site + "/")
    assert page.locator("h1").inner_text() == "Daily Papers"
    assert "Monday, March 17, 2025" in page.locator(".lede").inner_text()
    assert page.locator("article.card").count() == 5
    shot(page, "daily")

    # Browse: back over the weekend to Friday, then the whole week.
    page.get_by_role("link", name="Previous day with papers").click()
    page.wait_for_url("**/?day=2025-03-14")
    assert "Friday, March 14, 2025" in page.locator(".lede").inner_text()
    page.get_by_role("link", name="Week", exact=True).click()
    assert page.locator("article.card").count() == 8

    # Search from the header box; the query stays in the URL.
    page.locator("#top-search").fill("contrastive dense retrieval")
    page.locator("#top-search").press("Enter")
    page.wait_for_url("**/search?q=contrastive+dense+retrieval")
    assert page.locator("article.card").count() > 0
    shot(page, "search")

    # Open the first result.
    first = page.locator("article.card h3 a").first
    title = first.inner_text()
    first.click()
    page.wait_for_url("**/papers/**")
    assert page.locator("h1").inner_text() == title

    # Sign up (from the header), and land back on the paper.
    page.get_by_role("link", name="Sign up").click()
    page.locator("#username").fill("reader")
    page.locator("#password").fill("a good password")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/papers/**")
    assert page.locator(".who").inner_text() == "reader"

    # Vote (JavaScript path), and the vote survives a reload.
    upvote = page.locator(".actions button.upvote")
    upvote.click()
    # expect() polls without evaluating a string in the page, which the site's CSP forbids.
    expect(page.locator(".actions .count")).to_have_text("1")
    page.reload()
    assert page.locator(".actions button.upvote").get_attribute("aria-pressed") == "true"

    # Save to a new collection.
    page.locator("#save-new").fill("Reading list")
    page.get_by_role("button", name="Save", exact=True).click()
    assert "Saved in Reading list" in page.locator(".hint.saved").inner_text()
    shot(page, "paper")
    page.get_by_role("link", name="Collections").click()
    assert page.get_by_role("link", name="Reading list").is_visible()

    # Submit a paper by id (answered from a recorded arXiv API response).
    page.get_by_role("link", name="Submit").first.click()
    page.locator("#paper").fill("2503.11677")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url("**/papers/2503.11677")
    assert "Simulation of prosthetic vision" in page.locator("h1").inner_text()
    page.close()


def test_a_topic_chip_filters_the_daily_list_to_that_topic(site: str, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(site + "/")
    every = page.locator("article.card").count()
    chip = page.locator("a.chip.topic").first
    label = chip.inner_text()
    topic = (chip.get_attribute("href") or "").split("topic=", 1)[1]
    chip.click()
    page.wait_for_url(f"**/?topic={topic}")
    cards = page.locator("article.card")
    assert 1 <= cards.count() < every
    for number in range(cards.count()):
        assert label in cards.nth(number).locator("a.chip.topic").all_inner_texts()
    assert page.locator("select[name=topic]").input_value() == topic
    shot(page, "daily-topic")


def test_math_renders_and_markup_in_titles_stays_text(site: str, browser: Any) -> None:
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(site + "/papers/2503.10999")
    assert "<script>alert('t')</script>" in page.locator("h1").inner_text()
    assert page.locator("h1 math msub").count() == 1
    width = page.locator(".abstract-full math mfrac").bounding_box()
    assert width is not None and width["height"] > 0
    assert dialogs == []
    shot(page, "paper-math")
    page.close()


def test_the_site_reads_well_on_a_phone_and_works_from_the_keyboard(
    site: str, browser: Any
) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(site + "/")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    shot(page, "daily-phone")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "top-search"
    page.close()
