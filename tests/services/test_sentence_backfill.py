"""`VectorService.backfill_sentences`: papers embedded before sentences were stored get them,
with their vectors untouched, and a second run finds nothing to do."""

from __future__ import annotations

import numpy as np
from sqlalchemy import delete

from likewise.library import Library
from likewise.models import Paper
from likewise.store.sentence_tables import paper_sentences

ABSTRACT = "Graph models are widely studied. We propose a new graph network. It beats baselines."


def _papers(count: int) -> list[Paper]:
    return [
        Paper(
            arxiv_id=f"2501.{number:05d}",
            title=f"Paper {number}",
            abstract=f"{ABSTRACT} Variant {number}.",
            authors=["Ada Lovelace"],
            categories=["cs.LG"],
        )
        for number in range(1, count + 1)
    ]


def _forget_sentences(library: Library) -> None:
    with library.store.engine.begin() as connection:
        connection.execute(delete(paper_sentences))


def test_backfill_restores_deleted_sentences_and_a_second_run_does_nothing(
    library: Library,
) -> None:
    papers = _papers(3)
    ids = [paper.arxiv_id for paper in papers]
    library.store.upsert_papers(papers, source="test")
    assert library.vectors.update_vectors() == 3
    before = library.sentences.sentences_of(ids)
    vector_before = library.vectors.paper_vector(ids[0])
    _forget_sentences(library)
    assert library.sentences.sentences_of(ids) == {}
    assert library.sentences.missing() == ids
    assert library.vectors.backfill_sentences() == 3
    after = library.sentences.sentences_of(ids)
    assert sorted(after) == ids
    for arxiv_id in ids:
        assert after[arxiv_id].texts == before[arxiv_id].texts
        assert after[arxiv_id].labels == before[arxiv_id].labels
        assert np.allclose(after[arxiv_id].vectors, before[arxiv_id].vectors, atol=1e-2)
    assert library.sentences.missing() == []
    assert library.vectors.backfill_sentences() == 0
    assert library.vectors.update_vectors() == 0
    vector_after = library.vectors.paper_vector(ids[0])
    assert vector_before is not None and vector_after is not None
    assert np.array_equal(vector_before, vector_after)


def test_backfill_fills_only_the_papers_missing_sentences(library: Library) -> None:
    papers = _papers(2)
    library.store.upsert_papers(papers, source="test")
    library.vectors.update_vectors()
    with library.store.engine.begin() as connection:
        keys = library.store.paper_keys([papers[1].arxiv_id])
        connection.execute(
            delete(paper_sentences).where(paper_sentences.c.paper_key == keys[papers[1].arxiv_id])
        )
    assert library.sentences.missing() == [papers[1].arxiv_id]
    assert library.vectors.backfill_sentences() == 1
    assert library.sentences.missing() == []


def test_backfill_skips_papers_that_have_no_vector_yet(library: Library) -> None:
    library.store.upsert_papers(_papers(2), source="test")
    assert library.vectors.backfill_sentences() == 0
    assert library.sentences.sentences_of(["2501.00001"]) == {}
