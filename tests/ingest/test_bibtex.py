"""A user's BibTeX file: stable local ids, arXiv ids, matching, and bad entries."""

from __future__ import annotations

from pathlib import Path

from likewise.ingest.bibtex import BibtexSource, local_id


def _read(source: BibtexSource):  # type: ignore[no-untyped-def]
    (batch,) = list(source.batches(None, 100))
    return batch


def test_entries_become_papers_with_stable_local_ids(data_dir: Path) -> None:
    batch = _read(BibtexSource(data_dir / "library.bib"))
    again = _read(BibtexSource(data_dir / "library.bib"))
    ids = [paper.arxiv_id for paper in batch.papers]
    assert ids == [paper.arxiv_id for paper in again.papers]
    by_title = {paper.title: paper for paper in batch.papers}
    shannon = by_title["A Mathematical Theory of Communication"]
    assert shannon.arxiv_id.startswith("local:") and shannon.is_local
    assert shannon.doi == "10.1002/j.1538-7305.1948.tb01338.x"
    assert shannon.authors == ["Claude E. Shannon"]
    assert shannon.abstract == "The fundamental problem of communication."
    assert shannon.journal_ref == "Bell System Technical Journal, 1948"
    retrieval = by_title["Retrieval Heads for Long-Context Language Models"]
    assert retrieval.authors == ["Ada Lovelace", "Kurt Gödel"]
    assert "The Art of Computer Programming" in by_title


def test_entries_naming_an_arxiv_id_are_that_arxiv_paper(data_dir: Path) -> None:
    batch = _read(BibtexSource(data_dir / "library.bib"))
    by_id = {paper.arxiv_id: paper for paper in batch.papers}
    assert by_id["1706.03762"].title == "Attention Is All You Need"
    assert by_id["1706.03762"].categories == ["cs.CL"]
    assert by_id["1810.04805"].title.startswith("BERT: Pre-training")


def test_local_ids_depend_on_doi_or_title_and_first_author_only() -> None:
    assert local_id("A Title", ["Ann Lee"], None) == local_id("a  title.", ["Ann Lee"], None)
    assert local_id("A Title", ["Ann Lee"], None) != local_id("A Title", ["Bo Chen"], None)
    assert local_id("One", [], "10.1/X") == local_id("Other", [], "10.1/x")


def test_bad_entries_are_rejected_with_file_line_and_reason(data_dir: Path) -> None:
    path = data_dir / "library.bib"
    batch = _read(BibtexSource(path))
    problems = [(record.location, record.problem) for record in batch.rejected]
    lines = path.read_text().splitlines()
    resolved = path.resolve()

    def line_of(text: str) -> int:
        return next(number for number, line in enumerate(lines, start=1) if text in line)

    assert (f"{resolved}:{line_of('@book{notitle')}", "entry 'notitle' has no title") in problems
    duplicate = f"{resolved}:{line_of('A duplicate key') - 1}"
    assert any(
        where == duplicate and "duplicate entry key 'shannon1948'" in why for where, why in problems
    )
    broken = f"{resolved}:{line_of('@misc{broken')}"
    assert any(where == broken and why.startswith("not valid BibTeX") for where, why in problems)
    assert len(batch.rejected) == 3


def test_entries_matching_stored_papers_are_counted_not_stored_again(data_dir: Path) -> None:
    asked: list[tuple[str | None, str]] = []

    def find_match(doi: str | None, title: str) -> str | None:
        asked.append((doi, title))
        return "2403.01234" if title.startswith("Retrieval Heads") else None

    source = BibtexSource(
        data_dir / "library.bib",
        find_match=find_match,
        is_stored=lambda arxiv_id: arxiv_id == "1706.03762",
    )
    batch = _read(source)
    titles = {paper.title for paper in batch.papers}
    assert "Retrieval Heads for Long-Context Language Models" not in titles
    assert "1706.03762" not in {paper.arxiv_id for paper in batch.papers}
    assert batch.matched == 2
    assert ("10.1002/j.1538-7305.1948.tb01338.x", "A Mathematical Theory of Communication") in asked
