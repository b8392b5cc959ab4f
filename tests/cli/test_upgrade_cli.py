"""`likewise upgrade-model` and `prune-vectors` end to end: the upgrade runs to the switch with
JSON output, `--status` reports it, and bad requests are one clear line with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from likewise.cli.main import main
from likewise.embed.fake import FakeEmbedder
from likewise.library import Library
from likewise.models import Paper
from likewise.settings import load_settings

TOPICS = ["graph neural networks", "vision transformers", "protein folding", "speech audio"]


@pytest.fixture
def home(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("LIKEWISE_HOME", str(home))
    monkeypatch.setenv("LIKEWISE_EMBEDDER", "fake")
    monkeypatch.setenv("LIKEWISE_DATABASE_URL", database_url)
    papers = [
        Paper(arxiv_id=f"2403.{n:05d}", title=f"{TOPICS[n % 4]} part {n}", abstract=TOPICS[n % 3])
        for n in range(40)
    ]
    with Library.open(load_settings()) as library:
        library.store.upsert_papers(papers, source="test")
        library.vectors.update_vectors()
    return home


def test_upgrade_model_runs_to_the_switch_and_status_reports_it(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["upgrade-model", "fake-rotated", "--sample", "30", "--json"]) == 0
    finished = json.loads(capsys.readouterr().out)
    new_model = FakeEmbedder(rotation_seed=1).model_id
    assert finished["serving"] == {"embedder": "fake-rotated", "model": new_model}
    assert finished["upgrade"]["state"] == "switched"
    assert finished["upgrade"]["embedded"] == 40 and finished["upgrade"]["sample"] == 30

    assert main(["upgrade-model", "--status"]) == 0
    shown = capsys.readouterr().out
    assert "serving model: fake-rotated" in shown and "switched" in shown

    assert main(["prune-vectors", FakeEmbedder().model_id, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["deleted"] == 40


def test_running_the_same_upgrade_again_resumes_it_without_refitting_the_map(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Library.open(load_settings()) as library:
        started = library.model_upgrade.start("fake-rotated", sample=10)

    assert main(["upgrade-model", "fake-rotated"]) == 0
    shown = capsys.readouterr().out
    assert "resuming the upgrade fake -> fake-rotated: 10 of 40 papers embedded" in shown
    assert "switched to fake-rotated" in shown
    with Library.open(load_settings()) as library:
        history = library.model_upgrade.repository.history()
    assert [(row.id, row.sample_size, row.state) for row in history] == [
        (started.id, 10, "switched")
    ]


def test_bad_upgrade_requests_are_one_clear_line(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_error = _error_of(capsys)
    assert_error(["upgrade-model", "bert-large"], "unknown embedding model 'bert-large'")
    assert_error(["upgrade-model", "fake"], "fake is already the catalog's embedding model")
    assert_error(["upgrade-model"], "name the new model")
    assert_error(["upgrade-model", "--cancel"], "no upgrade is running")
    assert_error(["prune-vectors", FakeEmbedder().model_id], "is the serving model")


def _error_of(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    def check(argv: list[str], message: str) -> None:
        with pytest.raises(SystemExit) as stopped:
            main(argv)
        assert stopped.value.code == 2
        error = capsys.readouterr().err
        assert error.startswith("likewise: error: ") and message in error
        assert len(error.strip().splitlines()) == 1

    return check
