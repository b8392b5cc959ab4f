"""Fuzzing the Atom feed, the API's Atom pages and OAI-PMH pages: generated and mutated
documents give papers, named rejects or one IngestError naming the URL, never a crash, and
through the catalog pipeline nothing is stored half-way."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from likewise.ingest.announcements import AnnouncementFeedSource, parse_feed
from likewise.ingest.arxiv_api import ArxivApiSource, parse_api_page
from likewise.ingest.base import IngestError, Source
from likewise.ingest.http import PoliteClient
from likewise.ingest.ids import parse_arxiv_id
from likewise.ingest.oai_pmh import OaiPage, OaiPmhSource
from likewise.library import Library
from likewise.models import Paper, RejectedRecord

DATA = Path(__file__).resolve().parents[1] / "data" / "ingest"
URL = "https://example.org/fuzzed"
BOUNDED = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

_XML_CHARS = st.characters(exclude_categories=["Cs", "Cc", "Cn"]) | st.sampled_from("\n\t")
TEXT = st.text(_XML_CHARS, max_size=30) | st.sampled_from(["", " ", "\\'e", "$x^2$", "&", "<"])
IDS = st.sampled_from(
    [
        "2403.01234",
        "2403.01234v2",
        "hep-th/9901001v3",
        "2403.01234v99999999999999999999",
        "2403.01234v0",
        "٢٤٠٣.٠١٢٣٤",
        "9999.99999",
        "",
    ]
) | st.text(_XML_CHARS, max_size=16)
STAMPS = st.sampled_from(
    [
        "2024-03-04T16:30:00Z",
        "2024-03-06T00:00:00-05:00",
        "Mon, 4 Mar 2024 16:30:00 GMT",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
        "Mon, 2 Apr 99999999999 19:18:42 GMT",
        "2024-02-30",
        "",
    ]
) | st.text(_XML_CHARS, max_size=12)
LABELS = st.sampled_from(["v1", "v2", "v0", "v²", "v99999999999999999999", "1", "", "vv"])
KINDS = st.sampled_from(["new", "cross", "replace", "replace-cross", "withdrawn", ""])
CATEGORIES = st.sampled_from(["cs.CL", "cs.CL cs.AI", "math.IT", "bogus", "", "cs.SY eess.SY"])
TOTALS = st.sampled_from(["1", "3", "0", "", "x", "²", "1000000000000", "30000", "-5"])


def _t(value: str) -> str:
    """Escaped element text; now and then raw, to make the document malformed."""
    return value if value in ("&", "<") else escape(value)


@st.composite
def api_pages(draw: st.DrawFn) -> bytes:
    entries = "".join(
        f"<entry><id>http://arxiv.org/abs/{_t(draw(IDS))}</id>"
        f"<published>{_t(draw(STAMPS))}</published><updated>{_t(draw(STAMPS))}</updated>"
        f"<title>{_t(draw(TEXT))}</title><summary>{_t(draw(TEXT))}</summary>"
        f"<author><name>{_t(draw(TEXT))}</name></author>"
        f"<arxiv:primary_category term={quoteattr(draw(CATEGORIES))}/>"
        f"<arxiv:comment>{_t(draw(TEXT))}</arxiv:comment></entry>"
        for _ in range(draw(st.integers(0, 3)))
    )
    return (
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom"'
        ' xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
        f"<opensearch:totalResults>{draw(TOTALS)}</opensearch:totalResults>{entries}</feed>"
    ).encode()


@st.composite
def feed_pages(draw: st.DrawFn) -> bytes:
    entries = "".join(
        f"<entry><id>oai:arXiv.org:{_t(draw(IDS))}</id><title>{_t(draw(TEXT))}</title>"
        f"<published>{_t(draw(STAMPS))}</published>"
        f"<arxiv:announce_type>{draw(KINDS)}</arxiv:announce_type>"
        f"<summary>arXiv:x Announce Type: new Abstract: {_t(draw(TEXT))}</summary>"
        f"<dc:creator>{_t(draw(TEXT))}</dc:creator><category term={quoteattr(draw(CATEGORIES))}/>"
        "</entry>"
        for _ in range(draw(st.integers(0, 3)))
    )
    return (
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom"'
        f' xmlns:dc="http://purl.org/dc/elements/1.1/">{entries}</feed>'
    ).encode()


@st.composite
def oai_pages(draw: st.DrawFn) -> bytes:
    records = "".join(
        f"<record><header><identifier>oai:arXiv.org:{_t(draw(IDS))}</identifier>"
        f"<datestamp>{_t(draw(STAMPS))}</datestamp></header><metadata>"
        f'<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>{_t(draw(IDS))}</id>'
        f"<version version={quoteattr(draw(LABELS))}><date>{_t(draw(STAMPS))}</date>"
        f"<size>1kb</size></version><title>{_t(draw(TEXT))}</title>"
        f"<authors>{_t(draw(TEXT))}</authors><categories>{draw(CATEGORIES)}</categories>"
        f"<abstract>{_t(draw(TEXT))}</abstract></arXivRaw></metadata></record>"
        for _ in range(draw(st.integers(0, 3)))
    )
    return (
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        f"<ListRecords>{records}</ListRecords></OAI-PMH>"
    ).encode()


def _api(content: bytes) -> tuple[list[Paper], list[RejectedRecord]]:
    _, papers, rejected = parse_api_page(content, URL)
    return papers, rejected


def _feed(content: bytes) -> tuple[list[Paper], list[RejectedRecord]]:
    batch = parse_feed(content, URL)
    return batch.papers, batch.rejected


def _oai(content: bytes) -> tuple[list[Paper], list[RejectedRecord]]:
    page = OaiPage(content, URL, "arXivRaw")
    return page.papers, page.rejected


PARSERS: dict[str, Callable[[bytes], tuple[list[Paper], list[RejectedRecord]]]] = {
    "api": _api,
    "feed": _feed,
    "oai": _oai,
}


def _check(kind: str, content: bytes) -> list[Paper]:
    """The papers a document gives, after checking every outcome is a named one."""
    try:
        papers, rejected = PARSERS[kind](content)
    except IngestError as error:
        assert str(error).startswith(URL) and len(str(error)) < 2_000
        return []
    assert all(record.location.startswith(f"{URL} (") for record in rejected)
    assert all(record.problem for record in rejected)
    for paper in papers:
        assert parse_arxiv_id(paper.arxiv_id).bare == paper.arxiv_id
        assert 1 <= paper.latest_version <= 9999 and paper.title.strip()
        assert all(1 <= version.number <= 9999 for version in paper.versions)
    return papers


@BOUNDED
@given(api_pages())
def test_generated_api_pages_give_papers_named_rejects_or_a_named_error(content: bytes) -> None:
    _check("api", content)


@BOUNDED
@given(feed_pages())
def test_generated_feeds_give_papers_named_rejects_or_a_named_error(content: bytes) -> None:
    _check("feed", content)


@BOUNDED
@given(oai_pages())
def test_generated_oai_pages_give_papers_named_rejects_or_a_named_error(content: bytes) -> None:
    _check("oai", content)


_RECORDED = {"api": "api_category_page1.xml", "feed": "feed_cs.xml", "oai": "oai_raw_page1.xml"}


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    """A recorded response with a slice cut, repeated or replaced by random bytes."""
    kind = draw(st.sampled_from(sorted(_RECORDED)))
    content = (DATA / _RECORDED[kind]).read_bytes()
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(0, len(content)))
        end = draw(st.integers(start, min(len(content), start + 200)))
        how = draw(st.sampled_from(["cut", "repeat", "replace"]))
        if how == "cut":
            content = content[:start] + content[end:]
        elif how == "repeat":
            content = content[:end] + content[start:end] + content[end:]
        else:
            content = content[:start] + draw(st.binary(max_size=12)) + content[end:]
    return kind, content


@BOUNDED
@given(mutated())
def test_mutated_recorded_responses_never_crash_the_parsers(case: tuple[str, bytes]) -> None:
    _check(*case)


# -- through the catalog pipeline ----------------------------------------------------------------
def _source(kind: str, client: PoliteClient) -> Source:
    if kind == "api":
        return ArxivApiSource(client, URL, ids=["2403.01234"])
    if kind == "feed":
        return AnnouncementFeedSource(client, URL, ["cs.CL"])
    return OaiPmhSource(client, URL, since=date(2024, 3, 1))


def _stored(library: Library) -> dict[str, tuple[Any, ...]]:
    return {
        paper.arxiv_id: (paper.title, tuple(paper.authors), paper.latest_version)
        for paper in library.store.iter_papers()
    }


_GENERATED = {"api": api_pages(), "feed": feed_pages(), "oai": oai_pages()}


@settings(BOUNDED, max_examples=40)
@given(st.sampled_from(sorted(_GENERATED)).flatmap(lambda k: st.tuples(st.just(k), _GENERATED[k])))
def test_fuzzed_documents_through_the_store_keep_what_was_stored_and_add_whole_papers(
    library: Library, case: tuple[str, bytes]
) -> None:
    kind, content = case
    before = _stored(library)
    library.catalog.use_transport(
        httpx.MockTransport(lambda r: httpx.Response(200, content=content))
    )
    with library.catalog.http_client() as client:
        client.interval = client.backoff = 0
        summary = library.catalog.ingest(_source(kind, client))  # anything but IngestError escapes
    after = _stored(library)
    parsed = _check(kind, content)
    titles = {(paper.arxiv_id, paper.title) for paper in parsed}
    assert set(before) <= set(after)
    assert all((key, after[key][0]) in titles for key in set(after) - set(before))
    if summary.error is not None:
        assert summary.error.startswith(URL)
    else:
        assert set(after) == set(before) | {paper.arxiv_id for paper in parsed}
        assert all(record.location.startswith(URL) for record in summary.rejected)


# -- what the fuzzing found: one bad record is rejected by name, the rest stored ------------------
def _edited(fixture: str, old: str, new: str) -> bytes:
    text = (DATA / fixture).read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1).encode()


@pytest.mark.parametrize(
    ("kind", "content", "bad_id", "problem"),
    [
        (
            "oai",
            _edited("oai_raw_page1.xml", 'version="v2"', 'version="v²"'),
            "2403.01234",
            "version label is not v1 to v9999: 'v²'",
        ),
        (
            "oai",
            _edited("oai_raw_page1.xml", 'version="v2"', 'version="v99999999999999999999"'),
            "2403.01234",
            "version label is not v1 to v9999",
        ),
        (
            "api",
            _edited("api_ids.xml", "2403.01234v3", "2403.01234v99999999999999999999"),
            "2403.01234",
            "arXiv version out of range (v1 to v9999)",
        ),
        (
            "api",
            _edited("api_ids.xml", "1999-01-04T09:00:00Z", "0001-01-01T00:00:00+05:00"),
            "hep-th/9901001",
            "published is out of range: '0001-01-01T00:00:00+05:00'",
        ),
        (
            "feed",
            _edited("feed_cs.xml", "2403.03100v1", "2403.03100v99999999999999999999"),
            "2403.03100",
            "arXiv version out of range",
        ),
    ],
)
def test_one_bad_record_in_a_page_is_rejected_by_name_and_the_rest_stored(
    library: Library, kind: str, content: bytes, bad_id: str, problem: str
) -> None:
    second_page = (DATA / "oai_raw_page2.xml").read_bytes()

    def respond(request: httpx.Request) -> httpx.Response:
        following = "resumptionToken" in request.url.params
        return httpx.Response(200, content=second_page if following else content)

    library.catalog.use_transport(httpx.MockTransport(respond))
    with library.catalog.http_client() as client:
        client.interval = client.backoff = 0
        summary = library.catalog.ingest(_source(kind, client))
    assert summary.error is None
    (reject,) = [record for record in summary.rejected if problem in record.problem]
    assert reject.location.startswith(URL) and bad_id in reject.location
    stored = _stored(library)
    assert bad_id not in stored and summary.inserted == len(stored) > 0
