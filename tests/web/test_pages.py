"""Route tests of the pages and their JSON twins over the small catalog."""

from __future__ import annotations

import dataclasses
import re
from xml.etree.ElementTree import fromstring

from fastapi.testclient import TestClient
from web_helpers import FRIDAY, MONDAY, THURSDAY, api_headers, sign_up

from likewise.library import Library
from likewise.web.app import create_app

ATOM = "{http://www.w3.org/2005/Atom}"


def ids_on(page_json: dict[str, object]) -> list[str]:
    listing = page_json["listing"]
    assert isinstance(listing, dict)
    return [card["paper"]["arxiv_id"] for card in listing["cards"]]


def test_front_page_shows_the_newest_announced_day_with_its_new_count(client: TestClient) -> None:
    data = client.get("/api/daily").json()
    assert data["listing"]["day"] == MONDAY.isoformat()
    # Monday carries papers 2, 5, 8, 11 (11 is a cross-list) and the tricky paper.
    assert data["listing"]["total"] == 5
    assert data["listing"]["new_count"] == 4
    page = client.get("/")
    assert page.status_code == 200
    assert "<strong>4</strong> new today" in page.text


def test_daily_page_and_its_json_twin_list_the_same_papers_in_the_same_order(
    client: TestClient,
) -> None:
    data = client.get("/api/daily", params={"day": FRIDAY.isoformat()}).json()
    html = client.get("/", params={"day": FRIDAY.isoformat()}).text
    shown = re.findall(r'data-vote="([^"]+)"', html)
    assert shown == ids_on(data)
    assert len(shown) == 4


def test_day_navigator_skips_the_weekend(client: TestClient) -> None:
    monday = client.get("/api/daily", params={"day": MONDAY.isoformat()}).json()["listing"]
    assert monday["previous_day"] == FRIDAY.isoformat()
    friday = client.get("/api/daily", params={"day": FRIDAY.isoformat()}).json()["listing"]
    assert friday["next_day"] == MONDAY.isoformat()
    assert friday["previous_day"] == THURSDAY.isoformat()


def test_a_weekend_day_redirects_to_the_last_announced_day(client: TestClient) -> None:
    response = client.get("/", params={"day": "2025-03-16"}, follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == f"/?day={FRIDAY.isoformat()}"


def test_week_and_month_views_gather_every_announced_day(client: TestClient) -> None:
    week = client.get("/api/daily", params={"day": THURSDAY.isoformat(), "span": "week"}).json()
    assert week["listing"]["total"] == 8  # Thursday and Friday of that week
    assert week["listing"]["next_day"] == MONDAY.isoformat()
    month = client.get("/api/daily", params={"day": THURSDAY.isoformat(), "span": "month"}).json()
    assert month["listing"]["total"] == 13


def test_upvotes_order_the_daily_list_before_recency(client: TestClient) -> None:
    before = ids_on(client.get("/api/daily").json())
    last = before[-1]
    sign_up(client)
    response = client.post(f"/api/papers/{last}/vote", headers=api_headers(client))
    assert response.json() == {"arxiv_id": last, "voted": True, "votes": 1}
    after = ids_on(client.get("/api/daily").json())
    assert after[0] == last
    assert after[1:] == before[:-1]


def test_trending_falls_back_to_the_newest_papers_without_votes(client: TestClient) -> None:
    data = client.get("/api/trending").json()
    assert data["listing"]["signal"] == "new"
    days = [card["paper"]["announced"] for card in data["listing"]["cards"]]
    assert days == sorted(days, reverse=True)


def test_trending_puts_voted_papers_first(client: TestClient) -> None:
    sign_up(client)
    client.post("/api/papers/2503.10100/vote", headers=api_headers(client))
    data = client.get("/api/trending").json()
    assert data["listing"]["signal"] == "votes"
    assert ids_on(data)[0] == "2503.10100"
    assert "upvotes over the last days" in client.get("/trending").text


def test_paper_page_shows_everything_about_the_paper(client: TestClient) -> None:
    page = client.get("/papers/2503.10101")
    assert page.status_code == 200
    html = page.text
    assert 'href="/authors/Ada%20Lovelace"' in html
    assert 'href="https://arxiv.org/abs/2503.10101"' in html
    assert 'href="https://arxiv.org/pdf/2503.10101"' in html
    assert 'href="/categories/cs.CL"' in html
    assert "v1" in html and "submitted Mar 10, 2025" in html
    assert "@misc{" in html
    twin = client.get("/api/papers/2503.10101").json()
    assert twin["page"]["paper"]["title"].startswith("Vision transformers")
    assert twin["page"]["paper"]["versions"][0]["version"] == 1


def test_unknown_paper_is_a_404_page_and_a_404_json(client: TestClient) -> None:
    page = client.get("/papers/2501.99999")
    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"]
    assert "no paper" in page.text
    assert client.get("/api/papers/2501.99999").status_code == 404
    assert client.get("/api/papers/2501.99999").json()["detail"]


def test_every_text_from_papers_is_escaped_and_math_is_rendered(client: TestClient) -> None:
    html = client.get("/papers/2503.10999").text
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html
    assert "<b>tags</b>" not in html and "&lt;b&gt;tags&lt;/b&gt;" in html
    assert "Émile &lt;Evil&gt; Borel" in html
    assert "<mfrac>" in html and "<math" in html
    assert "$" not in html.split("<h1>", 1)[1].split("</h1>", 1)[0]


def test_bibtex_export_is_an_arxiv_misc_entry(client: TestClient) -> None:
    response = client.get("/papers/2503.10102/bibtex")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-bibtex")
    text = response.text
    assert text.startswith("@misc{lovelace2025")
    assert "eprint = {2503.10102}" in text and "archivePrefix = {arXiv}" in text
    assert "author = {Ada Lovelace and Author Number2}" in text
    assert client.get("/papers/2501.99999/bibtex").status_code == 404


def test_author_and_category_pages_list_their_papers_newest_first(client: TestClient) -> None:
    author = client.get("/api/authors/Ada Lovelace").json()
    assert author["listing"]["total"] == 12
    listed = ids_on(author)
    assert listed == sorted(listed, reverse=True)
    category = client.get("/api/categories/cs.LG").json()
    assert ids_on(category) == ["2503.10999"]
    assert client.get("/categories/cs.LG").status_code == 200
    assert client.get("/authors/Nobody%20Atall").status_code == 404
    assert client.get("/categories/not a category!").status_code == 400


def test_feeds_are_atom_with_escaped_entries(client: TestClient) -> None:
    for url in ("/feeds/daily.atom", "/feeds/trending.atom", "/feeds/categories/cs.LG.atom"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith("application/atom+xml")
        feed = fromstring(response.content)
        assert feed.tag == f"{ATOM}feed"
        assert feed.findall(f"{ATOM}entry"), url
    feed = fromstring(client.get("/feeds/categories/cs.LG.atom").content)
    title = feed.find(f"{ATOM}entry/{ATOM}title")
    assert title is not None and title.text and title.text.startswith("<script>")
    assert client.get("/feeds/categories/cs.XX.atom").status_code == 404


def test_pages_stay_under_100_kilobytes_with_their_assets(client: TestClient) -> None:
    assets = sum(len(client.get(f"/static/{name}").content) for name in ("site.css", "site.js"))
    for url in ("/", "/?span=month", "/trending", "/papers/2503.10999", "/search?q=retrieval"):
        size = len(client.get(url).content)
        assert size + assets < 100_000, url


def test_openapi_lists_every_json_twin(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/daily",
        "/api/trending",
        "/api/search",
        "/api/papers/{arxiv_id}",
        "/api/authors/{name}",
        "/api/categories/{category}",
        "/feeds/search.atom",
    ):
        assert path in paths, path
    assert "/api/daily" in client.get("/api").text


def test_bad_parameters_are_422_with_a_message_not_500(client: TestClient) -> None:
    for url in (
        "/api/daily?day=yesterday",
        "/api/daily?span=year",
        "/api/daily?page=0",
        "/api/trending?window=1000",
        "/?day=2025-13-45",
    ):
        response = client.get(url)
        assert response.status_code == 422, url
        assert (
            response.json()["detail"]
            if url.startswith("/api")
            else "Bad parameters" in (response.text)
        )


def test_an_empty_catalog_gets_friendly_pages_not_errors(library: Library) -> None:
    with TestClient(create_app(library.settings, library)) as empty:
        front = empty.get("/")
        assert front.status_code == 200 and "no announcements yet" in front.text
        assert empty.get("/api/daily").json()["listing"]["cards"] == []
        assert empty.get("/trending").status_code == 200
        assert empty.get("/feeds/daily.atom").status_code == 200


def test_a_span_without_papers_says_so_and_links_to_the_nearest(client: TestClient) -> None:
    page = client.get("/", params={"day": "2025-06-02", "span": "month"})
    assert page.status_code == 200
    assert "No papers were announced in this month" in page.text
    assert 'href="/?day=2025-03-17&amp;span=month"' in page.text


def test_a_card_filtered_by_its_fourth_category_shows_that_category(
    client: TestClient, catalog: Library
) -> None:
    paper = dataclasses.replace(
        catalog.store.get_papers(["2503.10999"])["2503.10999"],
        categories=["cs.LG", "cs.CL", "cs.DL", "cs.IR", "stat.ML"],
    )
    catalog.store.upsert_papers([paper], source="test")
    chips = re.compile(r'<a class="chip( wanted)?" href="/categories/([^"]+)">')
    for page in ("/?category=cs.IR", "/categories/cs.IR"):
        html = client.get(page).text
        assert [name for _, name in chips.findall(html)] == ["cs.LG", "cs.CL", "cs.DL", "cs.IR"]
        assert ' wanted" href="/categories/cs.IR"' in html
        assert '<span class="more" title="cs.LG cs.CL cs.DL cs.IR stat.ML">+1</span>' in html
    unfiltered = client.get("/categories/cs.LG").text
    assert [name for _, name in chips.findall(unfiltered)][:3] == ["cs.LG", "cs.CL", "cs.DL"]
    assert "+2</span>" in unfiltered
