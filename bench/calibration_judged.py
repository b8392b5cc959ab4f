"""Calibration on every judged source, the judged arXiv set included (issue 11): retrieve each
source's fit and held-out queries once (cached), refit the Cosine Adapters on the fit parts only,
and print a 10-bin reliability table and the ECE of every held-out part.

    python bench/calibration_judged.py collect   # retrieve every source once -> retrieved.pkl
    python bench/calibration_judged.py report [--calibration FILE]   # reliability per held-out part
    python bench/calibration_judged.py fit OUT   # fit on the fit parts, write OUT, then report
    python bench/calibration_judged.py fit OUT --no-length-map   # the fit before the length map
    python bench/calibration_judged.py fit OUT --coverage   # the map with term coverage (not kept)
    python bench/calibration_judged.py fit OUT --only bm25   # refit one method, keep the others

Sources: SciFact (fit/held-out claims, shared vectors), CSFCube (shared vectors), the judged
arXiv set (queries-fit.tsv / queries-heldout.tsv over the 996-paper first-run slice; grade 1 and
2 relevant, judged 0 non-relevant, unjudged unlabelled) and the hand-written off-topic queries
over the same slice (every candidate non-relevant).
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JUDGED = ROOT / "tests" / "data" / "arxiv_judged"
DATA = ROOT.parent / "shared" / "data"
CACHE = Path.home() / ".cache" / "likewise" / "arxiv_judged"
VECTORS = DATA / "embeddings-all-minilm-l6-v2"
RETRIEVED = CACHE / "retrieved.pkl"
# Loss weight per query: the 96 judged arXiv fit queries are what researchers type, so they
# weigh as much as ~380 SciFact claims together (see docs/search.md).
WEIGHTS = {"scifact": 1.0, "csfcube": 4.0, "arxiv-judged": 4.0, "off-topic": 2.0}


def _early_batch(query_id: str) -> bool:
    return int(query_id[1:]) <= 128


def _third_batch(query_id: str) -> bool:
    return not _early_batch(query_id)


# The judged arXiv set's batches (tests/data/arxiv_judged/README.md), by query number.
BATCHES = (("batches 1-2 (a01-a128)", _early_batch), ("batch 3 (a129-a192)", _third_batch))


def _read_queries(path: Path) -> dict[str, str]:
    rows = (line.split("\t", 1) for line in path.read_text(encoding="utf-8").splitlines())
    return {row[0]: row[1].strip() for row in rows if len(row) == 2}


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def collect() -> None:
    from likewise.embed.factory import make_embedder
    from likewise.evaluate.collections import load_file_collection, load_scifact, read_trec_qrels
    from likewise.evaluate.cutoff import retrieve_all, retrieve_one
    from likewise.evaluate.cutoff_sources import (
        OFF_TOPIC_FIT,
        OFF_TOPIC_HELDOUT,
        csfcube_corpus,
        csfcube_queries,
        off_topic_queries,
    )
    from likewise.evaluate.runs import (
        MemoisingEmbedder,
        document_vectors,
        paper_id,
        throwaway_library,
    )
    from likewise.settings import load_settings

    settings = load_settings()
    embedder = MemoisingEmbedder(make_embedder(settings))
    parts: dict[str, tuple[list[object], list[object]]] = {}
    fit = load_scifact(DATA / "scifact", "fit")
    heldout = load_scifact(DATA / "scifact", "heldout")
    vectors = document_vectors(fit.documents, embedder, VECTORS / "scifact.f16.npy", CACHE)
    _say("scifact")
    with throwaway_library(fit, settings, embedder, vectors) as library:
        parts["scifact"] = (retrieve_all(library, fit), retrieve_all(library, heldout))
    corpus = csfcube_corpus(DATA / "csfcube")
    vectors = document_vectors(corpus.documents, embedder, VECTORS / "csfcube.f16.npy", CACHE)
    _say("csfcube")
    with throwaway_library(corpus, settings, embedder, vectors) as library:
        parts["csfcube"] = csfcube_queries(library, DATA / "csfcube")
    _say("arxiv-judged")
    grades_of = read_trec_qrels(JUDGED / "qrels.trec")
    slice_ = load_file_collection(
        CACHE / "corpus.jsonl", JUDGED / "queries.tsv", JUDGED / "qrels.trec"
    )
    vectors = document_vectors(slice_.documents, embedder, None, CACHE)
    with throwaway_library(slice_, settings, embedder, vectors) as library:
        judged = []
        for name in ("fit", "heldout"):
            found = []
            for query_id, text in _read_queries(JUDGED / f"queries-{name}.tsv").items():
                # Off-topic queries without any relevant paper stay: they test "no good matches".
                grades = grades_of.get(query_id, {})
                relevant = frozenset(paper_id(d) for d, g in grades.items() if g >= 1)
                non_relevant = frozenset(paper_id(d) for d, g in grades.items() if g == 0)
                item = retrieve_one(library, query_id, text, relevant, non_relevant)
                if item is not None:
                    found.append(item)
            judged.append(found)
        parts["arxiv-judged"] = (judged[0], judged[1])
        parts["off-topic"] = (
            off_topic_queries(library, OFF_TOPIC_FIT),
            off_topic_queries(library, OFF_TOPIC_HELDOUT),
        )
    RETRIEVED.parent.mkdir(parents=True, exist_ok=True)
    RETRIEVED.write_bytes(pickle.dumps(parts))
    _say(f"wrote {RETRIEVED}")


def _parts() -> dict[str, tuple[list[object], list[object]]]:
    if not RETRIEVED.is_file():
        raise SystemExit(f"{RETRIEVED} is missing: run `python {__file__} collect` first")
    parts: dict[str, tuple[list[object], list[object]]] = pickle.loads(RETRIEVED.read_bytes())
    return parts


def report(calibration_file: Path | None, methods: list[str]) -> None:
    from likewise.evaluate.cutoff_reliability import format_reliability, reliability_for
    from likewise.rank.cosine_adapter import BUNDLED_CALIBRATION, RelevanceCalibration

    calibration = RelevanceCalibration.load(calibration_file or BUNDLED_CALIBRATION)
    for name, (_, heldout) in _parts().items():
        groups = [(f"{name} held-out", heldout)]
        if name == "arxiv-judged":  # each batch alone too: a pooled ECE can hide both halves'
            groups += [
                (f"{name} held-out, {label}", [q for q in heldout if chosen(q.query_id)])  # type: ignore[attr-defined]
                for label, chosen in BATCHES
            ]
        for method in methods:
            for label, queries in groups:
                found = reliability_for(label, queries, calibration, method)  # type: ignore[arg-type]
                if found is not None:
                    print(format_reliability(found))


def fit(
    out: Path,
    methods: list[str],
    arxiv_weight: float | None = None,
    length_map: bool = True,
    coverage: bool = False,
    only: list[str] | None = None,
) -> None:
    from dataclasses import replace

    from likewise.evaluate.collections import load_scifact
    from likewise.evaluate.cutoff import JudgedSource, fit_from_sources, tune_convex_alpha
    from likewise.rank.cosine_adapter import BUNDLED_CALIBRATION, RelevanceCalibration

    parts = _parts()
    weights = dict(WEIGHTS)
    if arxiv_weight is not None:
        weights["arxiv-judged"] = arxiv_weight
    qrels = load_scifact(DATA / "scifact", "fit").qrels
    alpha, ndcg = tune_convex_alpha(parts["scifact"][0], qrels)  # type: ignore[arg-type]
    note = f"convex alpha {alpha} (nDCG@10 {ndcg:.4f} on scifact-fit)"
    sources = [
        JudgedSource(name, list(fit_part), list(heldout), weights[name])  # type: ignore[arg-type]
        for name, (fit_part, heldout) in parts.items()
    ]
    calibration, notes = fit_from_sources(
        sources,
        alpha,
        "all-MiniLM-L6-v2-qint8-onnx-256-mean",
        note,
        fitted_by="python bench/calibration_judged.py fit (after `collect`)",
        length_map=length_map,
        coverage=coverage,
    )
    if only:  # the bundled file with only these methods' adapters replaced by the refit
        bundled = RelevanceCalibration.load(BUNDLED_CALIBRATION)
        kept = {m: a for m, a in bundled.adapters.items() if m not in only}
        refit = {m: calibration.adapters[m] for m in only}
        named = [note for note in notes if note.split(":")[0] in only]
        provenance = f"{bundled.provenance}; then {', '.join(only)} refit alone: {'; '.join(named)}"
        calibration = replace(bundled, adapters={**kept, **refit}, provenance=provenance)
    calibration.save(out)
    print("\n".join(notes))
    report(out, methods)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("collect", "report", "fit"))
    parser.add_argument("out", nargs="?", type=Path)
    parser.add_argument("--calibration", type=Path)
    parser.add_argument("--method", action="append", default=[])
    parser.add_argument(
        "--arxiv-weight", type=float, help="fit: loss weight of each judged arXiv query (4)"
    )
    parser.add_argument(
        "--no-length-map",
        action="store_true",
        help="fit: leave out the per-query-length Platt map of the convex adapter",
    )
    parser.add_argument(
        "--coverage",
        action="store_true",
        help="fit: give the length map a term coverage weight per bucket (docs/search.md)",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=("bm25", "dense", "rrf", "convex"),
        help="fit: replace only this method's adapter in the bundled file (repeatable)",
    )
    arguments = parser.parse_args()
    methods = arguments.method or ["convex"]
    if arguments.step == "collect":
        collect()
    elif arguments.step == "report":
        report(arguments.calibration, methods)
    else:
        if arguments.out is None:
            parser.error("fit needs OUT")
        fit(
            arguments.out,
            methods,
            arguments.arxiv_weight,
            not arguments.no_length_map,
            arguments.coverage,
            arguments.only,
        )


if __name__ == "__main__":
    main()
