"""`likewise embed --sentences-only`: fills in the sentences of papers embedded without them,
says how many, and finds nothing the second time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import delete

from likewise.cli.main import main
from likewise.embed.fake import FakeEmbedder
from likewise.library import Library
from likewise.models import Paper
from likewise.settings import load_settings
from likewise.store.sentence_tables import paper_sentences


@pytest.fixture
def home(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("LIKEWISE_HOME", str(home))
    monkeypatch.setenv("LIKEWISE_EMBEDDER", "fake")
    monkeypatch.setenv("LIKEWISE_DATABASE_URL", database_url)
    papers = [
        Paper(arxiv_id="2403.00001", title="Graph networks", abstract="Message passing. It works."),
        Paper(arxiv_id="2403.00002", title="Vision transformers", abstract="Patches. Attention."),
    ]
    with Library.open(load_settings()) as library:
        library.store.upsert_papers(papers, source="test")
        library.vectors.update_vectors()
        with library.store.engine.begin() as connection:
            connection.execute(delete(paper_sentences))
    return home


def test_sentences_only_fills_in_the_missing_sentences_and_then_has_nothing_to_do(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["embed", "--sentences-only"]) == 0
    assert "stored the sentences of 2 papers" in capsys.readouterr().out
    with Library.open(load_settings()) as library:
        found = library.sentences.sentences_of(["2403.00001", "2403.00002"])
    assert found["2403.00001"].texts == ["Message passing.", "It works."]
    assert main(["embed", "--sentences-only", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["sentences_stored"] == 0
    assert main(["embed", "--sentences-only"]) == 0
    assert "nothing to fill in" in capsys.readouterr().out


def test_sentences_only_json_counts_the_papers_filled_in(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["embed", "--sentences-only", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["sentences_stored"] == 2
    assert summary["model"] == FakeEmbedder().model_id


def test_relabel_reads_every_stored_paper_and_refuses_to_run_with_sentences_only(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["embed", "--sentences-only", "--json"]) == 0
    capsys.readouterr()
    assert main(["embed", "--relabel", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["papers"], summary["relabelled"]) == (2, 0)  # same labeller, same labels
    assert main(["embed", "--relabel"]) == 0
    assert "labelled the sentences of 2 papers again" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["embed", "--relabel", "--sentences-only"])
    assert "not allowed with argument" in capsys.readouterr().err
