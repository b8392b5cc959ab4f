"""`likewise similar`: a readable table, JSON lines, and a clear error for an unknown id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from likewise.cli.main import main
from likewise.library import Library
from likewise.models import Paper
from likewise.settings import load_settings


@pytest.fixture
def catalog_home(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("LIKEWISE_HOME", str(home))
    monkeypatch.setenv("LIKEWISE_EMBEDDER", "fake")
    monkeypatch.setenv("LIKEWISE_DATABASE_URL", database_url)
    papers = [
        Paper(
            arxiv_id="2404.00001",
            title="Graph neural networks for molecules",
            abstract="Message passing graph networks predict molecular properties.",
            categories=["cs.LG"],
        ),
        Paper(
            arxiv_id="2404.00002",
            title="Equivariant graph networks for molecules",
            abstract="Message passing with rotation equivariance for molecular graphs.",
            categories=["cs.LG"],
        ),
        Paper(
            arxiv_id="2404.00003",
            title="Speech recognition with transducers",
            abstract="Streaming acoustic models for speech.",
            categories=["eess.AS"],
        ),
    ]
    with Library.open(load_settings()) as library:
        library.store.upsert_papers(papers, source="test")
        library.vectors.update_vectors()
    return home


def test_json_output_is_one_object_per_paper_with_id_title_and_score(
    catalog_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["similar", "2404.00001", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["id"] == "2404.00002"
    assert "2404.00001" not in {line["id"] for line in lines}
    assert lines[0]["title"] == "Equivariant graph networks for molecules"
    assert all({"id", "title", "score"} <= set(line) for line in lines)
    assert lines[0]["score"] >= lines[-1]["score"]


def test_limit_caps_the_number_of_papers(
    catalog_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["similar", "2404.00001", "--json", "--limit", "1"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1


def test_plain_output_is_a_table_with_titles_and_reasons(
    catalog_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["similar", "2404.00001"]) == 0
    output = capsys.readouterr().out
    assert "Papers similar to 2404.00001" in output
    assert "2404.00002" in output
    assert "shared terms" in output


def test_an_unknown_id_is_a_clear_error_with_exit_status_2(
    catalog_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["similar", "2404.09999"])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert "no paper with id '2404.09999'" in captured.err
    assert "Traceback" not in captured.err
