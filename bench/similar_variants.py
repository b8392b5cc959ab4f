"""Similar-paper variants on the judged arXiv similar-papers set (tests/data/arxiv_judged):
precision@5 and @10 on its fit and held-out query papers, as ratios against plain cosine.

    python bench/similar_variants.py [--corpus ~/.cache/likewise/arxiv_judged/corpus.jsonl]

Variants, fixed before the held-out figures were looked at (none has a parameter fit here):
- cosine: `Library.similar` as shipped (hubness correction off), the baseline;
- dbnorm: `Library.similar` with `hubness_correction` on (rank/hubness.py, b = 20/20);
- csls: cross-domain similarity local scaling (Conneau et al., "Word Translation Without
  Parallel Data", ICLR 2018) in one space: cos(q, y) - r_k(y) / 2 with r_k(y) the mean cosine
  of y to its k = 10 nearest catalog papers (r_k(q) is the same for every candidate);
- rrf-title: reciprocal rank fusion (k = 60) of the cosine list and a BM25 search with the
  query paper's title, both 50 deep.
The pool was judged for cosine, dbnorm and a BM25 title search only, so a candidate no pool
system returned is unjudged and counts as not relevant; the unjudged share of each top 5 is
printed. Held-out p-values: paired randomisation test against cosine over query papers.
Last, how often the shipped default's reasons name shared key phrases, by judged grade.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pool_judged  # the judged set's paths and its throw-away catalog

if TYPE_CHECKING:
    from likewise.evaluate.collections import RetrievalCollection
    from likewise.library import Library

Runs = dict[str, dict[str, list[str]]]  # variant -> query paper -> candidates, best first
Reasons = dict[tuple[str, str], str]  # (query paper, candidate) -> reason, as shipped
DEPTH = 10
CSLS_NEIGHBOURS = 10
FUSION_DEPTH = 50
RRF_K = 60


def _csls_run(library: Library, papers: list[str]) -> dict[str, list[str]]:
    from likewise.evaluate.runs import doc_id_of

    keys, matrix = library.store.load_vectors(library.embedding.get().model_id)
    names = library.store.arxiv_ids_for_keys([int(key) for key in keys])
    docs = [doc_id_of(names[int(key)]) for key in keys]
    row_of = {doc: row for row, doc in enumerate(docs)}
    similarities = matrix @ matrix.T
    np.fill_diagonal(similarities, -np.inf)
    nearest = -np.partition(-similarities, CSLS_NEIGHBOURS - 1, axis=1)[:, :CSLS_NEIGHBOURS]
    local = nearest.mean(axis=1)
    run = {}
    for paper in papers:
        scores = similarities[row_of[paper]] - local / 2
        order = np.argsort(-scores, kind="stable")[:DEPTH]
        run[paper] = [docs[row] for row in order.tolist()]
    return run


def _rrf_title_run(
    library: Library, collection: RetrievalCollection, papers: list[str]
) -> dict[str, list[str]]:
    from likewise.evaluate.runs import doc_id_of, paper_id

    titles = {document.doc_id: document.title for document in collection.documents}
    run = {}
    for paper in papers:
        dense = [doc_id_of(h.arxiv_id) for h in library.similar.similar(paper_id(paper), limit=50)]
        found = library.search.search(
            titles[paper], limit=FUSION_DEPTH + 1, fusion="bm25", apply_cutoff=False
        ).hits
        lexical = [doc_id_of(h.arxiv_id) for h in found if doc_id_of(h.arxiv_id) != paper]
        fused: dict[str, float] = {}
        for ranking in (dense, lexical[:FUSION_DEPTH]):
            for rank, doc in enumerate(ranking, start=1):
                fused[doc] = fused.get(doc, 0.0) + 1.0 / (RRF_K + rank)
        run[paper] = sorted(fused, key=lambda doc: (-fused[doc], doc))[:DEPTH]
    return run


def collect_runs(corpus: Path, papers: list[str], reasons: Reasons) -> Runs:
    from likewise.evaluate.runs import doc_id_of, paper_id

    runs: Runs = {}

    def similar(name: str) -> Callable[[Library, RetrievalCollection], None]:
        def work(library: Library, collection: RetrievalCollection) -> None:
            run = runs.setdefault(name, {})
            for paper in papers:
                hits = library.similar.similar(paper_id(paper), limit=DEPTH)
                run[paper] = [doc_id_of(hit.arxiv_id) for hit in hits]
                if name == "dbnorm":  # the shipped default
                    for hit in hits:
                        reasons[(paper, doc_id_of(hit.arxiv_id))] = hit.reason or ""
            if name == "cosine":
                runs["csls"] = _csls_run(library, papers)
                runs["rrf-title"] = _rrf_title_run(library, collection, papers)

        return work

    pool_judged._with_library(corpus, similar("cosine"), hubness_correction=False)
    pool_judged._with_library(corpus, similar("dbnorm"), hubness_correction=True)
    return {name: runs[name] for name in ("cosine", "dbnorm", "csls", "rrf-title")}


def precision(
    run: Mapping[str, list[str]], qrels: Mapping[str, Mapping[str, int]], papers: list[str], k: int
) -> np.ndarray:
    """Per query paper: share of the top k judged 1 or 2 (unjudged counts as 0)."""
    return np.array([sum(qrels[p].get(d, 0) >= 1 for d in run[p][:k]) / k for p in papers])


def report(runs: Runs, qrels: Mapping[str, Mapping[str, int]], parts: dict[str, list[str]]) -> None:
    from likewise.evaluate.significance import paired_randomization_test

    for part, papers in parts.items():
        print(f"\n{part} ({len(papers)} query papers)")
        print(f"{'variant':10} {'P@5':>6} {'vs cosine':>9} {'P@10':>6} {'unjudged@5':>10} {'p':>6}")
        baseline = precision(runs["cosine"], qrels, papers, 5)
        for name, run in runs.items():
            at5 = precision(run, qrels, papers, 5)
            at10 = precision(run, qrels, papers, 10)
            unjudged = np.mean([sum(d not in qrels[p] for d in run[p][:5]) / 5 for p in papers])
            ratio = at5.mean() / baseline.mean() if baseline.mean() else float("nan")
            p_value = paired_randomization_test(at5, baseline) if name != "cosine" else 1.0
            print(
                f"{name:10} {at5.mean():6.3f} {ratio:8.2f}x {at10.mean():6.3f} "
                f"{unjudged:10.3f} {p_value:6.3f}"
            )


def report_reasons(reasons: Reasons, qrels: Mapping[str, Mapping[str, int]]) -> None:
    """How often the shipped default's top 10 get a shared-phrase reason, by judged grade."""
    print("\nreasons of the default (dbnorm) top 10, all query papers")
    for grade in (0, 1, 2, None):
        picked = [
            reason for (paper, doc), reason in reasons.items() if qrels[paper].get(doc) == grade
        ]
        named = sum(reason.startswith("shared terms") for reason in picked)
        label = "unjudged" if grade is None else f"grade {grade}"
        share = named / len(picked) if picked else float("nan")
        print(f"{label:9} {len(picked):4} hits, {share:6.3f} name shared key phrases")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=pool_judged.CACHE / "corpus.jsonl")
    arguments = parser.parse_args()
    here = pool_judged.HERE
    parts = {
        name: (here / f"similar-queries-{name}.txt").read_text(encoding="utf-8").split()
        for name in ("fit", "heldout")
    }
    qrels = pool_judged.read_qrels(here / "similar-qrels.trec")
    reasons: Reasons = {}
    runs = collect_runs(arguments.corpus, parts["fit"] + parts["heldout"], reasons)
    report(runs, qrels, parts)
    report_reasons(reasons, qrels)


if __name__ == "__main__":
    main()
