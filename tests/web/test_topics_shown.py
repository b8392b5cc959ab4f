"""Topic labels on the daily page: chips on cards, `topics` in the JSON twin, and the `topic=`
filter of the page, its twin and its Atom feed."""

from __future__ import annotations

from collections import Counter
from xml.etree import ElementTree

from fastapi.testclient import TestClient
from web_helpers import MONDAY

from likewise.library import Library

ATOM = "{http://www.w3.org/2005/Atom}"


def _monday_topics(catalog: Library) -> dict[str, list[str]]:
    ids = [a.arxiv_id for a in catalog.store.announced_on(MONDAY)]
    return {key: [t.id for t in found] for key, found in catalog.topics.topics_for(ids).items()}


def test_daily_cards_carry_their_topics_in_json_and_as_chips(
    client: TestClient, catalog: Library
) -> None:
    expected = _monday_topics(catalog)
    assert any(expected.values()), "the fake embedder labels some of the day's papers"
    cards = client.get(f"/api/daily?day={MONDAY.isoformat()}").json()["listing"]["cards"]
    for card in cards:
        shown = [topic["id"] for topic in card["topics"]]
        assert shown == expected.get(card["paper"]["arxiv_id"], [])
        assert len(shown) <= 3
    page = client.get(f"/?day={MONDAY.isoformat()}").text
    labelled = next(card for card in cards if card["topics"])
    first = labelled["topics"][0]
    assert f'class="chip topic" href="/?topic={first["id"]}"' in page
    assert f">{first['label']}</a>" in page


def test_the_topic_filter_keeps_only_papers_with_that_topic_in_page_json_and_feed(
    client: TestClient, catalog: Library
) -> None:
    expected = _monday_topics(catalog)
    counts = Counter(topic for found in expected.values() for topic in found)
    topic, count = counts.most_common(1)[0]
    wanted = {key for key, found in expected.items() if topic in found}
    day = MONDAY.isoformat()
    cards = client.get(f"/api/daily?day={day}&topic={topic}").json()["listing"]["cards"]
    assert {card["paper"]["arxiv_id"] for card in cards} == wanted
    assert len(cards) == count < len(expected)
    page = client.get(f"/?day={day}&topic={topic}").text
    assert f'<option value="{topic}" selected>' in page
    assert f"/feeds/daily.atom?day={day}&amp;topic={topic}" in page
    feed = ElementTree.fromstring(client.get(f"/feeds/daily.atom?day={day}&topic={topic}").text)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == count
    for entry in entries:
        terms = {c.get("term") for c in entry.findall(f"{ATOM}category")}
        assert topic in terms


def test_an_unknown_topic_is_refused_naming_it(client: TestClient) -> None:
    for url in ("/api/daily?topic=no-such-topic", "/feeds/daily.atom?topic=no-such-topic"):
        answer = client.get(url)
        assert answer.status_code == 400
        assert "no-such-topic" in answer.text and "not a topic" in answer.text


def test_the_topic_list_is_served_as_json(client: TestClient, catalog: Library) -> None:
    listed = client.get("/api/topics").json()
    assert [t["id"] for t in listed] == [t.id for t in catalog.topics.topics]
    assert all(t["description"] for t in listed)
