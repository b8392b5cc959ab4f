"""Ingest into a real catalog: counts, idempotence, resuming, rejects and fatal errors."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from likewise.ingest.base import Batch, IngestError
from likewise.ingest.jsonl import JsonlSource
from likewise.library import Library
from likewise.models import AnnouncementKind, Paper
from likewise.store.factory import open_store

DATA = Path(__file__).resolve().parents[1] / "data" / "ingest"


def _state(library: Any) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Everything an ingest decides, in a comparable form."""
    papers = sorted(
        (p.arxiv_id, p.title, tuple(p.authors), tuple(p.categories), p.announced, p.latest_version)
        for p in library.store.iter_papers()
    )
    announcements = sorted(
        (item.arxiv_id, item.day, item.kind.value)
        for day in library.store.announcement_days()
        for item in library.store.announced_on(day)
    )
    return papers, announcements


def test_ingest_counts_rejects_and_a_second_run_changes_nothing(library: Library) -> None:
    source = JsonlSource(DATA / "papers.jsonl")
    first = library.catalog.ingest(source)
    assert (first.inserted, first.updated, first.unchanged) == (5, 0, 0)
    assert len(first.rejected) == 5 and not first.ok and first.error is None
    before = _state(library)
    second = library.catalog.ingest(JsonlSource(DATA / "papers.jsonl"))
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 5)
    assert _state(library) == before
    assert library.store.count_papers() == 5
    hep, math = library.catalog.show("hep-th/9901001"), library.catalog.show("math/9901001")
    assert hep is not None and math is not None and hep.title != math.title
    status = library.catalog.status()
    assert status.papers == 5
    (entry,) = [item for item in status.sources if item.source == source.name]
    assert entry.last_sync is not None and entry.papers == 5


def test_show_accepts_any_form_of_the_id(library: Library) -> None:
    library.catalog.ingest(JsonlSource(DATA / "papers.jsonl"))
    for form in (
        "2503.11685",
        "2503.11685v1",
        "arXiv:2503.11685",
        "https://arxiv.org/abs/2503.11685",
    ):
        paper = library.catalog.show(form)
        assert paper is not None and paper.title == "CORDIC Is All You Need"
    assert library.catalog.show("9999.99999") is None and library.catalog.show("rubbish") is None


class _Interrupted(JsonlSource):
    """Stops (like Ctrl-C) after a number of batches have been handed out."""

    def __init__(self, path: Path, after: int) -> None:
        super().__init__(path)
        self.after = after

    def batches(self, checkpoint: str | None, batch_size: int) -> Iterator[Batch]:
        for number, batch in enumerate(super().batches(checkpoint, batch_size), start=1):
            if number > self.after:
                raise KeyboardInterrupt
            yield batch


def _numbered_file(path: Path, count: int) -> Path:
    lines = [
        json.dumps(
            {
                "id": f"2501.{number:05d}",
                "title": f"Paper number {number}",
                "authors": [f"Author {number % 7}"],
                "categories": ["cs.CL"] if number % 2 else ["cs.CV", "cs.CL"],
                "abstract": f"Abstract {number}.",
                "first_listed": f"2025-01-{1 + number % 28:02d}",
            }
        )
        for number in range(1, count + 1)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_an_interrupted_ingest_resumes_to_the_same_state_as_one_clean_run(
    library: Library, tmp_path: Path, settings: Any
) -> None:
    path = _numbered_file(tmp_path / "numbered.jsonl", 250)
    with contextlib.suppress(KeyboardInterrupt):
        library.catalog.ingest(_Interrupted(path, after=2), batch_size=40)
    assert library.store.count_papers() == 80
    resumed = library.catalog.ingest(JsonlSource(path), batch_size=40)
    assert resumed.inserted == 170  # only what was not committed before
    clean_store = open_store(f"sqlite:///{tmp_path / 'clean.db'}")
    clean = Library(settings, clean_store)
    clean.catalog.ingest(JsonlSource(path), batch_size=40)
    assert _state(library) == _state(clean)
    clean.close()


def test_a_fatal_error_keeps_the_batches_stored_before_it(library: Library, tmp_path: Path) -> None:
    path = _numbered_file(tmp_path / "numbered.jsonl", 100)

    class _Breaks(JsonlSource):
        def batches(self, checkpoint: str | None, batch_size: int) -> Iterator[Batch]:
            iterator = super().batches(checkpoint, batch_size)
            yield next(iterator)
            raise IngestError("https://export.arxiv.org/api/query: cannot connect")

    source = _Breaks(path)
    summary = library.catalog.ingest(source, batch_size=30)
    assert summary.error == "https://export.arxiv.org/api/query: cannot connect"
    assert summary.inserted == 30 and library.store.count_papers() == 30
    assert all(
        item.last_sync is None
        for item in library.catalog.status().sources
        if item.source == source.name
    )


def test_a_truncated_gzip_stores_the_lines_before_the_break(
    library: Library, tmp_path: Path
) -> None:
    plain = _numbered_file(tmp_path / "numbered.jsonl", 3000).read_bytes()
    packed = gzip.compress(plain)
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(packed[: int(len(packed) * 0.6)])
    summary = library.catalog.ingest(JsonlSource(cut), batch_size=500)
    assert 0 < summary.inserted < 3000
    assert library.store.count_papers() == summary.inserted
    assert len(summary.rejected) == 1 and "truncated" in summary.rejected[0].problem


def _recorded(request: httpx.Request) -> httpx.Response:
    if request.url.host == "rss.arxiv.org":
        name = "feed_cs.xml"
    elif "id_list" in request.url.params:
        name = "api_ids.xml"
    else:
        name = (
            "api_category_page1.xml"
            if request.url.params["start"] == "0"
            else "api_category_page2.xml"
        )
    return httpx.Response(200, content=(DATA / name).read_bytes())


def test_recent_network_sources_store_papers_and_announcements(library: Library) -> None:
    library.catalog.use_transport(httpx.MockTransport(_recorded))
    now = datetime(2024, 3, 6, 12, 0, tzinfo=UTC)
    with library.catalog.http_client() as client:
        client.interval = 0
        sources = library.catalog.recent_sources(
            client, days=2, categories=["cs.CL", "cs.CV"], now=now
        )
        summaries = [library.catalog.ingest(source) for source in sources]
    assert [summary.error for summary in summaries] == [None, None]
    assert library.store.count_papers() == 6
    day = library.store.announced_on(date(2024, 3, 6))
    kinds = {item.arxiv_id: item.kind for item in day}
    assert kinds["2403.03200"] is AnnouncementKind.CROSS_LIST
    assert kinds["2402.09999"] is AnnouncementKind.REPLACEMENT
    # Submitted Monday 15:05 Eastern: Wednesday's mailing, estimated from the schedule; its
    # primary category is eess.SY, so for cs.CL it is a cross-list.
    assert kinds["2403.02000"] is AnnouncementKind.CROSS_LIST
    assert library.store.announced_on(date(2024, 3, 5))[0].arxiv_id == "2403.01234"


def test_a_newer_version_updates_the_record_and_keeps_its_history(library: Library) -> None:
    from likewise.ingest.arxiv_api import ArxivApiSource

    library.catalog.use_transport(httpx.MockTransport(_recorded))
    with library.catalog.http_client() as client:
        client.interval = 0
        library.catalog.ingest(
            ArxivApiSource(
                client,
                library.settings.arxiv_api_url,
                categories=["cs.CL"],
                since=datetime(2024, 3, 1, tzinfo=UTC),
                until=datetime(2024, 3, 6, tzinfo=UTC),
            )
        )
        summary = library.catalog.ingest(
            ArxivApiSource(
                client, library.settings.arxiv_api_url, ids=["2403.01234", "hep-th/9901001"]
            )
        )
    assert (summary.inserted, summary.updated) == (1, 1)
    paper = library.catalog.show("2403.01234")
    assert paper is not None and paper.latest_version == 3
    assert paper.abstract == "Version three of the abstract."
    assert {version.number for version in paper.versions} >= {1, 2, 3}


def test_bibtex_entries_match_stored_arxiv_papers_by_title(library: Library) -> None:
    library.catalog.ingest(JsonlSource(DATA / "papers.jsonl"))
    library.store.upsert_papers(
        [Paper("2403.01234", "Retrieval Heads for Long-Context Language Models")], source="test"
    )
    summary = library.catalog.ingest(library.catalog.file_source(DATA / "library.bib"))
    assert summary.matched == 1
    assert len(summary.rejected) == 3
    assert library.store.count_papers() == 6 + summary.inserted
    shannon = library.store.find_by_doi_or_title("10.1002/j.1538-7305.1948.tb01338.x", "x")
    assert shannon is not None and shannon.startswith("local:")
    again = library.catalog.ingest(library.catalog.file_source(DATA / "library.bib"))
    # Local entries come back unchanged; arXiv papers (the stored stubs too) count as matched.
    assert (again.inserted, again.updated, again.unchanged, again.matched) == (0, 0, 2, 3)


_KILLED_INGEST = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from likewise.ingest.jsonl import JsonlSource
    from likewise.library import Library
    from likewise.settings import load_settings

    class Announcing(JsonlSource):
        def batches(self, checkpoint, batch_size):
            for number, batch in enumerate(super().batches(checkpoint, batch_size), start=1):
                if number == 6:
                    Path(sys.argv[2]).write_text("committed five batches")
                    time.sleep(600)  # the test kills us here, mid-ingest
                yield batch

    with Library.open(load_settings()) as library:
        library.catalog.ingest(Announcing(Path(sys.argv[1])), batch_size=200)
    """
)


def test_killing_an_ingest_midway_then_rerunning_equals_one_clean_run(
    shared_data: Path,
    tmp_path: Path,
    settings: Any,
    library: Library,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    head = tmp_path / "head.jsonl"
    with gzip.open(shared_data / "arxiv-daily-cs" / "papers.jsonl.gz", "rt") as source:
        head.write_text("".join(next(source) for _ in range(3000)))
    signal_file = tmp_path / "signal"
    environment = dict(os.environ)
    environment |= {
        "LIKEWISE_HOME": str(settings.home),
        "LIKEWISE_DATABASE_URL": settings.database_url,
    }
    script = tmp_path / "killed_ingest.py"
    script.write_text(_KILLED_INGEST)
    process = subprocess.Popen(
        [sys.executable, str(script), str(head), str(signal_file)], env=environment
    )
    try:
        while not signal_file.exists():
            assert process.poll() is None, "the ingest ended before it could be killed"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
    finally:
        if process.poll() is None:
            process.kill()  # a failed assertion above must not leave it sleeping
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert library.store.count_papers() == 1000
    from likewise.cli.main import main

    for key in ("LIKEWISE_HOME", "LIKEWISE_DATABASE_URL"):
        monkeypatch.setenv(key, environment[key])
    assert main(["ingest", "jsonl", str(head)]) == 0  # resumes after the fifth batch
    clean = Library(settings, open_store(f"sqlite:///{tmp_path / 'clean.db'}"))
    summary = clean.catalog.ingest(JsonlSource(head))
    assert summary.inserted == 3000
    assert _state(library) == _state(clean)
    clean.close()


def test_a_bibtex_entry_naming_an_arxiv_id_gives_way_to_the_arxiv_record(
    library: Library,
) -> None:
    library.catalog.ingest(library.catalog.file_source(DATA / "library.bib"))
    stub = library.catalog.show("1706.03762")
    assert stub is not None and stub.authors == ["Ashish Vaswani"] and stub.latest_version == 0
    arxiv_record = Paper(
        "1706.03762",
        "Attention Is All You Need",
        abstract="The dominant sequence transduction models ...",
        authors=["Ashish Vaswani", "Noam Shazeer", "Niki Parmar"],
        categories=["cs.CL", "cs.LG"],
        latest_version=7,
    )
    counts = library.store.upsert_papers([arxiv_record], source="arxiv-api")
    assert counts.updated == 1
    paper = library.catalog.show("1706.03762")
    assert paper is not None
    assert paper.authors == ["Ashish Vaswani", "Noam Shazeer", "Niki Parmar"]
    assert paper.categories == ["cs.CL", "cs.LG"] and paper.latest_version == 7


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("LIKEWISE_TEST_BACKEND") == "postgres",
    reason="minutes on PostgreSQL; the smaller ingest tests cover that backend",
)
def test_the_whole_daily_file_is_stored_once_and_a_second_run_changes_nothing(
    library: Library, shared_data: Path
) -> None:
    path = shared_data / "arxiv-daily-cs" / "papers.jsonl.gz"
    first = library.catalog.ingest(JsonlSource(path))
    assert (first.read, first.inserted, len(first.rejected)) == (74_728, 74_728, 0)
    assert library.store.count_papers() == 74_728
    days_before = library.store.announcement_days()
    second = library.catalog.ingest(JsonlSource(path))
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 74_728)
    assert library.store.count_papers() == 74_728
    assert library.store.announcement_days() == days_before
    assert library.catalog.status().papers == 74_728


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("not_atom.html", "not an arXiv announcement Atom feed (the document is <html>)"),
        ("truncated.xml", "not well-formed XML"),
        (None, "cannot connect"),
    ],
)
def test_a_broken_network_source_names_the_url_and_keeps_earlier_data(
    library: Library, answer: str | None, problem: str
) -> None:
    from likewise.ingest.announcements import AnnouncementFeedSource

    library.catalog.ingest(JsonlSource(DATA / "papers.jsonl"))
    before = _state(library)

    def respond(request: httpx.Request) -> httpx.Response:
        if answer is None:
            raise httpx.ConnectError("Name or service not known", request=request)
        return httpx.Response(200, content=(DATA / answer).read_bytes())

    library.catalog.use_transport(httpx.MockTransport(respond))
    with library.catalog.http_client() as client:
        client.interval = client.backoff = 0
        source = AnnouncementFeedSource(client, "https://rss.arxiv.org/atom", ["cs.CL"])
        summary = library.catalog.ingest(source)
    assert summary.error is not None and problem in summary.error
    assert summary.error.startswith("https://rss.arxiv.org/atom/cs.CL")
    assert _state(library) == before
