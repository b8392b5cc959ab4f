"""`likewise run --source FILE`: it says which days of the file it loaded, the exact command
that loads them all, and about how long embedding the rest takes at this run's rate."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from likewise.cli.first_run import duration
from likewise.cli.main import main

DATA = Path(__file__).resolve().parents[1] / "data" / "ingest"


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    monkeypatch.setenv("LIKEWISE_HOME", str(settings.home))
    monkeypatch.setenv("LIKEWISE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LIKEWISE_EMBEDDER", "fake")


def _three_days(tmp_path: Path) -> Path:
    lines = [
        line
        for line in (DATA / "papers.jsonl").read_text().splitlines()
        if line.startswith('{"id": "2503.116') or line.startswith('{"id": "hep-th')
    ]
    path = tmp_path / "three days.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.usefixtures("environment")
def test_the_first_run_names_the_days_it_loaded_and_the_command_for_all(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _three_days(tmp_path)
    assert main(["run", "--source", str(path), "--days", "1", "--no-serve"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    days = re.search(
        r"loaded the newest 1 of the (\d+) announcement days in three days\.jsonl", out
    )
    assert days, out
    assert int(days.group(1)) > 1
    assert "(1 of 3 papers)" in out
    assert f"likewise run --source '{path}' --days 0" in out
    rate = re.search(r"that embeds 2 more papers: (.+?) at the ([\d.]+) papers/s measured", out)
    assert rate, out
    assert float(rate.group(2)) > 0


@pytest.mark.usefixtures("environment")
def test_a_run_of_the_whole_file_says_nothing_was_left_out(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _three_days(tmp_path)
    assert main(["run", "--source", str(path), "--days", "0", "--no-serve"]) == 0
    out = capsys.readouterr().out
    assert "papers stored: 3" in out
    assert "to load all" not in out


def test_durations_read_as_rough_lengths_of_time() -> None:
    assert duration(20) == "under a minute"
    assert duration(12 * 60) == "about 12 min"
    assert duration(73_732 / 5.2) == "about 3 h 55 min"
    assert duration(2 * 3600 + 58 * 60) == "about 3 h"
