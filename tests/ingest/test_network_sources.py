"""The query API, the announcement feed and OAI-PMH against recorded responses."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from likewise.ingest.announcements import AnnouncementFeedSource
from likewise.ingest.arxiv_api import ArxivApiError, ArxivApiSource
from likewise.ingest.base import IngestError
from likewise.ingest.http import PoliteClient
from likewise.ingest.oai_pmh import OaiError, OaiPmhSource
from likewise.models import AnnouncementKind

API = "https://export.arxiv.org/api/query"
FEED = "https://rss.arxiv.org/atom"
OAI = "https://oaipmh.arxiv.org/oai"
MakeClient = Callable[..., PoliteClient]
Recorded = Callable[..., Any]


def _api_pages(request: httpx.Request) -> str:
    if "id_list" in request.url.params:
        return "api_ids.xml"
    return (
        "api_category_page1.xml" if request.url.params["start"] == "0" else "api_category_page2.xml"
    )


def _category_source(client: PoliteClient, **options: object) -> ArxivApiSource:
    return ArxivApiSource(
        client,
        API,
        categories=["cs.CL"],
        since=datetime(2024, 3, 1, tzinfo=UTC),
        until=datetime(2024, 3, 6, tzinfo=UTC),
        page_size=2,
        **options,  # type: ignore[arg-type]
    )


def test_api_category_query_pages_through_all_results(
    recorded: Recorded, make_client: MakeClient
) -> None:
    recorder = recorded(_api_pages)
    batches = list(_category_source(make_client(recorder)).batches(None, 2))
    assert [request.url.params["start"] for request in recorder.requests] == ["0", "2"]
    query = recorder.requests[0].url.params["search_query"]
    assert query == "(cat:cs.CL) AND submittedDate:[202403010000 TO 202403060000]"
    papers = [paper for batch in batches for paper in batch.papers]
    assert [paper.arxiv_id for paper in papers] == ["2403.01234", "2403.02000"]
    first = papers[0]
    assert first.latest_version == 2
    assert first.title == "Retrieval Heads for Long-Context Language Models"
    assert first.authors == ["Ada Lovelace", "Kurt Gödel"]
    assert first.categories == ["cs.CL", "cs.AI"]
    assert first.submitted == datetime(2024, 3, 4, 16, 30, tzinfo=UTC)
    assert first.updated == datetime(2024, 3, 5, 17, 12, 40, tzinfo=UTC)
    assert (first.doi, first.comment, first.journal_ref) == (
        "10.1000/retrieval.2024",
        "12 pages, 4 figures",
        "Proc. ACL 2024",
    )
    assert papers[1].categories == ["eess.SY", "cs.IT", "cs.CL"]
    rejected = [record for batch in batches for record in batch.rejected]
    assert len(rejected) == 1 and rejected[0].problem == "record has no title"
    assert "2403.03000" in rejected[0].location
    assert json.loads(batches[-1].checkpoint or "")["done"] is True


def test_api_resumes_from_the_page_it_reached(recorded: Recorded, make_client: MakeClient) -> None:
    recorder = recorded(_api_pages)
    source = _category_source(make_client(recorder))
    first = next(iter(source.batches(None, 2)))
    resumed = list(_category_source(make_client(recorder)).batches(first.checkpoint, 2))
    assert recorder.requests[-1].url.params["start"] == "2"
    assert [paper.arxiv_id for batch in resumed for paper in batch.papers] == []
    assert len(resumed) == 1 and resumed[0].rejected


def test_api_estimates_announcement_days_when_asked(
    recorded: Recorded, make_client: MakeClient
) -> None:
    source = _category_source(
        make_client(recorded(_api_pages)), estimate_announcements=True, today=date(2024, 3, 5)
    )
    batches = list(source.batches(None, 2))
    announcements = {item.arxiv_id: item for batch in batches for item in batch.announcements}
    # Submitted Monday 11:30 Eastern: announced that evening, in Tuesday's mailing.
    assert announcements["2403.01234"].day == date(2024, 3, 5)
    assert announcements["2403.01234"].kind is AnnouncementKind.NEW
    # Submitted Monday after the cut-off: Wednesday's mailing, after "today", so not yet.
    assert "2403.02000" not in announcements


def test_api_id_list_gets_old_and_new_style_ids(
    recorded: Recorded, make_client: MakeClient
) -> None:
    recorder = recorded(_api_pages)
    source = ArxivApiSource(
        make_client(recorder), API, ids=["hep-th/9901001v2", "arXiv:2403.01234"]
    )
    papers = [paper for batch in source.batches(None, 10) for paper in batch.papers]
    assert recorder.requests[0].url.params["id_list"] == "hep-th/9901001,2403.01234"
    old = papers[0]
    assert (old.arxiv_id, old.latest_version) == ("hep-th/9901001", 3)
    assert old.categories == ["hep-th", "math-ph"]
    assert [version.number for version in old.versions] == [1, 3]


def test_api_error_entry_inside_http_200_is_an_error(
    recorded: Recorded, make_client: MakeClient
) -> None:
    source = ArxivApiSource(
        make_client(recorded(lambda request: "api_error.xml")), API, ids=["2403.01234"]
    )
    with pytest.raises(ArxivApiError, match=r"API error: incorrect id format for 1234\.12345"):
        list(source.batches(None, 10))


def test_api_empty_result_is_one_empty_batch(recorded: Recorded, make_client: MakeClient) -> None:
    recorder = recorded(lambda request: "api_empty.xml")
    batches = list(_category_source(make_client(recorder)).batches(None, 2))
    assert len(batches) == 1 and not batches[0].papers and not batches[0].rejected
    assert len(recorder.requests) == 1


@pytest.mark.parametrize(
    ("fixture", "problem"),
    [
        ("not_atom.html", "not an arXiv API Atom feed (the document is <html>)"),
        ("truncated.xml", "not well-formed XML"),
    ],
)
def test_api_response_that_is_not_atom_names_the_url(
    recorded: Recorded, make_client: MakeClient, fixture: str, problem: str
) -> None:
    source = ArxivApiSource(make_client(recorded(lambda request: fixture)), API, ids=["2403.01234"])
    with pytest.raises(IngestError) as raised:
        list(source.batches(None, 10))
    assert problem in str(raised.value)
    assert str(raised.value).startswith(API)


def test_feed_records_what_was_announced_and_how(
    recorded: Recorded, make_client: MakeClient
) -> None:
    recorder = recorded(lambda request: "feed_cs.xml")
    source = AnnouncementFeedSource(make_client(recorder), FEED, ["cs.CL", "cs.CV"])
    (batch,) = list(source.batches(None, 100))
    assert str(recorder.requests[0].url) == "https://rss.arxiv.org/atom/cs.CL+cs.CV"
    kinds = {item.arxiv_id: (item.day, item.kind) for item in batch.announcements}
    day = date(2024, 3, 6)
    assert kinds == {
        "2403.03100": (day, AnnouncementKind.NEW),
        "2403.03200": (day, AnnouncementKind.CROSS_LIST),
        "2402.09999": (day, AnnouncementKind.REPLACEMENT),
        "2401.01111": (day, AnnouncementKind.REPLACEMENT),
    }
    papers = {paper.arxiv_id: paper for paper in batch.papers}
    assert papers["2403.03100"].abstract == "We teach vision encoders to read text in images."
    assert papers["2403.03100"].authors == ["Grace Hopper", "Alan Turing"]
    assert papers["2403.03100"].announced == day
    assert papers["2402.09999"].latest_version == 2 and papers["2402.09999"].announced is None
    assert papers["2402.09999"].doi == "10.1162/coli_a_00001"
    assert papers["2403.03200"].categories == ["eess.AS", "cs.CL", "cs.SD"]
    assert batch.checkpoint == "2024-03-06"
    assert (
        len(batch.rejected) == 1
        and "unknown announce_type 'withdrawn'" in batch.rejected[0].problem
    )


def test_an_empty_weekend_feed_is_not_an_error(recorded: Recorded, make_client: MakeClient) -> None:
    source = AnnouncementFeedSource(
        make_client(recorded(lambda r: "feed_weekend.xml")), FEED, ["cs.CL"]
    )
    (batch,) = list(source.batches("2024-03-08", 100))
    assert not batch.papers and not batch.rejected and batch.checkpoint == "2024-03-08"


def _oai_pages(request: httpx.Request) -> str:
    return "oai_raw_page2.xml" if "resumptionToken" in request.url.params else "oai_raw_page1.xml"


def test_oai_raw_harvest_follows_resumption_tokens_to_the_end(
    recorded: Recorded, make_client: MakeClient
) -> None:
    recorder = recorded(_oai_pages)
    source = OaiPmhSource(make_client(recorder), OAI, set_spec="cs", since=date(2024, 3, 1))
    batches = list(source.batches(None, 1000))
    first, second = (request.url.params for request in recorder.requests)
    assert dict(first) == {
        "verb": "ListRecords",
        "metadataPrefix": "arXivRaw",
        "set": "cs",
        "from": "2024-03-01",
    }
    assert dict(second) == {"verb": "ListRecords", "resumptionToken": "6960524|1001"}
    papers = {paper.arxiv_id: paper for batch in batches for paper in batch.papers}
    assert set(papers) == {"2403.01234", "cs/9901001", "2403.05555"}  # deleted one skipped
    retrieval = papers["2403.01234"]
    assert [(v.number, v.size) for v in retrieval.versions] == [(1, "812kb"), (2, "815kb")]
    assert retrieval.latest_version == 2 and retrieval.record_modified == date(2024, 3, 5)
    assert retrieval.authors == ["Ada Lovelace", "Kurt Gödel", "Alonzo Church"]
    assert papers["cs/9901001"].categories == ["cs.AI", "cs.CL"]
    assert papers["2403.05555"].categories == ["math.NA"]
    rejected = [record for batch in batches for record in batch.rejected]
    assert len(rejected) == 1 and "2403.06666" in rejected[0].location
    state = json.loads(batches[-1].checkpoint or "")
    assert state["token"] is None and state["harvested_to"] == "2024-03-06"
    assert json.loads(batches[0].checkpoint or "")["token"] == "6960524|1001"


def test_oai_resumes_with_the_stored_token_then_syncs_from_the_last_datestamp(
    recorded: Recorded,
    make_client: MakeClient,
) -> None:
    recorder = recorded(_oai_pages)
    source = OaiPmhSource(make_client(recorder), OAI, set_spec="cs", since=date(2024, 3, 1))
    first = next(iter(source.batches(None, 1000)))
    resumed = OaiPmhSource(make_client(recorder), OAI, set_spec="cs", since=date(2024, 3, 1))
    finished = list(resumed.batches(first.checkpoint, 1000))
    assert recorder.requests[-1].url.params["resumptionToken"] == "6960524|1001"
    incremental = OaiPmhSource(make_client(recorder), OAI, set_spec="cs")
    list(incremental.batches(finished[-1].checkpoint, 1000))
    assert recorder.requests[-2].url.params["from"] == "2024-03-06"


def test_oai_expired_token_restarts_the_same_harvest(
    recorded: Recorded, make_client: MakeClient
) -> None:
    def route(request: httpx.Request) -> str:
        if request.url.params.get("resumptionToken") == "expired|1":
            return "oai_bad_token.xml"
        return _oai_pages(request)

    recorder = recorded(route)
    stale = json.dumps(
        {"format": "arXivRaw", "from": "2024-03-01", "harvested_to": None, "token": "expired|1"}
    )
    source = OaiPmhSource(make_client(recorder), OAI, set_spec="cs")
    papers = [paper for batch in source.batches(stale, 1000) for paper in batch.papers]
    assert recorder.requests[1].url.params["from"] == "2024-03-01"
    assert len(papers) == 3


def test_oai_no_records_match_is_an_empty_harvest(
    recorded: Recorded, make_client: MakeClient
) -> None:
    source = OaiPmhSource(
        make_client(recorded(lambda r: "oai_no_records.xml")), OAI, since=date(2024, 3, 9)
    )
    batches = list(source.batches(None, 1000))
    assert len(batches) == 1 and not batches[0].papers and not batches[0].rejected


def test_oai_other_error_codes_are_fatal_and_name_the_code(
    recorded: Recorded, make_client: MakeClient
) -> None:
    source = OaiPmhSource(
        make_client(recorded(lambda r: "oai_bad_argument.xml")), OAI, since=date(2024, 3, 9)
    )
    with pytest.raises(OaiError, match="OAI-PMH error cannotDisseminateFormat") as raised:
        list(source.batches(None, 1000))
    assert raised.value.code == "cannotDisseminateFormat"


def test_oai_arxiv_format_reads_structured_authors(
    recorded: Recorded, make_client: MakeClient
) -> None:
    source = OaiPmhSource(
        make_client(recorded(lambda r: "oai_arxiv_format.xml")),
        OAI,
        set_spec="physics:hep-th",
        since=date(2024, 3, 1),
        metadata_format="arXiv",
    )
    papers = {paper.arxiv_id: paper for batch in source.batches(None, 10) for paper in batch.papers}
    assert set(papers) == {"hep-th/9901001", "math/9901001"}
    witten = papers["hep-th/9901001"]
    assert witten.authors == ["Edward Witten", "Nathan Seiberg Jr"]
    assert witten.title == "Branes and Strings in Old-Style Identifiers"
    assert witten.submitted == datetime(1999, 1, 4, tzinfo=UTC)
    assert witten.updated == datetime(1999, 3, 10, tzinfo=UTC)
    assert witten.categories == ["hep-th", "math-ph"]
    assert papers["math/9901001"].authors == ["Paul Erdős"]


def test_an_unreachable_oai_host_is_a_clear_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Name or service not known", request=request)

    client = PoliteClient(
        interval=0,
        retries=1,
        timeout=1,
        transport=httpx.MockTransport(refuse),
        sleep=lambda s: None,
    )
    source = OaiPmhSource(client, OAI, set_spec="cs", since=date(2024, 3, 1))
    with pytest.raises(
        IngestError, match=r"^https://oaipmh.arxiv.org/oai\?verb=ListRecords.*cannot connect"
    ):
        list(source.batches(None, 10))
