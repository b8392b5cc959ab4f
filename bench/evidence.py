""" "Why it matched" on SciFact (rank/evidence.py): precision@1 of the chosen sentence against the
rationale sentences of the training claims, on the held-out claims, beside a first-sentence and
a random-sentence baseline; then the cost of embedding a search page's sentences at query time.

    nice -n 10 python bench/evidence.py        # fit w and the second-sentence ratio, print

A (claim, abstract) pair counts where the claim's `evidence` names rationale sentences of that
abstract; the split is the calibration's (evaluate/collections.py scifact_part: claim id % 5 < 2
held out). Only the cited abstracts' sentences are embedded (about 3,500 short texts), cached
in ~/.cache/likewise/evidence/.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from likewise.embed.base import Embedder
from likewise.embed.onnx_minilm import OnnxMiniLMEmbedder
from likewise.evaluate.collections import scifact_part
from likewise.index.tokens import shared_tokeniser
from likewise.rank.evidence import EvidenceWeights, QueryTerms, chosen_positions, sentence_scores
from likewise.rank.key_phrases import CatalogRarity

ROOT = Path(__file__).resolve().parent.parent
SCIFACT = ROOT.parent / "shared" / "data" / "scifact"
CACHE = Path.home() / ".cache" / "likewise" / "evidence"
WEIGHT_GRID = [round(0.05 * step, 2) for step in range(21)]
RATIO_GRID = [round(0.70 + 0.01 * step, 2) for step in range(31)] + [2.0]  # 2.0: never
PRECISION_GIVEN = 0.05  # shown-sentence precision a second sentence may cost, at most
PAGE_HITS = 10  # a search page's hits, for the query-time cost


@dataclass(slots=True)
class Pair:
    claim_id: int
    claim: str
    doc_id: str
    rationale: frozenset[int]
    part: str


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load() -> tuple[list[Pair], dict[str, list[str]], dict[str, str], CatalogRarity]:
    corpus: dict[str, list[str]] = {}
    titles: dict[str, str] = {}
    frequency: dict[str, int] = {}
    tokeniser = shared_tokeniser()
    for line in (SCIFACT / "corpus.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        corpus[str(row["doc_id"])] = [" ".join(s.split()) for s in row["abstract_sentences"]]
        titles[str(row["doc_id"])] = " ".join(row["title"].split())
        for stem in set(tokeniser.terms(row["title"] + " " + " ".join(corpus[str(row["doc_id"])]))):
            frequency[stem] = frequency.get(stem, 0) + 1
    pairs = []
    for line in (SCIFACT / "claims_train.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        for doc_id, found in sorted(row["evidence"].items()):
            rationale = frozenset(n for group in found["sentences"] for n in group)
            pairs.append(Pair(row["id"], row["claim"], doc_id, rationale, scifact_part(row["id"])))
    rarity = CatalogRarity(lambda stem: frequency.get(stem, 0), len(corpus))
    return pairs, corpus, titles, rarity


def cached_vectors(embedder: Embedder, texts: Sequence[str], name: str) -> npt.NDArray[np.float32]:
    digest = hashlib.sha256("\n".join([embedder.model_id, *texts]).encode()).hexdigest()[:16]
    path = CACHE / f"{name}-{digest}.npy"
    if path.exists():
        vectors: npt.NDArray[np.float32] = np.load(path)
        return vectors
    _say(f"embedding {len(texts)} {name} ...")
    vectors = embedder.embed_documents(list(texts))
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


Chooser = Callable[[Pair], list[int]]


def precision(pairs: Sequence[Pair], choose: Chooser) -> tuple[float, int, int]:
    """(precision@1 of the first chosen sentence, seconds shown, seconds that are rationale)."""
    hits = seconds = right = 0
    for pair in pairs:
        chosen = choose(pair)
        hits += bool(chosen) and chosen[0] in pair.rationale
        if len(chosen) > 1:
            seconds += 1
            right += chosen[1] in pair.rationale
    return hits / len(pairs), seconds, right


def set_f1(pairs: Sequence[Pair], choose: Chooser) -> float:
    """Mean over pairs of the F1 of the shown sentences against the rationale sentences."""
    total = 0.0
    for pair in pairs:
        shown = set(choose(pair))
        right = len(shown & pair.rationale)
        if right:
            total += 2 * right / (len(shown) + len(pair.rationale))
    return total / len(pairs)


def pooled_vectors(
    embedder: OnnxMiniLMEmbedder,
    titles: dict[str, str],
    corpus: dict[str, list[str]],
    ids: list[str],
) -> dict[str, npt.NDArray[np.float32]]:
    """Sentence vectors as likewise stores them (services/sentences.py): pooled from the one
    pass over "title. abstract", each sentence read in its abstract's context."""
    texts, spans = [], []
    for doc_id in ids:
        text, own = f"{titles[doc_id]}. ", []
        for sentence in corpus[doc_id]:
            own.append((len(text), len(text) + len(sentence)))
            text += sentence + " "
        texts.append(text.rstrip())
        spans.append(own)
    digest = hashlib.sha256("\n".join([embedder.model_id, *texts]).encode()).hexdigest()[:16]
    path = CACHE / f"pooled-{digest}.npz"
    if not path.exists():
        _say(f"embedding {len(texts)} abstracts, pooling {sum(map(len, spans))} sentences ...")
        _, pooled = embedder.embed_documents_with_sentences(texts, spans)
        CACHE.mkdir(parents=True, exist_ok=True)
        np.savez(path, *pooled)
    held = np.load(path)
    return {doc_id: held[f"arr_{n}"] for n, doc_id in enumerate(ids)}


def main() -> None:
    pairs, corpus, titles, rarity = load()
    embedder = OnnxMiniLMEmbedder(batch_size=64, threads=2, cache_dir=CACHE / "models")
    doc_ids = sorted({pair.doc_id for pair in pairs})
    texts = [sentence for doc_id in doc_ids for sentence in corpus[doc_id]]
    vectors = cached_vectors(embedder, texts, "sentences")
    alone: dict[str, npt.NDArray[np.float32]] = {}
    offset = 0
    for doc_id in doc_ids:
        alone[doc_id] = vectors[offset : offset + len(corpus[doc_id])]
        offset += len(corpus[doc_id])
    kinds = {"stored": pooled_vectors(embedder, titles, corpus, doc_ids), "alone": alone}
    claims = sorted({pair.claim for pair in pairs})
    claim_vectors = dict(zip(claims, cached_vectors(embedder, claims, "claims"), strict=True))
    terms = {claim: QueryTerms(claim, rarity) for claim in claims}

    def ranked(weights: EvidenceWeights, kind: str | None = "stored") -> Chooser:
        def choose(pair: Pair) -> list[int]:
            scores = sentence_scores(
                terms[pair.claim],
                corpus[pair.doc_id],
                weights,
                claim_vectors[pair.claim] if kind else None,
                kinds[kind][pair.doc_id] if kind else None,
            )
            # Best first here (chosen_positions returns reading order).
            chosen = chosen_positions(scores, weights.second_ratio)
            return sorted(chosen, key=lambda row: (-scores[row], row))

        return choose

    fit = [pair for pair in pairs if pair.part == "fit"]
    held = [pair for pair in pairs if pair.part == "heldout"]

    def best_weight(kind: str) -> float:
        """w by precision@1 on the fit pairs (it does not depend on the ratio), ties to the
        smaller weight."""
        return max(
            WEIGHT_GRID,
            key=lambda w: (precision(fit, ranked(EvidenceWeights(w, 2.0), kind))[0], -w),
        )

    def best_ratio(weight: float, kind: str | None) -> float:
        """The smallest ratio (most seconds shown) at which the shown sentences, seconds
        included, are rationale sentences at most PRECISION_GIVEN less often than the first
        choices alone, on the fit pairs: a second sentence must be close in evidence too."""
        for ratio in RATIO_GRID:
            first, seconds, right = precision(fit, ranked(EvidenceWeights(weight, ratio), kind))
            shown = (first * len(fit) + right) / (len(fit) + seconds)
            if shown >= first - PRECISION_GIVEN:
                return ratio
        return RATIO_GRID[-1]

    random_p1 = float(np.mean([len(p.rationale) / len(corpus[p.doc_id]) for p in held]))
    table: list[tuple[str, Chooser, EvidenceWeights | None]] = [
        ("first sentence", lambda p: [0], None),
        ("lexical only (IDF coverage)", ranked(EvidenceWeights(0.0, 2.0), None), None),
    ]
    lexical = EvidenceWeights(0.0, best_ratio(0.0, None))
    table.append(("lexical, with second sentences", ranked(lexical, None), lexical))
    for kind, label in (("alone", "each sentence embedded alone"), ("stored", "stored, pooled")):
        table.append((f"dense only ({label})", ranked(EvidenceWeights(1.0, 2.0), kind), None))
        weight = best_weight(kind)
        fused = EvidenceWeights(weight, best_ratio(weight, kind))
        table.append((f"fused, w = {weight:.2f} ({label})", ranked(fused, kind), fused))
    print(f"SciFact training claims, held-out part: {len(held)} (claim, abstract) pairs")
    print(f"(fit part: {len(fit)} pairs; w and the second-sentence ratio fit there)\n")
    print(
        "| sentence chosen by | precision@1 | vs random | second sentence shown "
        "| its precision | shown-set F1 |"
    )
    print("|---|---|---|---|---|---|")
    print(f"| random sentence (expected) | {random_p1:.3f} | 1.00x | - | - | - |")
    for name, choose, weights in table:
        value, seconds, right = precision(held, choose)
        second = third = "-"
        if weights is not None:
            second = f"{seconds / len(held):.0%} (ratio {weights.second_ratio:.2f})"
            third = f"{right / seconds:.3f}" if seconds else "-"
        f1 = set_f1(held, choose)
        print(
            f"| {name} | {value:.3f} | {value / random_p1:.2f}x | {second} | {third} | {f1:.3f} |"
        )
    page_cost(embedder, corpus, doc_ids)


def page_cost(embedder: Embedder, corpus: dict[str, list[str]], doc_ids: list[str]) -> None:
    """Embedding a page's hits' sentences at query time, against embedding the query (which
    every search does), in the same process: median of repeated runs."""
    pages = [doc_ids[start : start + PAGE_HITS] for start in range(0, 100, PAGE_HITS)]
    embedder.embed_documents(["warm up"])
    query_times, page_times, counts = [], [], []
    for page in pages:
        sentences = [sentence for doc_id in page for sentence in corpus[doc_id]]
        started = time.perf_counter()
        embedder.embed_query(corpus[page[0]][0])
        query_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        embedder.embed_documents(sentences)
        page_times.append(time.perf_counter() - started)
        counts.append(len(sentences))
    query, page_time = float(np.median(query_times)), float(np.median(page_times))
    print(
        f"\nquery-time sentence vectors for a {PAGE_HITS}-hit page ({np.median(counts):.0f} "
        f"sentences, median of {len(pages)} pages): {page_time * 1000:.0f} ms, "
        f"{page_time / query:.1f}x embedding the query ({query * 1000:.1f} ms)"
    )


if __name__ == "__main__":
    main()
