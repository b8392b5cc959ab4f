"""The paper page lists ten similar papers with their similarity (the cosine, two decimals, not
a percent) and reasons free of stop words, its JSON twin carries the same; lists that are not
the result of a search (trending, daily) show no "relevant" badge."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from web_helpers import post_form, sign_up

from likewise.library import Library
from likewise.rank.key_phrases import STOP_WORDS

PAPER = "2503.10100"


def _text(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def _similar_section(client: TestClient) -> str:
    page = client.get(f"/papers/{PAPER}").text
    found = re.search(r'<section class="similar".*?</section>', page, re.S)
    assert found, "the paper page has a similar-papers section"
    return found.group(0)


def _similar_items(client: TestClient) -> list[str]:
    return [_text(item) for item in re.findall(r"<li>(.*?)</li>", _similar_section(client), re.S)]


def _cards(client: TestClient, url: str) -> list[str]:
    page = client.get(url).text
    return [_text(card) for card in re.findall(r'<article class="card".*?</article>', page, re.S)]


def test_the_paper_page_lists_ten_similar_papers_each_with_its_similarity(
    client: TestClient,
) -> None:
    items = _similar_items(client)
    assert len(items) == 10
    for text in items:
        assert re.search(r"similarity [01]\.\d\d\b", text), text
        assert "%" not in text and "relevant" not in text


def test_the_json_twin_carries_the_same_papers_and_similarities_in_the_same_order(
    client: TestClient,
) -> None:
    twin = client.get(f"/api/papers/{PAPER}").json()
    shown = [re.search(r"similarity (\d\.\d\d)", text) for text in _similar_items(client)]
    assert [f"{entry['similarity']:.2f}" for entry in twin["similar"]] == [
        match.group(1) for match in shown if match
    ]
    links = re.findall(r'<li>\s*<a href="([^"]+)"', _similar_section(client))
    assert links == [f"/papers/{entry['paper']['arxiv_id']}" for entry in twin["similar"]]


def test_the_similarity_shown_is_the_cosine_of_the_two_papers_vectors(
    client: TestClient, catalog: Library
) -> None:
    twin = client.get(f"/api/papers/{PAPER}").json()
    own = catalog.vectors.paper_vector(PAPER)
    assert own is not None
    for entry in twin["similar"]:
        theirs = catalog.vectors.paper_vector(entry["paper"]["arxiv_id"])
        assert theirs is not None
        assert abs(entry["similarity"] - float(own @ theirs)) < 1e-5


def test_the_page_says_how_the_list_is_ordered(client: TestClient, catalog: Library) -> None:
    twin = client.get(f"/api/papers/{PAPER}").json()
    hub_corrected = catalog.settings.hubness_correction
    assert twin["similar_ranking"] == ("cosine-dbnorm" if hub_corrected else "cosine")
    section = _text(_similar_section(client))
    assert "cosine similarity of their embeddings" in section
    assert ("hubness correction" in section) == hub_corrected


def test_similar_paper_reasons_name_no_stop_word(client: TestClient) -> None:
    reasons = [entry["reason"] for entry in client.get(f"/api/papers/{PAPER}").json()["similar"]]
    named = [
        phrase
        for reason in reasons
        if reason.startswith("shared terms: ")
        for phrase in reason.removeprefix("shared terms: ").split(";")[0].split(", ")
    ]
    assert named, reasons
    for phrase in named:
        assert not set(phrase.split()) & STOP_WORDS, phrase


def test_trending_and_daily_cards_carry_no_relevance_badge(client: TestClient) -> None:
    sign_up(client)
    assert post_form(client, f"/papers/{PAPER}/vote", {"action": "up", "next": "/"}).status_code
    trending = client.get("/api/trending").json()["listing"]["cards"]
    assert trending and trending[0]["paper"]["arxiv_id"] == PAPER
    for url in ("/trending", "/"):
        cards = _cards(client, url)
        assert cards, url
        assert not [card for card in cards if "relevant" in card], url
