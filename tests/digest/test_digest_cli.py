"""`likewise subscribers ...` and `likewise digest ...` over a real catalog."""

from __future__ import annotations

import json
from typing import Any

import pytest

from likewise.cli.main import main


@pytest.fixture
def environment(catalog: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("LIKEWISE_HOME", str(catalog.settings.home))
    monkeypatch.setenv("LIKEWISE_DATABASE_URL", catalog.settings.database_url)
    monkeypatch.setenv("LIKEWISE_EMBEDDER", "fake")
    monkeypatch.delenv("LIKEWISE_SMTP_HOST", raising=False)
    return catalog


def test_operators_add_list_and_remove_subscribers(
    environment: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "subscribers",
                "add",
                "Op@Example.org",
                "--category",
                "cs.IR",
                "--author",
                "Grace Hopper",
                "--search",
                "dense retrieval",
                "--like",
                "2606.00001v2",
                "--weekly",
            ]
        )
        == 0
    )
    assert "subscribed op@example.org (weekly, 4 interests)" in capsys.readouterr().out
    assert main(["subscribers", "list", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["email"] == "op@example.org" and listed["confirmed"] is True
    assert {"kind": "like", "value": "2606.00001"} in listed["interests"]
    assert listed["cadence"] == "weekly"
    assert main(["subscribers", "remove", "op@example.org"]) == 0
    assert main(["subscribers", "list"]) == 0
    assert "no subscribers" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        main(["subscribers", "remove", "op@example.org"])
    assert exit_info.value.code == 1


def test_a_bad_address_or_id_is_a_clear_error(
    environment: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["subscribers", "add", "nope", "--category", "cs.IR"])
    assert exit_info.value.code == 2
    assert "is not a valid e-mail address" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["subscribers", "add", "a@example.org", "--like", "not-an-id"])
    assert "is not an arXiv id" in capsys.readouterr().err


def test_preview_dry_run_and_run(environment: Any, capsys: pytest.CaptureFixture[str]) -> None:
    main(["subscribers", "add", "p@example.org", "--search", "contrastive retrieval encoders"])
    capsys.readouterr()
    assert main(["digest", "preview", "p@example.org"]) == 0
    preview = capsys.readouterr().out
    assert "Contrastive pretraining of retrieval encoders" in preview
    assert "matches your search 'contrastive retrieval encoders'" in preview
    assert main(["digest", "run", "--dry-run"]) == 0
    assert "p@example.org: 2 papers in 1 themes" in capsys.readouterr().out
    assert (
        environment.digests.repository.outbox_counts()["pending"] == 0
    )  # a dry run stores nothing
    assert main(["digest", "run"]) == 0
    out = capsys.readouterr().out
    assert "composed 1 digest(s)" in out and "LIKEWISE_SMTP_HOST is not set" in out
    assert main(["digest", "outbox", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["pending"] == 1


def test_preview_json_gives_each_search_item_its_supporting_sentence(
    environment: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["subscribers", "add", "j@example.org", "--search", "contrastive retrieval encoders"])
    capsys.readouterr()
    assert main(["digest", "preview", "j@example.org", "--json"]) == 0
    preview = json.loads(capsys.readouterr().out)
    items = [item for theme in preview["themes"] for item in theme["items"]]
    assert items and all(item["evidence"] for item in items)
    first = next(item for item in items if item["arxiv_id"] == "2606.00003")
    (sentence,) = first["evidence"]
    assert sentence["text"].startswith("Contrastive pretraining makes retrieval encoders")
    assert sentence["start"] == 0 and sentence["end"] == len(sentence["text"])
