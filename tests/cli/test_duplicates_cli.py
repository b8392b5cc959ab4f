"""`likewise duplicates` and the CLI's JSON: the backfill checks a catalog stored without
ingest, then `show --json`, `duplicates ID --json` and `search --json` carry also_as."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from likewise.cli.main import main
from likewise.library import Library
from likewise.models import Paper
from likewise.settings import load_settings

TITLE = "Logit Arithmetic Elicits Long Reasoning Capabilities Without Training"
AUTHORS = ["Yunxiang Zhang", "Muhammad Khalifa", "Lechen Zhang"]


@pytest.fixture
def catalog_home(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("LIKEWISE_HOME", str(home))
    monkeypatch.setenv("LIKEWISE_EMBEDDER", "fake")
    monkeypatch.setenv("LIKEWISE_DATABASE_URL", database_url)
    papers = [
        Paper("2507.12759", TITLE, "Large reasoning models can do long reasoning.", AUTHORS),
        Paper("2510.09354", TITLE, "Large reasoning models exhibit long chains.", AUTHORS),
        Paper("2509.08480", "Acquiescence Bias in Large Language Models", "Surveys.", ["D B"]),
    ]
    with Library.open(load_settings()) as library:
        library.store.upsert_papers(papers, source="test")  # no ingest: nothing checked yet
        library.vectors.update_vectors()
    return home


def test_the_backfill_then_show_duplicates_and_search_carry_also_as(
    catalog_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["duplicates", "2507.12759", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"arxiv_id": "2507.12759", "also_as": []}

    assert main(["duplicates", "update", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"checked": 3, "pairs": 1}
    assert main(["duplicates", "update"]) == 0
    assert capsys.readouterr().out.strip() == "checked 0 papers, 0 near-duplicate pairs"

    assert main(["show", "2510.09354", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["also_as"] == [{"arxiv_id": "2507.12759", "title": TITLE}]
    assert main(["show", "2507.12759"]) == 0
    assert f"also as: 2510.09354  {TITLE}" in capsys.readouterr().out

    assert main(["search", "logit arithmetic long reasoning", "--json"]) == 0
    hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    twins = [hit for hit in hits if hit["id"] in {"2507.12759", "2510.09354"}]
    assert len(twins) == 1 and len(twins[0]["also_as"]) == 1


def test_an_unknown_id_is_refused(catalog_home: Path) -> None:
    with pytest.raises(SystemExit):
        main(["duplicates", "9999.99999"])
