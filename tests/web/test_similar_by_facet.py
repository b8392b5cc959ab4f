"""The paper page's "similar overall / by background / by method / by result" tabs: the
`facet` parameter on the page and its JSON twin, the matched sentences, a 400 that names an
unknown facet, and a note (not an error) for a paper without stored sentences."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from likewise.library import Library
from likewise.models import Paper

PAPER = "2503.10100"


def _similar_section(markup: str) -> str:
    found = re.search(r'<section class="similar".*?</section>', markup, re.S)
    assert found, "the paper page has a similar-papers section"
    return found.group(0)


def test_the_page_has_four_tabs_and_the_method_tab_lists_matched_sentences(
    client: TestClient,
) -> None:
    overall = _similar_section(client.get(f"/papers/{PAPER}").text)
    tabs = re.findall(r'<a href="([^"]+)" class="tab[^"]*"[^>]*>([^<]+)</a>', overall)
    assert [label for _, label in tabs] == [
        "similar overall",
        "by background",
        "by method",
        "by result",
    ]
    assert html.unescape(tabs[2][0]) == f"/papers/{PAPER}?facet=method#similar-title"
    method = _similar_section(client.get(f"/papers/{PAPER}?facet=method").text)
    assert re.search(r'aria-current="page" data-facet="method"', method)
    assert "matched-sentences" in method and "matches this paper" in method
    assert re.search(r"method match [-01]\.\d\d", method)


def test_the_json_twin_carries_the_facet_and_each_hits_matched_sentences(
    client: TestClient,
) -> None:
    twin = client.get(f"/api/papers/{PAPER}", params={"facet": "result"}).json()
    assert twin["similar_facet"] == "result" and twin["similar_ranking"] == "facet-sentences"
    assert twin["similar"] and PAPER not in {s["paper"]["arxiv_id"] for s in twin["similar"]}
    own = client.get(f"/api/papers/{PAPER}").json()["page"]["paper"]["abstract"]
    assert twin["similar_facet_sentences"]
    assert all(text in own for text in twin["similar_facet_sentences"])
    for entry in twin["similar"]:
        assert entry["matches"]
        assert {m["query"] for m in entry["matches"]} <= set(
            twin["similar_facet_sentences"]
        ) and entry["facet_score"] is not None
        assert 0.0 <= entry["lexical_score"] <= 1.0 + 1e-9
        for match in entry["matches"]:
            assert match["query"] in own
            assert match["candidate"] in entry["paper"]["abstract"]
    overall = client.get(f"/api/papers/{PAPER}").json()
    assert overall["similar_facet"] == "overall" and overall["similar_facets"] == [
        "overall",
        "background",
        "method",
        "result",
    ]


def test_an_unknown_facet_is_a_400_that_names_it(client: TestClient) -> None:
    for url in (f"/papers/{PAPER}?facet=novelty", f"/api/papers/{PAPER}?facet=novelty"):
        answer = client.get(url)
        assert answer.status_code == 400, url
        assert "novelty" in html.unescape(answer.text) and "method" in answer.text


def test_a_paper_without_stored_sentences_shows_a_note_not_an_error(
    catalog: Library, client: TestClient
) -> None:
    catalog.store.upsert_papers(
        [Paper(arxiv_id="2503.10777", title="Only a title here", abstract="")], source="test"
    )
    catalog.vectors.update_vectors()
    answer = client.get("/papers/2503.10777?facet=method")
    assert answer.status_code == 200
    section = html.unescape(_similar_section(answer.text))
    assert "sentences are not stored yet" in section
    twin = client.get("/api/papers/2503.10777?facet=method").json()
    assert twin["similar"] == [] and "not stored yet" in twin["similar_notice"]
