"""`likewise similar ID --facet F`: JSON lines that name the sentences that matched, a table,
and argparse's refusal naming an unknown facet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from likewise.cli.main import main
from likewise.library import Library
from likewise.models import Paper
from likewise.settings import load_settings

ABSTRACTS = {
    "2404.00001": "Molecules matter for drugs. We train message passing networks on graphs. "
    "Accuracy improves by four points.",
    "2404.00002": "Roads matter for cities. We train message passing networks on road graphs. "
    "Errors fall on traffic data.",
    "2404.00003": "Speech matters for phones. Transducers stream acoustic frames. "
    "Word error rates drop.",
}


@pytest.fixture
def catalog_home(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("LIKEWISE_HOME", str(home))
    monkeypatch.setenv("LIKEWISE_EMBEDDER", "fake")
    monkeypatch.setenv("LIKEWISE_DATABASE_URL", database_url)
    papers = [
        Paper(arxiv_id=key, title=f"Study {key[-1]}", abstract=text, categories=["cs.LG"])
        for key, text in ABSTRACTS.items()
    ]
    with Library.open(load_settings()) as library:
        library.store.upsert_papers(papers, source="test")
        library.vectors.update_vectors()
    return home


def test_facet_json_lines_name_the_facet_and_the_sentences_that_matched(
    catalog_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["similar", "2404.00001", "--facet", "method", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["id"] for line in lines] == ["2404.00002", "2404.00003"]
    for line in lines:
        assert line["facet"] == "method" and line["matched"]
        assert line["facet_score"] is not None and 0.0 <= line["lexical_score"] <= 1.0 + 1e-9
        for match in line["matched"]:
            assert match["query_sentence"] in ABSTRACTS["2404.00001"]
            assert match["sentence"] in ABSTRACTS[line["id"]]
            assert -1.0 <= match["similarity"] <= 1.0
    assert lines[0]["score"] >= lines[1]["score"]


def test_the_facet_table_shows_the_matched_sentence(
    catalog_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["similar", "2404.00001", "--facet", "background"]) == 0
    out = capsys.readouterr().out
    assert "by background" in out and "matched sentences" in out
    assert "2404.00002" in out


def test_an_unknown_facet_is_refused_naming_it(
    catalog_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["similar", "2404.00001", "--facet", "novelty"])
    assert exited.value.code == 2
    assert "'novelty'" in capsys.readouterr().err
