"""CSFCube (dev half, 24 query-facet pairs): NDCG@20 (ranx, linear gain) of every similarity
config, printed as a ratio against plain cosine measured in the same run; the shipped SPECTER
pools are scored by the same code as a sanity check (SOURCE.md: 0.537).

Whole-paper vectors: ../shared/data/embeddings-all-minilm-l6-v2/csfcube.f16.npy. Sentence
vectors: every abstract sentence embedded with the int8 ONNX MiniLM, cached at
~/.cache/likewise/csfcube-sentences.int8.npy (+ .offsets.npy).

    nice -n 19 /tmp/venv/bin/python bench/csfcube.py [--threads 1]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from likewise.rank.facets import FACET_WEIGHT, facet_sentence_scores
from likewise.rank.hubness import DualBankNormaliser
from likewise.rank.similar import SIMILAR_CONFIGS, PaperRepresentation, score_candidates

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CSFCUBE = SHARED / "csfcube"
CACHE_DIR = Path.home() / ".cache" / "likewise"
SENTENCES_PATH = CACHE_DIR / "csfcube-sentences.int8.npy"
OFFSETS_PATH = CACHE_DIR / "csfcube-sentences.int8.offsets.npy"
FACETS = ("background", "method", "result")


def load_corpus() -> list[dict[str, Any]]:
    with (CSFCUBE / "corpus.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def sentence_vectors(corpus: list[dict[str, Any]], threads: int) -> list[npt.NDArray[np.float32]]:
    """Per paper, its abstract sentences' vectors (embedded once, then read from the cache)."""
    if not (SENTENCES_PATH.is_file() and OFFSETS_PATH.is_file()):
        from likewise.embed.onnx_minilm import OnnxMiniLMEmbedder

        texts = [sentence for paper in corpus for sentence in paper["abstract_sentences"]]
        lengths = [len(paper["abstract_sentences"]) for paper in corpus]
        embedder = OnnxMiniLMEmbedder(threads=threads, batch_size=64)
        matrix = embedder.embed_documents(texts)
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        np.save(SENTENCES_PATH, matrix)
        np.save(OFFSETS_PATH, np.cumsum([0, *lengths]))
    matrix = np.load(SENTENCES_PATH)
    offsets = np.load(OFFSETS_PATH)
    if len(offsets) != len(corpus) + 1:
        raise SystemExit(f"{OFFSETS_PATH} does not match the corpus; delete it and rerun")
    return [matrix[offsets[row] : offsets[row + 1]] for row in range(len(corpus))]


def load_qrels() -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    for facet in FACETS:
        for line in (CSFCUBE / f"qrels-{facet}.trec").read_text(encoding="utf-8").splitlines():
            query, _, document, relevance = line.split()
            qrels.setdefault(query, {})[document] = int(relevance)
    return qrels


def pools() -> dict[str, tuple[str, str, list[str]]]:
    """query id "<paper>_<facet>" -> (paper id, facet, candidate ids), dev half only."""
    dev = set(json.loads((CSFCUBE / "evaluation_splits.json").read_text())["all"]["dev"])
    result = {}
    for facet in FACETS:
        annotations = json.loads((CSFCUBE / f"test-pid2anns-csfcube-{facet}.json").read_text())
        for paper, item in annotations.items():
            query = f"{paper}_{facet}"
            if query in dev:
                result[query] = (paper, facet, list(item["cands"]))
    return result


def ndcg_at_20(qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]]) -> float:
    from ranx import Qrels, Run, evaluate

    return float(evaluate(Qrels(qrels), Run(run), "ndcg@20"))


def by_facet(
    qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]]
) -> dict[str, float]:
    figures = {}
    for facet in FACETS:
        chosen = [query for query in run if query.endswith(f"_{facet}")]
        figures[facet] = ndcg_at_20(
            {query: qrels[query] for query in chosen}, {query: run[query] for query in chosen}
        )
    return figures


def specter_run() -> dict[str, dict[str, float]]:
    run: dict[str, dict[str, float]] = {}
    for facet in FACETS:
        name = f"test-pid2pool-csfcube-specter-{facet}-ranked.json"
        ranked_pools = json.loads((CSFCUBE / "specter-ranked-pools" / name).read_text())
        for paper, ranked in ranked_pools.items():
            # Ascending distance: the negated distance is a similarity.
            run[f"{paper}_{facet}"] = {candidate: -float(gap) for candidate, gap in ranked}
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--betas",
        type=float,
        nargs=2,
        metavar=("QUERY_BANK", "GALLERY_BANK"),
        help="DBNorm inverse temperatures (default: DualBankNormaliser's)",
    )
    arguments = parser.parse_args()

    corpus = load_corpus()
    ids = (SHARED / "embeddings-all-minilm-l6-v2" / "csfcube.ids.txt").read_text().split()
    whole = np.load(SHARED / "embeddings-all-minilm-l6-v2" / "csfcube.f16.npy").astype(np.float32)
    row_of = {paper_id: row for row, paper_id in enumerate(ids)}
    sentences = sentence_vectors(corpus, arguments.threads)
    papers = {
        paper["paper_id"]: PaperRepresentation(
            vector=whole[row_of[paper["paper_id"]]],
            sentence_vectors=sentences[index],
            sentence_facets=paper["sentence_facets"],
        )
        for index, paper in enumerate(corpus)
    }
    qrels = load_qrels()
    query_pools = pools()
    qrels = {query: qrels[query] for query in query_pools}
    normaliser = DualBankNormaliser(*arguments.betas) if arguments.betas else DualBankNormaliser()

    runs: dict[str, dict[str, dict[str, float]]] = {}
    for config in SIMILAR_CONFIGS:
        run: dict[str, dict[str, float]] = {}
        for query, (paper, facet, candidates) in query_pools.items():
            scores = score_candidates(
                papers[paper],
                [papers[candidate] for candidate in candidates],
                facet=facet,
                config=config,
                bank=whole,
                normaliser=normaliser,
            )
            pairs = zip(candidates, scores, strict=True)
            run[query] = {candidate: float(score) for candidate, score in pairs}
        runs[config] = run
    runs["facet, maxsim matching"] = maxsim_run(papers, query_pools)
    specter = specter_run()
    runs["specter (shipped pools)"] = {query: specter[query] for query in query_pools}

    baseline = ndcg_at_20(qrels, runs["cosine"])
    print(f"CSFCube dev half: {len(query_pools)} query-facet pairs, NDCG@20 (ranx, linear gain)")
    print(
        f"{'config':<26}{'all':>8}{'vs cosine':>11}"
        + "".join(f"{f:>12}" for f in FACETS)
        + f"{'p (paired t)':>14}"
    )
    for name, run in runs.items():
        overall = ndcg_at_20(qrels, run)
        facets = by_facet(qrels, run)
        p_value = paired_p_value(qrels, runs["cosine"], run) if name != "cosine" else float("nan")
        print(
            f"{name:<26}{overall:>8.3f}{overall / baseline:>10.3f}x"
            + "".join(f"{facets[facet]:>12.3f}" for facet in FACETS)
            + f"{p_value:>14.3f}"
        )
    return 0


def maxsim_run(
    papers: dict[str, PaperRepresentation], query_pools: dict[str, tuple[str, str, list[str]]]
) -> dict[str, dict[str, float]]:
    """The "facet" blend with ColBERT-style maxsim instead of the single best sentence pair."""
    run: dict[str, dict[str, float]] = {}
    for query, (paper, facet, candidates) in query_pools.items():
        source = papers[paper]
        assert source.sentence_vectors is not None and source.sentence_facets is not None
        chosen = [papers[candidate] for candidate in candidates]
        cosine = np.array([candidate.vector @ source.vector for candidate in chosen])
        matched = facet_sentence_scores(
            source.sentence_vectors,
            source.sentence_facets,
            [candidate.sentence_vectors for candidate in chosen],  # type: ignore[misc]
            facet=facet,
            mode="maxsim",
        )
        blended = (1 - FACET_WEIGHT) * cosine + FACET_WEIGHT * matched
        run[query] = {c: float(x) for c, x in zip(candidates, blended, strict=True)}
    return run


def paired_p_value(
    qrels: dict[str, dict[str, int]],
    baseline: dict[str, dict[str, float]],
    run: dict[str, dict[str, float]],
) -> float:
    """Two-sided paired t-test of per-query NDCG@20 against the baseline run."""
    from ranx import Qrels, Run, evaluate
    from scipy.stats import ttest_rel

    queries = sorted(qrels)
    ordered = {query: qrels[query] for query in queries}
    before = evaluate(
        Qrels(ordered), Run({q: baseline[q] for q in queries}), "ndcg@20", return_mean=False
    )
    after = evaluate(
        Qrels(ordered), Run({q: run[q] for q in queries}), "ndcg@20", return_mean=False
    )
    return float(ttest_rel(after, before).pvalue)


if __name__ == "__main__":
    raise SystemExit(main())
