"""`likewise search` and `likewise similar` right after an ingest, before `likewise embed`:
keyword results and a notice that says what to run, never a stack trace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from likewise.cli.main import main
from likewise.library import Library
from likewise.models import Paper
from likewise.settings import load_settings

NOTICE = "2 of 2 papers are not embedded yet: run `likewise embed`"


@pytest.fixture
def unembedded_home(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("LIKEWISE_HOME", str(home))
    monkeypatch.setenv("LIKEWISE_EMBEDDER", "minilm-int8")  # its calibration needs cosines
    monkeypatch.setenv("LIKEWISE_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    papers = [
        Paper(
            arxiv_id="2501.00001",
            title="Contrastive learning for dense retrieval",
            abstract="Dense passage retrievers trained with contrastive losses.",
        ),
        Paper(
            arxiv_id="2501.00002",
            title="Dense retrieval with hard negatives",
            abstract="Hard negatives for dense retrievers.",
        ),
    ]
    with Library.open(load_settings()) as library:
        library.store.upsert_papers(papers, source="test")
    return home


def test_search_before_embedding_prints_a_table_and_the_notice(
    unembedded_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", "contrastive learning for dense retrieval"]) == 0
    out = capsys.readouterr().out
    assert NOTICE in " ".join(out.split())
    assert "Traceback" not in out


def test_search_json_before_embedding_gives_hits_and_the_notice_on_stderr(
    unembedded_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", "dense retrieval", "--json", "--fusion", "convex"]) == 0
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert all("dense" not in line["components"] for line in lines)
    assert NOTICE in captured.err


def test_similar_before_embedding_lists_papers_that_share_words(
    unembedded_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["similar", "2501.00001", "--json"]) == 0
    captured = capsys.readouterr()
    assert [json.loads(line)["id"] for line in captured.out.splitlines()] == ["2501.00002"]
    assert NOTICE in captured.err
    assert main(["similar", "2501.00001"]) == 0
    assert NOTICE in " ".join(capsys.readouterr().out.split())


def test_no_good_matches_is_said_once_with_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    from likewise.cli.search import print_table
    from likewise.rank.search import SearchResult

    notice = "no good matches: the best candidate's relevance probability is 0.12"
    print_table(SearchResult("basil", "convex", [], 0, no_good_matches=True, notice=notice))
    out = " ".join(capsys.readouterr().out.split())
    assert out.lower().count("no good matches") == 1
    assert "probability is 0.12" in out
