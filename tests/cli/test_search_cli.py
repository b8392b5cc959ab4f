"""`likewise search`: a readable table, JSON lines, filters, and clear errors for bad queries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from calibration_helpers import steep_calibration
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
            arxiv_id="2403.00001",
            title="Graph neural networks for chemistry",
            abstract="Message passing on molecules.",
            categories=["cs.LG"],
            authors=["Marie Curie"],
        ),
        Paper(
            arxiv_id="2403.00002",
            title="Vision transformers for segmentation",
            abstract="Patches and attention for pixels.",
            categories=["cs.CV"],
            authors=["Niels Bohr"],
        ),
        Paper(
            arxiv_id="2403.00003",
            title="Graph transformers for proteins",
            abstract="Attention over residue graphs.",
            categories=["q-bio.BM"],
            authors=["Marie Curie"],
        ),
    ]
    with Library.open(load_settings()) as library:
        library.store.upsert_papers(papers, source="test")
        library.vectors.update_vectors()
    return home


def test_json_output_is_one_object_per_hit_with_id_title_and_score(
    catalog_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", "graph neural networks", "--json", "--limit", "2"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 2
    assert lines[0]["id"] == "2403.00001"
    assert lines[0]["title"] == "Graph neural networks for chemistry"
    assert all({"id", "title", "score"} <= set(line) for line in lines)
    assert lines[0]["score"] >= lines[1]["score"]


def test_filters_reach_the_search(catalog_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "graph", "--json", "--author", "Niels Bohr"]) == 0
    ids = [json.loads(line)["id"] for line in capsys.readouterr().out.splitlines()]
    assert ids == ["2403.00002"]
    assert main(["search", "graph", "--json", "--category", "q-bio.BM", "--category", "cs.CV"]) == 0
    ids = [json.loads(line)["id"] for line in capsys.readouterr().out.splitlines()]
    assert set(ids) == {"2403.00002", "2403.00003"}


def test_the_plain_output_is_a_table_with_titles(
    catalog_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # wide enough that rich does not wrap titles
    assert main(["search", "vision transformers"]) == 0
    output = capsys.readouterr().out
    assert "Vision transformers for segmentation" in output
    assert "2403.00002" in output


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "the search text is empty"),
        ("q" * 102_400, "102,400 characters long"),
        ("graph\x1b[31m", "control character"),
    ],
)
def test_bad_queries_get_a_clear_error_and_no_stack_trace(
    catalog_home: Path, capsys: pytest.CaptureFixture[str], query: str, message: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["search", query])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert message in error
    assert "Traceback" not in error


@pytest.mark.parametrize(
    "arguments",
    [
        ["--since", "yesterday"],
        ["--limit", "0"],
        ["--since", "2024-05-01", "--until", "2024-01-01"],
    ],
)
def test_bad_options_are_refused_clearly(
    catalog_home: Path, capsys: pytest.CaptureFixture[str], arguments: list[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["search", "graph", *arguments])
    assert exit_info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_below_cutoff_lists_the_closest_papers_after_no_good_matches(
    catalog_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real pipeline with a cut-off above every fused score (the fake embedder has none).
    monkeypatch.setattr(
        "likewise.services.search.bundled_calibration",
        lambda model_id: steep_calibration(model_id, 2.0),
    )
    assert main(["search", "graph neural networks"]) == 0
    assert "No good matches" in capsys.readouterr().out
    assert main(["search", "graph neural networks", "--below-cutoff", "--json"]) == 0
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert lines and lines[0]["id"] == "2403.00001"
    assert all(line["below_cutoff"] and line["score"] < 0.5 for line in lines)
    assert "no good matches" in captured.err
    assert main(["search", "graph neural networks", "--below-cutoff"]) == 0
    table = capsys.readouterr().out
    assert "No good matches" in table and "closest papers, each under the cut-off" in table
    assert "Graph neural networks" in table
