"""`likewise topics`: the topic list, each paper's topics as JSON lines, an unknown id refused."""

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
    paper = Paper(
        arxiv_id="2404.00001",
        title="Speech processing",
        abstract="Speech recognition, speech synthesis, speaker identification and spoken "
        "language processing.",
        categories=["eess.AS"],
    )
    with Library.open(load_settings()) as library:
        library.store.upsert_papers([paper], source="test")
        library.vectors.update_vectors()
    return home


def test_without_ids_every_topic_is_listed_as_json(
    catalog_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["topics", "--json"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {"cs.CL", "speech"} <= {entry["id"] for entry in listed}


def test_a_paper_worded_like_a_topic_gets_that_topic_first(
    catalog_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["topics", "2404.00001", "--json"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["topics"][0] == "speech"


def test_an_unknown_paper_is_refused_by_name(
    catalog_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["topics", "2404.99999"])
    assert "2404.99999" in capsys.readouterr().err
