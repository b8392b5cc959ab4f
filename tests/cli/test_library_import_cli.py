"""`likewise import-library` and `likewise claim-author` over a catalog of real arXiv papers:
reports, JSON, idempotence, format override, and clear one-line errors with nothing stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from library_fixtures import LIBRARY_DATA, load_catalog, write_zotero_sqlite
from likewise.cli.main import main
from likewise.library import Library
from likewise.settings import load_settings

EMAIL = "ada@example.org"


@pytest.fixture
def home(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("LIKEWISE_HOME", str(home))
    monkeypatch.setenv("LIKEWISE_EMBEDDER", "fake")
    monkeypatch.setenv("LIKEWISE_DATABASE_URL", database_url)
    with Library.open(load_settings()) as library:
        load_catalog(library, tmp_path)
        library.accounts.repository.create_user("ada", "x", EMAIL)
    return home


def _entries() -> int:
    with Library.open(load_settings()) as library:
        (user,) = library.accounts.repository.users_with_email(EMAIL)
        return len(library.library_import.entries_of(user.id))


def _refused(arguments: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(arguments)
    assert exit_info.value.code == 2
    return capsys.readouterr().err.strip()


def test_importing_a_bibtex_file_prints_what_was_matched_kept_and_skipped(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import-library", str(LIBRARY_DATA / "my-library.bib"), "--user", EMAIL]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == (
        "my-library.bib (bibtex): 8 entries; matched 3 by arXiv id, 1 by DOI, 1 by title; "
        "kept 2 unmatched with their abstract; skipped 1. Added 7 (0 already in the library)."
    )
    assert "skipped line 70: not in the catalog, and no abstract to embed" in out
    assert _entries() == 7


def test_the_json_report_lists_every_entry_and_a_second_import_adds_nothing(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    zotero = write_zotero_sqlite(tmp_path / "zotero.sqlite")
    assert main(["import-library", str(zotero), "--user", EMAIL, "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["source"] == "zotero" and first["added"] == 7
    assert [e["status"] for e in first["entries_detail"]].count("kept") == 2
    assert (
        main(["import-library", str(LIBRARY_DATA / "my-library.ris"), "--user", EMAIL, "--json"])
        == 0
    )
    second = json.loads(capsys.readouterr().out)
    assert (second["added"], second["already_present"]) == (0, 7)


def test_a_wrong_format_override_is_one_clear_line_and_stores_nothing(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = LIBRARY_DATA / "my-library.ris"
    error = _refused(["import-library", str(path), "--user", EMAIL, "--format", "csl-json"], capsys)
    assert error == (
        "likewise: error: my-library.ris: line 1, column 1: not valid JSON (Expecting value)"
    )
    assert _entries() == 0


def test_an_unknown_address_is_refused(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(LIBRARY_DATA / "my-library.bib")
    error = _refused(["import-library", path, "--user", "eve@example.org"], capsys)
    assert error == "likewise: error: no account has the address 'eve@example.org'"


def test_claiming_an_author_lists_then_stores_the_confirmed_papers(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["claim-author", "--user", EMAIL, "Yuqing Yan"]) == 0
    listing = capsys.readouterr().out
    assert "2 papers by Yuqing Yan" in listing and "2503.12061" in listing
    assert (
        main(["claim-author", "--user", EMAIL, "Yuqing Yan", "--confirm", "2503.12061", "--json"])
        == 0
    )
    stored = json.loads(capsys.readouterr().out)
    assert stored["source"] == "claimed" and stored["added"] == 1
    assert main(["claim-author", "--user", EMAIL, "yuqing yan", "--json"]) == 0
    papers = json.loads(capsys.readouterr().out)["papers"]
    assert {p["id"]: p["in_library"] for p in papers} == {"2503.12061": True, "2503.12063": False}


def test_confirming_a_paper_by_someone_else_is_refused(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["claim-author", "--user", EMAIL, "Yuqing Yan", "--confirm", "2503.11685"]
    error = _refused(arguments, capsys)
    assert error.endswith("not a paper by Yuqing Yan in this catalog: 2503.11685")
    assert _entries() == 0
