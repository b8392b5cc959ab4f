"""`likewise run / ingest / backfill / status / show`: output and exit codes."""

from __future__ import annotations

import json
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


def _good_file(tmp_path: Path) -> Path:
    lines = [
        line
        for line in (DATA / "papers.jsonl").read_text().splitlines()
        if line.startswith('{"id": "2503.116') or line.startswith('{"id": "hep-th')
    ]
    path = tmp_path / "good.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.usefixtures("environment")
def test_ingest_with_rejects_exits_1_and_lists_each_reject(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["ingest", "jsonl", str(DATA / "papers.jsonl")]) == 1
    out, err = capsys.readouterr()
    assert "read 10, inserted 5, updated 0, unchanged 0, rejected 5" in out
    assert f"rejected {(DATA / 'papers.jsonl').resolve()}:3: malformed JSON" in err
    assert "record has no title" in err and "Traceback" not in err
    assert main(["ingest", "file", str(DATA / "papers.jsonl")]) == 1
    assert "inserted 0, updated 0, unchanged 5" in capsys.readouterr().out


@pytest.mark.usefixtures("environment")
def test_status_and_show_print_what_is_stored(
    capsys: pytest.CaptureFixture[str], shared_data: Path
) -> None:
    sample = shared_data / "arxiv-oai-snapshot-sample" / "arxiv-metadata-oai-snapshot.head200.jsonl"
    assert main(["ingest", "snapshot", str(sample)]) == 0
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["papers"] == 200
    (source,) = status["sources"]
    assert source["source"].startswith("snapshot:") and "head200.jsonl" in source["source"]
    assert source["papers"] == 200 and source["last_sync"]
    assert main(["status"]) == 0
    text = capsys.readouterr().out
    assert "papers stored: 200" in text and "last sync" in text and "hep-ph" in text
    assert main(["show", "arXiv:0704.0001v1"]) == 0
    shown = capsys.readouterr().out
    assert "0704.0001v2  Calculation of prompt diphoton production" in shown
    assert "C. Balázs" in shown and "v2: 2007-07-24 20:10" in shown
    assert main(["show", "0704.0001", "--json"]) == 0
    paper = json.loads(capsys.readouterr().out)
    assert paper["arxiv_id"] == "0704.0001" and paper["primary_category"] == "hep-ph"


@pytest.mark.usefixtures("environment")
def test_show_of_an_unknown_paper_exits_2_with_a_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["show", "2403.99999"])
    assert raised.value.code == 2
    assert "no paper '2403.99999' in the catalog" in capsys.readouterr().err


@pytest.mark.usefixtures("environment")
def test_a_missing_file_exits_2_without_a_stack_trace(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["ingest", "file", str(tmp_path / "missing.jsonl.gz")])
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert "missing.jsonl.gz: no such file" in err and "Traceback" not in err


@pytest.mark.usefixtures("environment")
def test_bibtex_ingest_reports_bad_entries_by_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", "bibtex", str(DATA / "library.bib")]) == 1
    err = capsys.readouterr().err
    assert "entry 'notitle' has no title" in err
    assert "duplicate entry key 'shannon1948'" in err


@pytest.mark.usefixtures("environment")
def test_run_with_a_source_file_takes_the_latest_days_and_prints_what_it_stored(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _good_file(tmp_path)
    assert main(["run", "--source", str(path), "--days", "1", "--no-serve"]) == 0
    out = capsys.readouterr().out
    assert "inserted 1" in out  # only hep-th/9901001 was listed on the newest day
    assert "papers stored: 1" in out
    assert main(["run", "--source", str(path), "--days", "0", "--no-serve"]) == 0
    assert "papers stored: 3" in capsys.readouterr().out


@pytest.mark.usefixtures("environment")
def test_run_without_network_exits_2_naming_the_url(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Port 9 on the loopback refuses at once: an unreachable host without leaving the machine.
    monkeypatch.setenv("LIKEWISE_ARXIV_API_URL", "http://127.0.0.1:9/api/query")
    monkeypatch.setenv("LIKEWISE_REQUEST_RETRIES", "0")
    monkeypatch.setenv("LIKEWISE_REQUEST_INTERVAL", "0")
    assert main(["run", "--no-serve", "--days", "1"]) == 2
    captured = capsys.readouterr()
    assert "http://127.0.0.1:9/api/query?search_query=" in captured.err
    assert "cannot connect" in captured.err and "Traceback" not in captured.err
    assert "--source FILE" in captured.out


@pytest.mark.usefixtures("environment")
def test_incremental_oai_without_a_previous_harvest_asks_for_a_start_day(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["ingest", "oai", "--set", "cs"])
    assert raised.value.code == 2
    assert "give --from YYYY-MM-DD" in capsys.readouterr().err


def test_backfill_requires_a_start_day(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["backfill"])
    assert raised.value.code == 2
    assert "--from" in capsys.readouterr().err


def _recorded_client(monkeypatch: pytest.MonkeyPatch, route: Any) -> list[httpx.Request]:
    """Make every Library's arXiv client answer from tests/data/ingest (no live calls)."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=(DATA / route(request)).read_bytes())

    def client(self: Any) -> PoliteClient:
        transport = httpx.MockTransport(answer)
        return PoliteClient(interval=0, retries=0, timeout=5, transport=transport)

    monkeypatch.setattr(CatalogService, "http_client", client)
    return seen


@pytest.mark.usefixtures("environment")
def test_ingest_api_by_id_and_feed_store_papers(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def route(request: httpx.Request) -> str:
        return "feed_cs.xml" if request.url.host == "rss.arxiv.org" else "api_ids.xml"

    seen = _recorded_client(monkeypatch, route)
    assert main(["ingest", "api", "--id", "hep-th/9901001", "--id", "2403.01234v3"]) == 0
    assert "read 2, inserted 2" in capsys.readouterr().out
    assert main(["ingest", "feed", "--category", "cs.CL"]) == 1  # one entry is rejected
    out, err = capsys.readouterr()
    assert "read 5, inserted 4" in out and "unknown announce_type 'withdrawn'" in err
    assert str(seen[-1].url) == "https://rss.arxiv.org/atom/cs.CL"
    assert main(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["newest_announcement"] == "2024-03-06"


@pytest.mark.usefixtures("environment")
def test_an_api_error_entry_exits_2_with_arxivs_message(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _recorded_client(monkeypatch, lambda request: "api_error.xml")
    assert main(["ingest", "api", "--id", "2403.01234"]) == 2
    assert "arXiv API error: incorrect id format for 1234.12345" in capsys.readouterr().err


@pytest.mark.usefixtures("environment")
def test_backfill_harvests_every_page_and_then_syncs_incrementally(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def route(request: httpx.Request) -> str:
        if "resumptionToken" in request.url.params:
            return "oai_raw_page2.xml"
        if request.url.params.get("from") == "2024-03-06":
            return "oai_no_records.xml"
        return "oai_raw_page1.xml"

    seen = _recorded_client(monkeypatch, route)
    assert main(["backfill", "--from", "2024-03-01", "--set", "cs"]) == 1
    out = capsys.readouterr().out
    assert "oai-pmh:cs: read 4, inserted 3" in out
    assert main(["ingest", "oai", "--set", "cs"]) == 0
    assert seen[-1].url.params["from"] == "2024-03-06"
    assert main(["show", "2403.05555"]) == 0
    assert "math.NA" in capsys.readouterr().out


@pytest.mark.usefixtures("environment")
def test_ingest_names_the_first_fifty_notes_and_counts_the_rest(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    records = [
        {
            "id": f"2403.{number:05d}",
            "title": f"Paper {number}",
            "abstract": "An abstract.",
            "categories": ["cs.CL", "xx.YY"],
        }
        for number in range(1, 56)
    ]
    path = tmp_path / "noted.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    assert main(["ingest", "jsonl", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "inserted 55" in out and "stored with a note 55" in out
    assert err.count("left out unknown categories xx.YY") == 50
    assert "... and 5 more notes" in err
