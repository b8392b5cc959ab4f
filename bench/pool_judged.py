"""Builds the judged arXiv CS set of tests/data/arxiv_judged: the catalog slice, the corpus file
that `likewise eval --corpus` reads, the pooled runs, and the "judged 0 shown above 50%" count.

The slice is what `likewise run --source papers.jsonl.gz` loads on a first run: the file's
newest `initial_days` (3) announcement days, chosen by the product's own file source. The corpus
is rebuilt from the shared data, never stored in the repository (only the ids are).

    python bench/pool_judged.py slice            # writes slice-ids.txt (996 ids)
    python bench/pool_judged.py corpus           # ~/.cache/likewise/arxiv_judged/corpus.jsonl
    python bench/pool_judged.py pool             # runs bm25/dense/convex/rrf, writes runs/ and pool
    python bench/pool_judged.py pool --depth 50 --query a01 --query a33 --query a55
    python bench/pool_judged.py shown [--query all]  # judged-0 hits above 50%, today's default
    python bench/pool_judged.py similar          # similar-papers runs and pool (30 query papers)
    python bench/pool_judged.py similar-precision  # P@5 of each run against similar-qrels.trec
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from likewise.evaluate.collections import RetrievalCollection
    from likewise.library import Library

    Work = Callable[[Library, RetrievalCollection], None]

HERE = Path(__file__).resolve().parent.parent / "tests" / "data" / "arxiv_judged"
DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "arxiv-daily-cs"
SOURCE = DATA / "papers.jsonl.gz"
CACHE = Path.home() / ".cache" / "likewise" / "arxiv_judged"
SYSTEMS = {"bm25": "bm25", "dense": "dense", "convex": "convex", "rrf": "rrf"}
DEPTH = 20
ISSUE_QUERIES = ("a01", "a55", "a33")  # the three queries of issue 11
ISSUE_SIMILAR = "2606.29571"  # "Anisotropy Decides Cosine vs. Rank Metrics for Text Embeddings"
SIMILAR_DEPTH = 10


def read_queries(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row[0]: row[1] for row in csv.reader(handle, delimiter="\t") if row}


def write_slice(source: Path, days: int) -> int:
    """The ids the first run ingests, in the order the file source yields them."""
    from likewise.ingest.factory import open_file_source

    ids = [
        paper.arxiv_id
        for batch in open_file_source(source, recent_days=days).batches(None, 500)
        for paper in batch.papers
    ]
    (HERE / "slice-ids.txt").write_text("\n".join(ids) + "\n", encoding="utf-8")
    return len(ids)


def write_corpus(source: Path, target: Path) -> int:
    """corpus.jsonl (id, title, abstract) of the slice, read from the shared file."""
    wanted = (HERE / "slice-ids.txt").read_text(encoding="utf-8").split()
    records: dict[str, dict[str, str]] = {}
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record["id"] in wanted:
                records[record["id"]] = {
                    "doc_id": record["id"],
                    "title": record["title"],
                    "abstract": record["abstract"],
                }
    missing = [doc_id for doc_id in wanted if doc_id not in records]
    if missing:
        sys.exit(f"{source} lacks {len(missing)} slice ids, e.g. {missing[0]}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as out:
        for doc_id in wanted:
            out.write(json.dumps(records[doc_id], ensure_ascii=False) + "\n")
    return len(wanted)


def _collection(corpus: Path) -> RetrievalCollection:
    from likewise.evaluate.collections import Document, RetrievalCollection

    documents = []
    with corpus.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            documents.append(Document(record["doc_id"], record["title"], record["abstract"]))
    queries = read_queries(HERE / "queries.tsv")
    return RetrievalCollection("arxiv-judged", documents, queries, {})


def _with_library(corpus: Path, work: Work, **overrides: object) -> None:
    """Runs work(library, collection) in a throw-away catalog of the corpus (real embedder)."""
    from likewise.embed.factory import make_embedder
    from likewise.evaluate.runs import MemoisingEmbedder, document_vectors, throwaway_library
    from likewise.settings import load_settings

    settings = load_settings().with_overrides(**overrides)
    collection = _collection(corpus)
    embedder = MemoisingEmbedder(make_embedder(settings))
    vectors = document_vectors(collection.documents, embedder, None, CACHE)
    with throwaway_library(collection, settings, embedder, vectors) as library:
        work(library, collection)


def _merge_run(path: Path, replaced: set[str], lines: list[str]) -> None:
    """Writes a run file whose lines for `replaced` queries are `lines`, the others kept (a
    later batch of queries is pooled without touching the earlier runs)."""
    kept = []
    if path.exists():
        kept = [
            line
            for line in path.read_text(encoding="utf-8").splitlines()
            if line and line.split()[0] not in replaced
        ]
    path.write_text("\n".join(kept + lines) + "\n", encoding="utf-8")


def write_runs(corpus: Path, depth: int, only: list[str]) -> None:
    """Each system's top `depth` per query, and the pool (query, doc) to judge. At depth 20
    the runs are stored too: for every query (pool.tsv) or, with --query, for those queries
    only, the others' runs kept (pool-added.tsv: a later batch of queries); a deeper pool of a
    few queries (the issue's three) only writes pool-DEPTH.tsv, judged on top."""
    from likewise.evaluate.runs import doc_id_of

    runs_dir = HERE / "runs"
    runs_dir.mkdir(exist_ok=True)
    standard = depth == DEPTH

    def work(library: Library, collection: RetrievalCollection) -> None:
        pool: dict[str, list[str]] = {}
        queries = {q: t for q, t in collection.queries.items() if not only or q in only}
        for name, method in SYSTEMS.items():
            lines = []
            for query_id, text in queries.items():
                result = library.search.search(text, limit=depth, fusion=method, apply_cutoff=False)
                for rank, hit in enumerate(result.hits[:depth], start=1):
                    doc_id = doc_id_of(hit.arxiv_id)
                    lines.append(f"{query_id} Q0 {doc_id} {rank} {hit.score:.6f} {name}")
                    if doc_id not in pool.setdefault(query_id, []):
                        pool[query_id].append(doc_id)
            if standard:
                _merge_run(runs_dir / f"{name}.run", set(queries), lines)
        pool_file = CACHE / (
            f"pool-{depth}.tsv" if not standard else "pool-added.tsv" if only else "pool.tsv"
        )
        with pool_file.open("w", encoding="utf-8") as out:
            for query_id, docs in pool.items():
                for doc_id in docs:
                    out.write(f"{query_id}\t{doc_id}\n")
        sizes = [len(docs) for docs in pool.values()]
        print(f"pooled {sum(sizes)} pairs over {len(sizes)} queries (max {max(sizes)})")

    _with_library(corpus, work)


def pick_similar_queries(count: int, seed: int) -> list[str]:
    """The query papers of the similar-papers set: the issue's example paper, then a fixed
    random sample of the slice."""
    import random

    ids = (HERE / "slice-ids.txt").read_text(encoding="utf-8").split()
    rest = [doc_id for doc_id in ids if doc_id != ISSUE_SIMILAR]
    return [ISSUE_SIMILAR, *sorted(random.Random(seed).sample(rest, count - 1))]


def write_similar_runs(corpus: Path, papers: list[str]) -> None:
    """Top SIMILAR_DEPTH similar papers of each query paper from today's default (cosine),
    cosine with the hubness correction (dbnorm) and a BM25 search with the paper's title;
    runs under runs/similar-*.run and the pool (query paper, candidate) to judge."""
    from likewise.evaluate.runs import doc_id_of, paper_id

    runs: dict[str, dict[str, list[str]]] = {}

    def neighbours(name: str) -> Work:
        def work(library: Library, collection: RetrievalCollection) -> None:
            titles = {d.doc_id: d.title for d in collection.documents}
            run = runs.setdefault(name, {})
            for doc_id in papers:
                if name == "bm25-title":
                    hits = library.search.search(
                        titles[doc_id], limit=SIMILAR_DEPTH + 1, fusion="bm25", apply_cutoff=False
                    ).hits
                else:
                    hits = library.similar.similar(paper_id(doc_id), limit=SIMILAR_DEPTH)
                found = [doc_id_of(h.arxiv_id) for h in hits if doc_id_of(h.arxiv_id) != doc_id]
                run[doc_id] = found[:SIMILAR_DEPTH]

        return work

    _with_library(corpus, neighbours("cosine"), hubness_correction=False)
    _with_library(corpus, neighbours("dbnorm"), hubness_correction=True)
    _with_library(corpus, neighbours("bm25-title"))
    pool: dict[str, list[str]] = {}
    for name, run in runs.items():
        lines = [
            f"{q} Q0 {d} {rank} {SIMILAR_DEPTH + 1 - rank} {name}"
            for q, found in run.items()
            for rank, d in enumerate(found, start=1)
        ]
        (HERE / "runs" / f"similar-{name}.run").write_text("\n".join(lines) + "\n", "utf-8")
        for q, found in run.items():
            pool.setdefault(q, [])
            pool[q] += [d for d in found if d not in pool[q]]
    with (CACHE / "similar-pool.tsv").open("w", encoding="utf-8") as out:
        out.writelines(f"{q}\t{d}\n" for q, found in pool.items() for d in found)
    print(f"pooled {sum(map(len, pool.values()))} pairs over {len(pool)} query papers")


def similar_precision(qrels: Mapping[str, Mapping[str, int]], k: int) -> None:
    """precision@k (grade >= 1 and grade 2) of each stored similar-papers run."""
    for run_file in sorted((HERE / "runs").glob("similar-*.run")):
        found: dict[str, list[str]] = {}
        for line in run_file.read_text(encoding="utf-8").splitlines():
            query, _, doc_id, *_ = line.split()
            found.setdefault(query, []).append(doc_id)
        loose = [sum(qrels[q].get(d, 0) >= 1 for d in top[:k]) / k for q, top in found.items()]
        strict = [sum(qrels[q].get(d, 0) == 2 for d in top[:k]) / k for q, top in found.items()]
        print(
            f"{run_file.stem}: P@{k} (grade>=1) {sum(loose) / len(loose):.3f}, "
            f"(grade 2) {sum(strict) / len(strict):.3f} over {len(found)} query papers"
        )


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        query_id, _, doc_id, grade = line.split()
        qrels.setdefault(query_id, {})[doc_id] = int(grade)
    return qrels


def report_shown(
    corpus: Path, query_ids: list[str], qrels: Mapping[str, Mapping[str, int]]
) -> None:
    """Today's default search as a user sees it: hits over 50% and how many are judged 0."""
    from likewise.evaluate.runs import doc_id_of

    def work(library: Library, collection: RetrievalCollection) -> None:
        queries = collection.queries
        total_zero = total_shown = 0
        for query_id in query_ids:
            result = library.search.search(queries[query_id], limit=50)
            shown = [h for h in result.hits if h.score > 0.5]
            zero = [h for h in shown if qrels.get(query_id, {}).get(doc_id_of(h.arxiv_id)) == 0]
            unjudged = [h for h in shown if doc_id_of(h.arxiv_id) not in qrels.get(query_id, {})]
            total_zero += len(zero)
            total_shown += len(shown)
            print(
                f"{query_id} {queries[query_id]!r}: {len(shown)} hits above 50%, "
                f"{len(zero)} judged 0, {len(unjudged)} unjudged"
            )
            for hit in zero:
                print(f"  judged 0: {hit.arxiv_id} at {hit.score:.0%}  {hit.paper.title[:70]}")
        print(f"all: {total_shown} hits above 50%, {total_zero} judged 0")

    _with_library(corpus, work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "step", choices=("slice", "corpus", "pool", "shown", "similar", "similar-precision")
    )
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--days", type=int, default=3, help="the first run's initial_days")
    parser.add_argument("--corpus", type=Path, default=CACHE / "corpus.jsonl")
    parser.add_argument("--depth", type=int, default=DEPTH, help="pool depth per system")
    parser.add_argument(
        "--query", action="append", default=[], help="only these query ids (`shown`: 'all')"
    )
    arguments = parser.parse_args()
    if arguments.step == "slice":
        print(f"{write_slice(arguments.source, arguments.days)} ids")
    elif arguments.step == "corpus":
        print(f"{write_corpus(arguments.source, arguments.corpus)} papers -> {arguments.corpus}")
    elif arguments.step == "pool":
        write_runs(arguments.corpus, arguments.depth, arguments.query)
    elif arguments.step == "similar":
        write_similar_runs(arguments.corpus, pick_similar_queries(30, seed=4))
    elif arguments.step == "similar-precision":
        similar_precision(read_qrels(HERE / "similar-qrels.trec"), 5)
    else:
        qrels = read_qrels(HERE / "qrels.trec")
        if arguments.query == ["all"]:
            arguments.query = list(read_queries(HERE / "queries.tsv"))
        report_shown(arguments.corpus, arguments.query or list(ISSUE_QUERIES), qrels)


if __name__ == "__main__":
    main()
