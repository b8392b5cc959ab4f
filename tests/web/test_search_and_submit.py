"""The search page over the library's hybrid search, and submitting a paper by id or URL."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_helpers import api_headers, post_form, recorded_arxiv, sign_up

from calibration_helpers import steep_calibration
from likewise.library import Library
from likewise.models import Paper
from likewise.rank.search import SearchResult


def result_ids(data: dict[str, Any]) -> list[str]:
    return [card["paper"]["arxiv_id"] for card in data["listing"]["cards"]]


def test_search_finds_the_matching_papers_and_keeps_the_query_in_the_url(
    client: TestClient,
) -> None:
    data = client.get("/api/search", params={"q": "contrastive dense retrieval"}).json()
    assert data["query"] == "contrastive dense retrieval"
    assert result_ids(data)[0] in {"2503.10100", "2503.10106"}
    html = client.get("/search", params={"q": "contrastive <dense> retrieval"}).text
    assert 'value="contrastive &lt;dense&gt; retrieval"' in html
    assert "/feeds/search.atom?q=contrastive+%3Cdense%3E+retrieval" in html


def test_search_filters_by_category_author_and_dates(client: TestClient) -> None:
    by_category = client.get("/api/search", params={"q": "bounds", "category": "cs.LG"}).json()
    assert result_ids(by_category) == ["2503.10999"]
    by_author = client.get("/api/search", params={"q": "learning", "author": "Author Number3"})
    assert result_ids(by_author.json()) == ["2503.10103"]
    window = client.get(
        "/api/search", params={"q": "learning", "since": "2025-03-17", "until": "2025-03-17"}
    ).json()
    days = {card["paper"]["announced"] for card in window["listing"]["cards"]}
    assert days == {"2025-03-17"}
    inverted = client.get(
        "/api/search", params={"q": "x", "since": "2025-03-18", "until": "2025-03-01"}
    )
    assert inverted.status_code == 400
    assert "since" in inverted.json()["detail"]


def test_search_pages_through_results(client: TestClient, catalog: Library) -> None:
    extra = [
        Paper(
            f"2503.{20000 + n}",
            f"Sparse learning variant {n}",
            f"learning sparse {n}",
            ["Someone Else"],
            ["cs.LG"],
            announced=date(2025, 3, 17),
        )
        for n in range(40)
    ]
    catalog.store.upsert_papers(extra, source="test")
    catalog.vectors.update_vectors()
    first = client.get("/api/search", params={"q": "sparse learning", "page": 1}).json()
    second = client.get("/api/search", params={"q": "sparse learning", "page": 2}).json()
    assert first["listing"]["pages"] >= 2
    assert len(result_ids(first)) == 30 and result_ids(second)
    assert not set(result_ids(first)) & set(result_ids(second))
    assert (
        'rel="next" href="/search?q=sparse+learning&amp;page=2"'
        in client.get("/search", params={"q": "sparse learning"}).text
    )


def test_no_good_matches_is_said_instead_of_padding(
    client: TestClient, catalog: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    def nothing_relevant(query: str, **options: Any) -> SearchResult:
        return SearchResult(query=query, method="rrf", hits=[], total=0, no_good_matches=True)

    monkeypatch.setattr(catalog.search, "search", nothing_relevant)
    html = client.get("/search", params={"q": "zebra quantum banana"}).text
    assert "No good matches" in html
    assert 'class="card"' not in html
    data = client.get("/api/search", params={"q": "zebra quantum banana"}).json()
    assert data["no_good_matches"] is True and data["listing"]["cards"] == []


def test_search_refuses_unusable_text_with_a_message(client: TestClient) -> None:
    response = client.get("/api/search", params={"q": "bad \x01 control"})
    assert response.status_code == 400
    assert "control character" in response.json()["detail"]


def test_submitting_an_arxiv_url_fetches_and_stores_the_paper(
    client: TestClient, catalog: Library
) -> None:
    requested: list[str] = []
    catalog.catalog.use_transport(recorded_arxiv(requested))
    sign_up(client)
    response = post_form(client, "/submit", {"paper": "https://arxiv.org/abs/2503.11677v2"})
    assert response.status_code == 303
    assert response.headers["location"] == "/papers/2503.11677"
    assert requested == ["2503.11677"]
    page = client.get("/papers/2503.11677").text
    assert "Simulation of prosthetic vision" in page and "Daniel Palanker" in page
    again = client.post("/api/submit", data={"paper": "2503.11677"}, headers=api_headers(client))
    assert again.status_code == 200 and again.json()["created"] is False
    assert requested == ["2503.11677"]  # a stored paper is not fetched again


def test_a_submitted_paper_is_found_by_words_before_the_lexical_index_is_republished(
    client: TestClient, catalog: Library
) -> None:
    catalog.lexical.update_lexical_index()  # the published in-process BM25 index, without the paper
    stamp = (catalog.settings.home / "lexical.stamp.json").read_bytes()
    catalog.catalog.use_transport(recorded_arxiv([]))
    sign_up(client)
    assert post_form(client, "/submit", {"paper": "2503.11677"}).status_code == 303
    found = catalog.search.search("prosthetic vision simulation", fusion="bm25", apply_cutoff=False)
    assert found.hits and found.hits[0].arxiv_id == "2503.11677"
    assert (catalog.settings.home / "lexical.stamp.json").read_bytes() == stamp


def test_submitting_an_unknown_or_malformed_id_says_what_is_wrong(
    client: TestClient, catalog: Library
) -> None:
    catalog.catalog.use_transport(recorded_arxiv([]))
    sign_up(client)
    missing = post_form(client, "/submit", {"paper": "2503.99999"})
    assert missing.status_code == 404 and "arXiv has no paper" in missing.text
    malformed = post_form(client, "/submit", {"paper": "not an id"})
    assert malformed.status_code == 400 and "not an arXiv identifier" in malformed.text


def test_visitors_are_asked_to_sign_in_before_submitting(client: TestClient) -> None:
    response = post_form(client, "/submit", {"paper": "2503.11677"})
    assert response.status_code == 303 and response.headers["location"].startswith("/signin")


def test_the_no_match_page_says_it_once_in_plain_words(
    client: TestClient, catalog: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    def nothing_relevant(query: str, **options: Any) -> SearchResult:
        notice = "no good matches: the best candidate's relevance probability is 0.12"
        return SearchResult(query, "convex", [], 0, no_good_matches=True, notice=notice)

    monkeypatch.setattr(catalog.search, "search", nothing_relevant)
    text = " ".join(client.get("/search", params={"q": "zebra banana"}).text.split())
    assert text.lower().count("no good matches") == 1
    assert "probability is 0.12" not in text
    assert "0 results" not in text
    filtered = client.get("/search", params={"q": "graph", "category": "math.XX"}).text
    assert " ".join(filtered.split()).lower().count("no good matches") == 1


def test_no_good_matches_offers_the_closest_papers_each_under_the_cut_off(
    client: TestClient, catalog: Library
) -> None:
    # A cut-off above every fused score: the real search finds candidates but passes none.
    catalog.search.use_relevance_calibration(
        steep_calibration(catalog.embedding.get().model_id, 2.0)
    )
    html = client.get("/search", params={"q": "contrastive dense retrieval"}).text
    assert "No good matches" in html and 'class="card"' not in html
    assert 'href="/search?q=contrastive+dense+retrieval&amp;below=true"' in html
    closest = client.get(
        "/api/search", params={"q": "contrastive dense retrieval", "below": "true"}
    ).json()
    assert closest["no_good_matches"] is True and closest["below_cutoff"] is True
    cards = closest["listing"]["cards"]
    assert 0 < len(cards) <= 10 and result_ids(closest)[0] in {"2503.10100", "2503.10106"}
    assert all(card["score"] < closest["threshold"] for card in cards)
    shown = client.get("/search", params={"q": "contrastive dense retrieval", "below": "true"})
    assert "closest papers, each under the 50% cut-off" in shown.text
    assert "Show the closest papers anyway" not in shown.text


def test_the_closest_papers_are_not_offered_when_some_pass_the_cut_off(
    client: TestClient, catalog: Library
) -> None:
    catalog.search.use_relevance_calibration(
        steep_calibration(catalog.embedding.get().model_id, -1.0)
    )
    data = client.get(
        "/api/search", params={"q": "contrastive dense retrieval", "below": "true"}
    ).json()
    assert data["no_good_matches"] is False and data["below_cutoff"] is False
    assert result_ids(data) and all(card["score"] >= 0.5 for card in data["listing"]["cards"])
