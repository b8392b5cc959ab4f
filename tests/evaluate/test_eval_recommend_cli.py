"""`likewise eval recommend` end to end on a small synthetic slice with the fake embedder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from likewise.cli.main import main

TOPICS = {
    "ada": "graph neural networks molecules message passing chemistry",
    "bob": "speech recognition acoustic models vocoder phonemes",
    "cy": "image segmentation diffusion masks pixels",
    "dee": "reinforcement learning policy reward agents",
}


def _write_slice(path: Path) -> None:
    records = []
    for author, words in TOPICS.items():
        for i in range(9):
            records.append(
                {
                    "id": f"{author}-{i}",
                    "title": f"{words.split()[i % 4]} study {i}",
                    "abstract": f"{words} variant{i} {author}word",
                    "authors": [author.title(), f"{author.title()} Student"],
                    "first_listed": f"2026-01-{i + 1:02d}",
                }
            )
        records.append(
            {
                "id": f"{author}-new",
                "title": f"new {words.split()[0]} results",
                "abstract": f"{words} {author}word",
                "authors": [f"{author.title()} Student"],
                "first_listed": "2026-02-02",
            }
        )
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def _eval_arguments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A fake-embedder home and cache in tmp_path, the slice written; the command's start."""
    pytest.importorskip("sklearn")
    monkeypatch.setenv("LIKEWISE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LIKEWISE_EMBEDDER", "fake")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    papers = tmp_path / "papers.jsonl"
    _write_slice(papers)
    return ["eval", "recommend", "--papers", str(papers), "--cutoff", "2026-02-01"]


def test_eval_recommend_reports_both_splits_and_ranks_topical_papers_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = _eval_arguments(tmp_path, monkeypatch)
    arguments += ["--readers", "8", "--min-df", "1", "--json"]
    assert main(arguments) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"fit", "held-out"}
    for split in report.values():
        assert set(split) == {"zotero-arxiv-daily", "arxiv-sanity-lite", "likewise"}
        # Each reader's one relevant paper shares their topic's words: it comes first.
        assert split["likewise"]["ndcg@10"] == pytest.approx(1.0)
    assert list((tmp_path / "cache" / "likewise" / "recommend").glob("vectors-*.npz"))


def test_eval_recommend_grid_lists_weights_chosen_on_the_fit_readers_best_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = _eval_arguments(tmp_path, monkeypatch)
    assert main([*arguments, "--readers", "8", "--min-df", "1", "--grid"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("dense mean, dense nearest")
    rows = [line.split(": ") for line in lines[1:]]
    assert len(rows) == 10
    totals = [sum(float(value) for value in metrics.split()) for _, metrics in rows]
    assert totals == sorted(totals, reverse=True)
    # Every listed point has one weight at the grid's top (1), so no point is a rescaled twin.
    assert all("1" in weights.split(", ") for weights, _ in rows)
