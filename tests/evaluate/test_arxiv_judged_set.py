"""The judged arXiv CS set in tests/data/arxiv_judged is complete and self-consistent: every
pooled paper is judged, ids belong to the slice, and the fit/held-out split is a partition."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from likewise.evaluate.collections import read_trec_qrels

DATA = Path(__file__).parents[1] / "data" / "arxiv_judged"


def _queries(name: str) -> dict[str, str]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return {row[0]: row[1] for row in csv.reader(handle, delimiter="\t") if row}


def _run(name: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in (DATA / "runs" / name).read_text(encoding="utf-8").splitlines():
        query, _, doc_id, rank, _score, _system = line.split()
        found.setdefault(query, []).append(doc_id)
        assert len(found[query]) == int(rank), f"{name}: ranks of {query} out of order"
    return found


def test_the_slice_is_the_first_runs_996_distinct_papers() -> None:
    ids = (DATA / "slice-ids.txt").read_text(encoding="utf-8").split()
    assert len(ids) == 996
    assert len(set(ids)) == len(ids)


def test_every_query_has_a_kind_and_at_least_sixty_were_written() -> None:
    queries = _queries("queries.tsv")
    kinds = dict(line.split() for line in (DATA / "query-kinds.tsv").read_text().splitlines())
    assert len(queries) >= 60
    assert set(kinds) == set(queries)
    assert set(kinds.values()) == {"topic", "question", "broad", "narrow", "offtopic"}
    for issue_query in (
        "contrastive learning for dense retrieval",
        "football match outcome prediction",
        "similarity",
    ):
        assert issue_query in queries.values()


def test_fit_and_heldout_partition_the_queries_half_of_each_kind() -> None:
    queries = _queries("queries.tsv")
    fit, heldout = _queries("queries-fit.tsv"), _queries("queries-heldout.tsv")
    assert not set(fit) & set(heldout)
    assert set(fit) | set(heldout) == set(queries)
    assert {q: queries[q] for q in fit} == fit
    kinds = dict(line.split() for line in (DATA / "query-kinds.tsv").read_text().splitlines())
    fit_kinds, heldout_kinds = Counter(kinds[q] for q in fit), Counter(kinds[q] for q in heldout)
    for kind in set(kinds.values()):
        assert abs(fit_kinds[kind] - heldout_kinds[kind]) <= 1


def test_every_paper_the_pool_systems_returned_is_judged_with_a_grade_of_0_1_or_2() -> None:
    qrels = read_trec_qrels(DATA / "qrels.trec")
    slice_ids = set((DATA / "slice-ids.txt").read_text(encoding="utf-8").split())
    assert set(qrels) == set(_queries("queries.tsv"))
    for judged in qrels.values():
        assert set(judged) <= slice_ids
        assert set(judged.values()) <= {0, 1, 2}
    for system in ("bm25", "dense", "convex", "rrf"):
        for query, found in _run(f"{system}.run").items():
            assert len(found) <= 20
            unjudged = [doc_id for doc_id in found if doc_id not in qrels[query]]
            assert not unjudged, f"{system} {query}: {unjudged[:3]} not judged"


def test_every_similar_paper_candidate_of_the_pool_is_judged() -> None:
    qrels = read_trec_qrels(DATA / "similar-qrels.trec")
    papers = (DATA / "similar-queries.txt").read_text(encoding="utf-8").split()
    slice_ids = set((DATA / "slice-ids.txt").read_text(encoding="utf-8").split())
    assert len(papers) == 30
    assert set(papers) <= slice_ids
    assert set(qrels) == set(papers)
    for system in ("cosine", "dbnorm", "bm25-title"):
        for paper, found in _run(f"similar-{system}.run").items():
            assert paper not in found
            assert set(found) <= set(qrels[paper])


def test_similar_fit_and_heldout_partition_the_query_papers_in_halves() -> None:
    papers = (DATA / "similar-queries.txt").read_text(encoding="utf-8").split()
    fit = (DATA / "similar-queries-fit.txt").read_text(encoding="utf-8").split()
    heldout = (DATA / "similar-queries-heldout.txt").read_text(encoding="utf-8").split()
    assert not set(fit) & set(heldout)
    assert sorted(fit + heldout) == sorted(papers)
    assert len(fit) == len(heldout) == 15
