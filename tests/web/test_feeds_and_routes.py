"""Feeds and routes as a reader's tools meet them: absolute links to the host that was asked,
a feed per day, HEAD on every GET route, a favicon, and a clear word when arXiv is offline."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import Element, fromstring

import pytest
from fastapi.testclient import TestClient
from web_helpers import FRIDAY, MONDAY, THURSDAY, post_form, sign_up

from likewise.library import Library
from likewise.web.app import create_app

ATOM = "{http://www.w3.org/2005/Atom}"


def _feed(client: TestClient, url: str, **options: Any) -> Element:
    response = client.get(url, **options)
    assert response.status_code == 200, response.text
    return fromstring(response.content)


def _links(feed: Element) -> dict[str, str]:
    return {link.get("rel", ""): link.get("href", "") for link in feed.findall(f"{ATOM}link")}


def test_feeds_link_to_the_host_the_request_came_to_without_a_base_url(
    client: TestClient,
) -> None:
    feed = _feed(client, "/feeds/daily.atom", headers={"host": "127.0.0.1:8123"})
    assert feed.findtext(f"{ATOM}id") == "http://127.0.0.1:8123/feeds/daily.atom"
    assert _links(feed)["alternate"] == "http://127.0.0.1:8123/"
    entry_ids = [entry.findtext(f"{ATOM}id") or "" for entry in feed.iter(f"{ATOM}entry")]
    assert entry_ids and all(i.startswith("http://127.0.0.1:8123/papers/") for i in entry_ids)


def test_feeds_use_the_base_url_setting_when_one_is_set(catalog: Library) -> None:
    settings = catalog.settings.with_overrides(base_url="https://papers.example.org/")
    catalog.settings = settings
    with TestClient(create_app(settings, catalog)) as other:
        feed = _feed(other, "/feeds/trending.atom", headers={"host": "127.0.0.1:9000"})
    assert feed.findtext(f"{ATOM}id") == "https://papers.example.org/feeds/trending.atom"


def test_a_feed_of_another_day_has_its_own_id_and_self_link(client: TestClient) -> None:
    newest = _feed(client, "/feeds/daily.atom")
    thursday = _feed(client, f"/feeds/daily.atom?day={THURSDAY.isoformat()}")
    own = f"http://testserver/feeds/daily.atom?day={THURSDAY.isoformat()}"
    assert thursday.findtext(f"{ATOM}id") == own
    assert _links(thursday)["self"] == own
    assert _links(thursday)["alternate"] == f"http://testserver/?day={THURSDAY.isoformat()}"
    assert newest.findtext(f"{ATOM}id") != own
    assert THURSDAY.isoformat() in (thursday.findtext(f"{ATOM}title") or "")


def test_an_empty_search_feed_is_dated_by_the_catalog_not_1970(client: TestClient) -> None:
    feed = _feed(client, "/feeds/search.atom?q=graph&category=math.XX")
    assert feed.find(f"{ATOM}entry") is None
    assert feed.findtext(f"{ATOM}updated") == f"{MONDAY.isoformat()}T00:00:00Z"


def _sample_path(path: str) -> str:
    samples = {
        "arxiv_id": "2503.10100",
        "name": "Ada Lovelace",
        "category": "cs.CL",
        "token": "not-a-token",
        "feed_token": "not-a-token",
        "collection_id": "1",
    }
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda match: samples.get(match.group(1), "x"), path)


def test_every_get_route_answers_head_like_get_without_a_body(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = [path for path, item in schema["paths"].items() if "get" in item]
    hidden = ["/healthz", "/favicon.ico", "/api", "/static/site.css", "/submit", "/signin"]
    assert len(paths) > 10
    for path in [*paths, *hidden]:
        url = _sample_path(path) + ("?q=graph" if "search" in path else "")
        got = client.get(url, follow_redirects=False)
        head = client.head(url, follow_redirects=False)
        assert head.status_code == got.status_code, url
        assert head.content == b"", url
        assert head.headers.get("content-type") == got.headers.get("content-type"), url


def test_the_favicon_is_an_icon_of_its_own(client: TestClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # ICO header: reserved 0, type 1


def test_daily_filters_by_category_and_hides_cross_lists_in_page_json_and_feed(
    client: TestClient,
) -> None:
    day = MONDAY.isoformat()
    everything = client.get(f"/api/daily?day={day}").json()["listing"]["cards"]
    kinds = {card["paper"]["arxiv_id"]: card["kind"] for card in everything}
    assert "cross" in kinds.values()
    only_cv = client.get(f"/api/daily?day={day}&category=cs.CV").json()["listing"]["cards"]
    assert only_cv and all("cs.CV" in card["paper"]["categories"] for card in only_cv)
    assert len(only_cv) < len(everything)
    no_cross = client.get(f"/api/daily?day={day}&cross=hide").json()["listing"]["cards"]
    assert {card["kind"] for card in no_cross} == {"new"}
    assert len(no_cross) == len(everything) - 1
    page = client.get(f"/?day={day}&category=cs.CV").text
    assert page.count('class="card"') == len(only_cv)
    assert '<option value="cs.CV" selected>' in page
    feed = _feed(client, f"/feeds/daily.atom?day={day}&cross=hide")
    assert len(feed.findall(f"{ATOM}entry")) == len(no_cross)
    assert _links(feed)["self"].endswith(f"/feeds/daily.atom?day={day}&cross=hide")
    cv_feed = _feed(client, f"/feeds/daily.atom?day={day}&category=cs.CV")
    terms = [
        {category.get("term") for category in entry.findall(f"{ATOM}category")}
        for entry in cv_feed.findall(f"{ATOM}entry")
    ]
    assert terms and all("cs.CV" in entry_terms for entry_terms in terms)
    assert client.get("/api/daily?category=not%20a%20category").status_code == 400


def test_daily_navigation_keeps_the_filters(client: TestClient) -> None:
    page = client.get(f"/?day={FRIDAY.isoformat()}&category=cs.CV&cross=hide").text
    assert f"/?day={THURSDAY.isoformat()}&amp;category=cs.CV&amp;cross=hide" in page


def test_every_page_footer_shows_the_catalog_size_and_dates(client: TestClient) -> None:
    for url in ("/", "/trending", "/search?q=graph", "/papers/2503.10100"):
        text = " ".join(client.get(url).text.split())
        assert "This catalog: 13 papers, announced Mar 13, 2025 – Mar 17, 2025." in text, url


def test_every_card_shows_its_date_and_only_search_shows_relevance(
    client: TestClient,
) -> None:
    for url in ("/trending", "/categories/cs.CL", "/authors/Ada%20Lovelace", "/"):
        html = client.get(url).text
        cards = html.split('class="card"')[1:]
        assert cards, url
        assert all("<time datetime=" in card for card in cards), url
        assert "% relevant" not in html, url


@pytest.fixture
def offline_client(catalog: Library) -> Iterator[TestClient]:
    with socket.socket() as probe:  # a loopback port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    catalog.settings = catalog.settings.with_overrides(
        arxiv_api_url=f"http://127.0.0.1:{port}/api/query", request_retries=0
    )
    with TestClient(create_app(catalog.settings, catalog)) as client:
        yield client


def test_submitting_while_arxiv_is_unreachable_says_so_in_plain_words(
    offline_client: TestClient,
) -> None:
    sign_up(offline_client)
    response = post_form(offline_client, "/submit", {"paper": "2503.11677"})
    assert response.status_code == 503
    text = " ".join(response.text.split())
    assert "arXiv could not be reached" in text
    assert "cannot connect" not in text and "Errno" not in text
