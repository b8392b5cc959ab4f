"""Importing a user's library over a catalog of real arXiv papers: matching by arXiv id, DOI and
title, unmatched entries kept through their abstract, idempotence, all-or-nothing, claims."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from library_fixtures import (
    CATALOG_SHANNON,
    LIBRARY_DATA,
    MATCHED_BY_ID,
    MATCHED_BY_TITLE,
    load_catalog,
    write_zotero_sqlite,
)
from likewise.embed.fake import FakeEmbedder
from likewise.ingest.library_records import LibraryFileError
from likewise.services.errors import NotFoundError, SiteError

FILES = {
    "bibtex": "my-library.bib",
    "ris": "my-library.ris",
    "csl-json": "my-library.json",
}


@pytest.fixture
def catalog(library: Any, tmp_path: Path) -> Any:
    load_catalog(library, tmp_path)
    return library


@pytest.fixture
def ada(catalog: Any) -> int:
    return int(catalog.accounts.repository.create_user("ada", "x", "ada@example.org").id)


def _path(kind: str, tmp_path: Path) -> Path:
    if kind == "zotero":
        return write_zotero_sqlite(tmp_path / "zotero.sqlite")
    return LIBRARY_DATA / FILES[kind]


@pytest.mark.parametrize("kind", ["bibtex", "ris", "csl-json", "zotero"])
def test_entries_are_matched_by_arxiv_id_then_doi_then_title(
    kind: str, catalog: Any, ada: int, tmp_path: Path
) -> None:
    report = catalog.library_import.import_file(ada, _path(kind, tmp_path))
    assert report.source == kind
    assert report.summary() == {
        "entries": 8,
        "matched_by_arxiv_id": 3,
        "matched_by_doi": 1,
        "matched_by_title": 1,
        "kept_unmatched": 2,
        "skipped": 1,
        "added": 7,
        "already_present": 0,
    }
    by_how = {o.matched_by: o.arxiv_id for o in report.outcomes if o.status == "matched"}
    assert by_how["doi"] == CATALOG_SHANNON
    assert by_how["title"] == MATCHED_BY_TITLE
    matched_ids = {o.arxiv_id for o in report.outcomes if o.matched_by == "arxiv_id"}
    assert matched_ids == MATCHED_BY_ID
    (skipped,) = [o for o in report.outcomes if o.status == "skipped"]
    assert skipped.title.startswith("The Art of Computer Programming")
    assert skipped.reason == "not in the catalog, and no abstract to embed"


def test_unmatched_entries_keep_the_embedders_vector_of_their_title_and_abstract(
    catalog: Any, ada: int, fake_embedder: FakeEmbedder
) -> None:
    catalog.library_import.import_file(ada, LIBRARY_DATA / "my-library.bib")
    entries = catalog.library_import.entries_of(ada)
    kept = [entry for entry in entries if entry.vector is not None]
    assert {entry.title for entry in kept} == {
        "Attention is All you Need",
        "Deep Residual Learning for Image Recognition",
    }
    attention = next(entry for entry in kept if entry.arxiv_id == "1706.03762")
    expected = fake_embedder.embed_documents([f"{attention.title}. {attention.abstract}"])[0]
    assert attention.vector is not None
    np.testing.assert_allclose(attention.vector, expected, rtol=1e-6)
    assert attention.model_id == fake_embedder.model_id and attention.matched_by == ""
    matched = [entry for entry in entries if entry.matched_by]
    assert all(entry.vector is None and entry.arxiv_id for entry in matched)


def test_importing_the_same_library_again_in_any_format_adds_nothing_new(
    catalog: Any, ada: int, tmp_path: Path
) -> None:
    service = catalog.library_import
    service.import_file(ada, LIBRARY_DATA / "my-library.bib")
    for kind in ("bibtex", "ris", "csl-json", "zotero"):
        again = service.import_file(ada, _path(kind, tmp_path))
        assert again.added == 0 and again.already_present == 7, kind
    assert len(service.entries_of(ada)) == 7


def test_a_broken_file_stores_nothing_even_after_good_entries(catalog: Any, ada: int) -> None:
    text = (LIBRARY_DATA / "my-library.ris").read_text()
    broken = text + "TY  - JOUR\nTI  - Never closed\n"
    with pytest.raises(LibraryFileError, match="is not closed by an ER line"):
        catalog.library_import.import_bytes(ada, broken.encode(), "mine.ris")
    assert catalog.library_import.entries_of(ada) == []


def test_an_entry_repeated_in_one_file_is_kept_once(catalog: Any, ada: int) -> None:
    text = (LIBRARY_DATA / "my-library.json").read_text()
    doubled = text.rstrip().rstrip("]") + ', {"title": "CORDIC is all you need", '
    doubled += '"URL": "https://arxiv.org/abs/2503.11685v2"}]'
    report = catalog.library_import.import_bytes(ada, doubled.encode(), "x.json")
    assert report.outcomes[-1].status == "skipped"
    assert report.outcomes[-1].reason == "the same paper as item 1"
    assert report.added == 7


def test_removing_one_entry_or_all_of_them(catalog: Any, ada: int) -> None:
    service = catalog.library_import
    service.import_file(ada, LIBRARY_DATA / "my-library.bib")
    first = service.entries_of(ada)[0]
    service.remove(ada, first.id)
    assert first.id not in {entry.id for entry in service.entries_of(ada)}
    with pytest.raises(NotFoundError):
        service.remove(ada, first.id)
    assert service.remove_all(ada) == 6
    assert service.entries_of(ada) == []


def test_an_author_sees_their_catalog_papers_whatever_the_accents_and_case(
    catalog: Any, ada: int
) -> None:
    found = catalog.library_import.author_candidates(ada, "  shun   ZOU ")
    assert {paper.arxiv_id for paper in found.papers} == {"2503.11995", "2503.12014"}
    accented = catalog.library_import.author_candidates(ada, "Moreno D'Inca")
    assert [paper.arxiv_id for paper in accented.papers] == ["2503.11742"]
    assert catalog.library_import.author_candidates(ada, "Nobody Atall").papers == []


def test_confirmed_papers_are_stored_as_claimed_and_marked_as_held(catalog: Any, ada: int) -> None:
    service = catalog.library_import
    report = service.claim(ada, "Shun Zou", ["2503.12014"])
    assert report.source == "claimed" and report.added == 1
    (entry,) = service.entries_of(ada)
    assert (entry.arxiv_id, entry.source, entry.matched_by) == ("2503.12014", "claimed", "claimed")
    assert entry.title.startswith("Learning Dual-Domain Multi-Scale Representations")
    assert service.author_candidates(ada, "shun zou").in_library == {"2503.12014"}
    assert service.claim(ada, "Shun Zou", ["2503.12014", "2503.11995"]).added == 1


def test_a_claim_of_a_paper_the_author_did_not_write_stores_nothing(catalog: Any, ada: int) -> None:
    with pytest.raises(SiteError, match=r"not a paper by Shun Zou in this catalog: 2503\.11685"):
        catalog.library_import.claim(ada, "Shun Zou", ["2503.12014", "2503.11685"])
    assert catalog.library_import.entries_of(ada) == []
    with pytest.raises(SiteError, match="confirm at least one paper"):
        catalog.library_import.claim(ada, "Shun Zou", [])
