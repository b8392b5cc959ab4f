"""`likewise recommend --user EMAIL`: the feed as a table or one JSON object, the empty state,
a collection's feed, and clear errors for an unknown address or bad --days."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from likewise.cli.main import main
from likewise.library import Library
from likewise.settings import load_settings
from recommend_helpers import build_catalog


@pytest.fixture
def catalog_home(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> dict[str, list[str]]:
    monkeypatch.setenv("LIKEWISE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LIKEWISE_EMBEDDER", "fake")
    monkeypatch.setenv("LIKEWISE_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    with Library.open(load_settings()) as library:
        ids = build_catalog(library)
        accounts = library.accounts.repository
        reader = accounts.create_user("reader", "not-a-real-hash", "reader@example.org")
        accounts.add_vote(reader.id, ids["old-retrieval"][0])
        saved = accounts.create_collection(reader.id, "Audio")
        accounts.add_to_collection(saved.id, ids["old-speech"][0])
        accounts.create_user("quiet", "not-a-real-hash", "quiet@example.org")
    return ids


def test_json_is_one_object_with_the_window_and_each_paper_with_its_reason(
    catalog_home: dict[str, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["recommend", "--user", "Reader@Example.org", "--days", "3", "--json"]) == 0
    feed = json.loads(capsys.readouterr().out)
    assert feed["user"] == "reader" and feed["days"] == 3 and feed["status"] == ""
    assert (feed["start"], feed["end"]) == ("2025-06-02", "2025-06-04")
    first = feed["recommendations"][0]
    assert first["id"] in catalog_home["new-retrieval"] + catalog_home["new-speech"]
    assert first["reason"].startswith("close to “") and first["nearest"]
    scores = [r["score"] for r in feed["recommendations"]]
    assert scores == sorted(scores, reverse=True)


def test_the_table_names_the_reader_the_window_and_why(
    catalog_home: dict[str, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["recommend", "--user", "reader@example.org", "--limit", "3"]) == 0
    out = capsys.readouterr().out
    assert "For reader: papers announced 2025-05-29 to 2025-06-04" in out
    assert "close to" in out and out.count("2506.") == 3


def test_a_collection_feed_is_papers_like_that_collection(
    catalog_home: dict[str, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["recommend", "--user", "reader@example.org", "--collection", "Audio", "--json"]
    assert main([*args, "--limit", "3"]) == 0
    feed = json.loads(capsys.readouterr().out)
    assert {r["id"] for r in feed["recommendations"]} == set(catalog_home["new-speech"])


def test_an_account_with_no_signal_gets_the_empty_state_and_exit_code_zero(
    catalog_home: dict[str, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["recommend", "--user", "quiet@example.org"]) == 0
    assert "does not know what you read yet" in capsys.readouterr().out
    assert main(["recommend", "--user", "quiet@example.org", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "no-signal"


def test_an_unknown_address_or_days_out_of_range_is_one_clear_error(
    catalog_home: dict[str, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as unknown:
        main(["recommend", "--user", "nobody@example.org"])
    assert unknown.value.code == 2
    assert "no account with the address 'nobody@example.org'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as too_many:
        main(["recommend", "--user", "reader@example.org", "--days", "400"])
    assert too_many.value.code == 2
    assert "days must be between 1 and 90" in capsys.readouterr().err
