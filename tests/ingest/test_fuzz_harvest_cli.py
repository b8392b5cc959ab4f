"""Harvests that would never end, run as a user runs them: `likewise backfill` and
`likewise ingest api` exit 2 naming the URL, and what was stored before stays."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from likewise.cli.main import main
from likewise.ingest.http import PoliteClient
from likewise.services.catalog import CatalogService

DATA = Path(__file__).resolve().parents[1] / "data" / "ingest"


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    monkeypatch.setenv("LIKEWISE_HOME", str(settings.home))
    monkeypatch.setenv("LIKEWISE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LIKEWISE_EMBEDDER", "fake")


def _serve(monkeypatch: pytest.MonkeyPatch, answer: Any) -> list[httpx.Request]:
    seen: list[httpx.Request] = []

    def respond(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=answer(request))

    def client(self: Any) -> PoliteClient:
        return PoliteClient(
            interval=0, retries=0, timeout=5, transport=httpx.MockTransport(respond)
        )

    monkeypatch.setattr(CatalogService, "http_client", client)
    return seen


def _papers(capsys: pytest.CaptureFixture[str]) -> int:
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    return int(json.loads(capsys.readouterr().out)["papers"])


@pytest.mark.timeout(120)
@pytest.mark.usefixtures("environment")
def test_a_backfill_from_a_server_repeating_its_token_exits_2_and_keeps_the_first_page(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    page = (DATA / "oai_raw_page1.xml").read_bytes()
    seen = _serve(monkeypatch, lambda request: page)
    assert main(["backfill", "--from", "2024-03-01", "--set", "cs"]) == 2
    err = capsys.readouterr().err
    assert re.search(r"likewise: error: https://\S+resumptionToken=6960524\S*: the repository", err)
    assert "everything stored before this is kept" in err and "Traceback" not in err
    stored = _papers(capsys)
    assert stored == 2 and len(seen) == 2
    assert main(["backfill", "--from", "2024-03-01", "--set", "cs"]) == 2  # resumes, stops again
    assert _papers(capsys) == stored


@pytest.mark.timeout(120)
@pytest.mark.usefixtures("environment")
def test_an_api_query_with_a_trillion_results_exits_2_naming_the_url(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    page = (DATA / "api_category_page1.xml").read_text()
    page = page.replace(">3</opensearch:totalResults>", ">1000000000000</opensearch:totalResults>")
    _serve(monkeypatch, lambda request: page.encode())
    code = main(
        ["ingest", "api", "--category", "cs.CL", "--from", "2024-03-01", "--until", "2024-03-06"]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "likewise: error: https://export.arxiv.org/api/query?search_query=" in err
    assert "1,000,000,000,000 results" in err and "Traceback" not in err
    assert _papers(capsys) == 0
