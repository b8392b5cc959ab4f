"""Layout checks in headless Chromium, signed in, at desktop and phone widths: the header's
search box keeps room to type, and a card's "Not interested" sits in the card's meta row."""

from __future__ import annotations

from typing import Any

import pytest
from test_browser import browser, site  # noqa: F401  (the served site and Chromium)
from web_helpers import SCREENSHOTS

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (820, 1000), (390, 844)])
def test_signed_in_header_leaves_the_search_box_room_and_cards_tidy(
    site: str,  # noqa: F811
    browser: Any,  # noqa: F811
    width: int,
    height: int,
) -> None:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(site + "/signup")
    page.locator("#username").fill(f"reader{width}")
    page.locator("#password").fill("a good password")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(site + "/")
    assert page.locator(".who").inner_text() == f"reader{width}"
    box = page.locator("#top-search")
    field = box.bounding_box()
    assert field is not None
    # The placeholder is shown whole (no text cut off) and a query has room.
    fits = """input => {
        const style = getComputedStyle(input);
        const pen = document.createElement("canvas").getContext("2d");
        pen.font = style.font;
        const room = input.clientWidth - parseFloat(style.paddingLeft)
            - parseFloat(style.paddingRight);
        return pen.measureText(input.placeholder).width <= room;
    }"""
    assert box.evaluate(fits)
    assert field["width"] >= 200
    assert field["x"] >= 0 and field["x"] + field["width"] <= width
    card = page.locator("article.card").first
    button = card.get_by_role("button", name="Not interested", exact=False)
    meta = card.locator(".meta").bounding_box()
    placed = button.bounding_box()
    assert meta is not None and placed is not None
    # Inside the meta row (not pushed out below it as an unstyled line of its own).
    assert meta["y"] <= placed["y"] and placed["y"] + placed["height"] <= meta["y"] + meta["height"]
    assert button.evaluate("b => getComputedStyle(b).borderTopStyle") == "solid"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"signed-in-header-{width}.png"))
    page.close()
