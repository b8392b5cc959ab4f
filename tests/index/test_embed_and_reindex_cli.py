"""`likewise embed` and `likewise reindex` on a real catalog with the fake embedder."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from likewise.cli.main import main
from likewise.library import Library
from likewise.models import Paper
from likewise.settings import Settings


@pytest.fixture
def catalog(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("LIKEWISE_HOME", str(settings.home))
    monkeypatch.setenv("LIKEWISE_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("LIKEWISE_EMBEDDER", "fake")
    monkeypatch.setenv("LIKEWISE_ANN_THRESHOLD", "3")
    with Library.open(settings) as library:
        papers = [Paper(arxiv_id=f"2502.0000{n}", title=f"Paper {n}") for n in range(5)]
        library.store.upsert_papers(papers, source="test")
    return settings


def _json_output(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    result: dict[str, object] = json.loads(capsys.readouterr().out)
    return result


def test_embed_embeds_new_papers_once(
    catalog: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["embed", "--json"]) == 0
    first = _json_output(capsys)
    assert first["embedded"] == 5 and first["indexed"] == 5
    assert main(["embed", "--json"]) == 0
    assert _json_output(capsys)["embedded"] == 0


def test_reindex_reports_the_rebuilt_index(
    catalog: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["embed", "--json"])
    capsys.readouterr()
    assert main(["reindex", "--json"]) == 0
    report = _json_output(capsys)
    assert report["indexed"] == 5
    on_postgres = catalog.resolved_database_url.startswith("postgres")
    expected = "pgvector" if on_postgres else "usearch"
    assert report["index"] == expected


@pytest.mark.skipif(
    os.environ.get("LIKEWISE_TEST_BACKEND") == "postgres",
    reason="the index file exists on SQLite; PostgreSQL keeps the index in pgvector",
)
def test_reindex_rebuilds_the_saved_index(
    catalog: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["embed", "--json"])
    capsys.readouterr()
    saved = list(Path(catalog.home).glob("index-*.usearch"))
    assert len(saved) == 1
    saved[0].unlink()
    assert main(["reindex"]) == 0
    assert "rebuilt the usearch index" in capsys.readouterr().out
    assert saved[0].is_file()


def test_embed_says_so_when_nothing_is_new(
    catalog: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["embed"])
    capsys.readouterr()
    main(["embed"])
    assert "nothing to embed" in capsys.readouterr().out
