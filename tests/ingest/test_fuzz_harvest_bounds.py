"""Harvests that would never end (issue 16, defect 9), against recorded and hand-edited
responses: a repeated or circling OAI token, badResumptionToken for ever, an API total of
10^12 or pages that repeat. Each stops with an IngestError naming the URL."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from likewise.ingest.arxiv_api import ArxivApiSource
from likewise.ingest.base import Batch, IngestError
from likewise.ingest.http import PoliteClient
from likewise.ingest.oai_pmh import OaiError, OaiPmhSource

API = "https://export.arxiv.org/api/query"
OAI = "https://oaipmh.arxiv.org/oai"
DATA = Path(__file__).resolve().parents[1] / "data" / "ingest"
MakeClient = Callable[..., PoliteClient]
Recorded = Callable[..., Any]


def _oai_pages(request: httpx.Request) -> str:
    return "oai_raw_page2.xml" if "resumptionToken" in request.url.params else "oai_raw_page1.xml"


def _category_source(client: PoliteClient) -> ArxivApiSource:
    return ArxivApiSource(
        client,
        API,
        categories=["cs.CL"],
        since=datetime(2024, 3, 1, tzinfo=UTC),
        until=datetime(2024, 3, 6, tzinfo=UTC),
        page_size=2,
    )


def _oai_with_token(token: str) -> httpx.Response:
    page = (DATA / "oai_raw_page1.xml").read_text().replace("6960524|1001", token)
    return httpx.Response(200, text=page)


@pytest.mark.timeout(60)  # before the bound this looped for ever
def test_an_oai_server_repeating_its_resumption_token_stops_naming_the_url(
    recorded: Recorded, make_client: MakeClient
) -> None:
    recorder = recorded(lambda request: "oai_raw_page1.xml")  # always hands out 6960524|1001
    source = OaiPmhSource(make_client(recorder), OAI, set_spec="cs", since=date(2024, 3, 1))
    batches: list[Batch] = []
    with pytest.raises(IngestError) as raised:
        for batch in source.batches(None, 1000):
            batches.append(batch)
    message = str(raised.value)
    assert message.startswith(f"{OAI}?verb=ListRecords&resumptionToken=6960524")
    assert "resumption token '6960524|1001' again" in message
    assert len(recorder.requests) == 2 and len(batches) == 1  # the first page is kept


@pytest.mark.timeout(60)  # before the bound this looped for ever
def test_an_oai_server_going_round_a_circle_of_tokens_stops(
    recorded: Recorded, make_client: MakeClient
) -> None:
    following = {None: "A|1", "A|1": "B|2", "B|2": "A|1"}

    def route(request: httpx.Request) -> httpx.Response:
        return _oai_with_token(following[request.url.params.get("resumptionToken")])

    recorder = recorded(route)
    source = OaiPmhSource(make_client(recorder), OAI, set_spec="cs", since=date(2024, 3, 1))
    with pytest.raises(IngestError, match=r"resumption token 'A\|1' again"):
        list(source.batches(None, 1000))
    assert len(recorder.requests) == 3


@pytest.mark.timeout(60)  # before the bound this looped for ever
def test_an_oai_server_refusing_every_token_gives_up_after_two_restarts(
    recorded: Recorded, make_client: MakeClient
) -> None:
    def route(request: httpx.Request) -> str:
        bad = "resumptionToken" in request.url.params
        return "oai_bad_token.xml" if bad else "oai_raw_page1.xml"

    recorder = recorded(route)
    source = OaiPmhSource(make_client(recorder), OAI, set_spec="cs", since=date(2024, 3, 1))
    with pytest.raises(OaiError) as raised:
        list(source.batches(None, 1000))
    assert raised.value.code == "badResumptionToken"
    assert str(raised.value).startswith(f"{OAI}?verb=ListRecords&resumptionToken=")
    assert "again after restarting the harvest 2 times" in str(raised.value)
    fresh = [r for r in recorder.requests if "resumptionToken" not in r.url.params]
    assert len(fresh) == 3 and len(recorder.requests) == 6


def test_a_restarted_harvest_may_hand_out_the_same_tokens_again(
    recorded: Recorded, make_client: MakeClient
) -> None:
    refusals = iter([True])  # the token expires once, then the restarted harvest goes through

    def route(request: httpx.Request) -> str:
        if "resumptionToken" in request.url.params and next(refusals, False):
            return "oai_bad_token.xml"
        return _oai_pages(request)

    source = OaiPmhSource(make_client(recorded(route)), OAI, set_spec="cs", since=date(2024, 3, 1))
    papers = {paper.arxiv_id for batch in source.batches(None, 1000) for paper in batch.papers}
    assert papers == {"2403.01234", "cs/9901001", "2403.05555"}


def _api_total(total: str) -> Callable[[httpx.Request], httpx.Response]:
    page = (DATA / "api_category_page1.xml").read_text()
    page = re.sub(r">3</opensearch:totalResults>", f">{total}</opensearch:totalResults>", page)
    return lambda request: httpx.Response(200, text=page)


@pytest.mark.timeout(60)  # before the bound this looped for ever
def test_an_api_total_of_a_trillion_is_refused_naming_the_url(
    recorded: Recorded, make_client: MakeClient
) -> None:
    recorder = recorded(_api_total("1000000000000"))
    with pytest.raises(IngestError) as raised:
        list(_category_source(make_client(recorder)).batches(None, 2))
    message = str(raised.value)
    assert message.startswith(f"{API}?search_query=")
    assert "reports 1,000,000,000,000 results" in message and "at most 30,000" in message
    assert len(recorder.requests) == 1


def test_an_api_total_of_thirty_thousand_pages_on(
    recorded: Recorded, make_client: MakeClient
) -> None:
    recorder = recorded(_api_total("30000"))
    batches = _category_source(make_client(recorder)).batches(None, 2)
    assert [paper.arxiv_id for paper in next(batches).papers] == ["2403.01234", "2403.02000"]


@pytest.mark.parametrize("total", ["²", "9" * 5000])
def test_an_api_total_that_is_no_count_is_a_named_error(
    recorded: Recorded, make_client: MakeClient, total: str
) -> None:
    source = _category_source(make_client(recorded(_api_total(total))))
    with pytest.raises(IngestError, match=r"implausible totalResults") as raised:
        list(source.batches(None, 2))
    assert str(raised.value).startswith(API) and len(str(raised.value)) < 400


@pytest.mark.timeout(60)  # before, 15,000 requests for the same two papers
def test_an_api_answering_every_page_with_the_same_papers_stops(
    recorded: Recorded, make_client: MakeClient
) -> None:
    recorder = recorded(_api_total("30000"))
    batches: list[Batch] = []
    with pytest.raises(IngestError, match="same papers as an earlier page") as raised:
        for batch in _category_source(make_client(recorder)).batches(None, 2):
            batches.append(batch)
    assert str(raised.value).startswith(API) and "start=2" in str(raised.value)
    assert len(recorder.requests) == 2 and len(batches) == 1
