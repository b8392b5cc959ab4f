"""Sentence facet labelling on CSFCube: accuracy and macro-F1 on held-out papers.

CSFCube (Mysore et al., NeurIPS 2021 Datasets & Benchmarks) labels every abstract sentence
background / objective / method / result / other, the same label set as ours (mapping: the
identity). Papers are split, not sentences: the 50 query papers are never trained on (they
are the faceted evaluation's queries) and are reported on their own; of the others, a fixed
70% trains and 30% is held out. Two kinds of sentence vectors are compared: "span", the mean
of each sentence's token outputs in the one pass over title + ". " + abstract, and "alone",
each sentence embedded as its own text. Labellers: majority class, position only, the
similarity labeller (rank/sentence_labels.py) and the classifier (rank/sentence_classifier.py).
Each classifier is fitted without and with `--cues` hashed cue columns of the sentence texts.
`--save` refits the classifier (span vectors, with cues) on every non-query paper and writes
the shipped weights.

    nice -n 10 python bench/sentence_facets.py [--papers 1800] [--cues 2048] [--save]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from likewise.embed.onnx_minilm import OnnxMiniLMEmbedder
from likewise.evaluate.runs import embed_texts_cached
from likewise.ingest.sentences import split_sentences
from likewise.rank.sentence_classifier import (
    BUNDLED_CLASSIFIER,
    CUE_SIZE,
    SentenceClassifier,
    position_features,
    sentence_features,
)
from likewise.rank.sentence_classifier_fit import fit_classifier
from likewise.rank.sentence_labels import (
    FACET_LABELS,
    description_texts,
    label_by_similarity,
    label_vectors,
)

CSFCUBE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "csfcube"
EVAL_CACHE = Path.home() / ".cache" / "likewise" / "eval"
CACHE = Path.home() / ".cache" / "likewise-bench"
L2_GRID = (1e-4, 3e-4, 1e-3)


@dataclass(frozen=True, slots=True)
class Paper:
    paper_id: str
    title: str
    sentences: tuple[str, ...]
    labels: tuple[str, ...]
    first_row: int  # of its first sentence in the corpus-wide sentence list

    def text_and_spans(self) -> tuple[str, list[tuple[int, int]]]:
        """title + ". " + abstract, and each sentence's span in it."""
        prefix = f"{self.title}. "
        text = prefix + " ".join(self.sentences)
        spans, position = [], len(prefix)
        for sentence in self.sentences:
            start = text.index(sentence, position)
            spans.append((start, start + len(sentence)))
            position = start + len(sentence)
        return text, spans


def load_papers() -> tuple[list[Paper], list[str], set[str]]:
    papers, sentences, row = [], [], 0
    with (CSFCUBE / "corpus.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            own = tuple(record["abstract_sentences"])
            papers.append(
                Paper(
                    str(record["paper_id"]),
                    record["title"],
                    own,
                    tuple(record["sentence_facets"]),
                    row,
                )
            )
            sentences += own
            row += len(own)
    with (CSFCUBE / "queries-release.csv").open(encoding="utf-8") as handle:
        queries = {entry["pid"] for entry in csv.DictReader(handle)}
    return papers, sentences, queries


def span_vectors(
    embedder: OnnxMiniLMEmbedder, papers: list[Paper]
) -> tuple[list[npt.NDArray[np.float32]], float]:
    """Per paper, its span-pooled sentence vectors (cached), and the seconds they took."""
    digest = hashlib.sha256(embedder.model_id.encode())
    for paper in papers:
        digest.update(paper.paper_id.encode() + b"\0")
    path = CACHE / f"csfcube-span-{digest.hexdigest()[:20]}.npz"
    if path.is_file():
        held = np.load(path)
        return [held[f"p{row}"] for row in range(len(papers))], float(held["seconds"])
    texts, spans = zip(*(paper.text_and_spans() for paper in papers), strict=True)
    started = time.perf_counter()
    _, vectors = embedder.embed_documents_with_sentences(list(texts), list(spans))
    seconds = time.perf_counter() - started
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, seconds=seconds, **{f"p{row}": v for row, v in enumerate(vectors)})
    return vectors, seconds


def scores(gold: list[str], predicted: list[str]) -> tuple[float, float]:
    """Accuracy and macro-F1 over the labels present in gold or predicted."""
    accuracy = float(np.mean([g == p for g, p in zip(gold, predicted, strict=True)]))
    f1s = []
    for label in sorted(set(gold) | set(predicted)):
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(p == label != g for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label != p for g, p in zip(gold, predicted, strict=True))
        f1s.append(2 * tp / max(2 * tp + fp + fn, 1))
    return accuracy, float(np.mean(f1s))


def fit(
    papers: list[Paper],
    vectors: dict[str, npt.NDArray[np.float32]],
    l2: float,
    model_id: str,
    cue_size: int,
) -> SentenceClassifier:
    return fit_classifier(
        np.concatenate(
            [sentence_features(vectors[p.paper_id], p.sentences, cue_size) for p in papers]
        ),
        [label for paper in papers for label in paper.labels],
        FACET_LABELS,
        model_id,
        l2=l2,
        cue_size=cue_size,
    )


def choose_l2(
    train: list[Paper], vectors: dict[str, npt.NDArray[np.float32]], cue_size: int
) -> float:
    """The L2 weight with the best macro-F1 on the last fifth of the training papers, fitted
    on the rest (the held-out papers play no part)."""
    inner = int(0.8 * len(train))
    best: tuple[float, float] | None = None
    for l2 in L2_GRID:
        classifier = fit(train[:inner], vectors, l2, "choice", cue_size)
        gold = [label for paper in train[inner:] for label in paper.labels]
        predicted = [
            label
            for paper in train[inner:]
            for label in classifier.predict(vectors[paper.paper_id], paper.sentences)
        ]
        macro_f1 = scores(gold, predicted)[1]
        if best is None or macro_f1 > best[0]:
            best = (macro_f1, l2)
    assert best is not None
    return best[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=1800)
    parser.add_argument("--save", action="store_true", help="write the shipped classifier")
    parser.add_argument("--cues", type=int, default=CUE_SIZE, help="hashed cue columns")
    arguments = parser.parse_args()
    papers, all_sentences, queries = load_papers()
    agree = sum(
        [text[a:b] for a, b in split_sentences(text)] == list(paper.sentences)
        for paper in papers
        for text in [" ".join(paper.sentences)]
    )
    print(f"splitter agrees with CSFCube's sentences on {agree}/{len(papers)} abstracts")
    rng = random.Random(7)
    others = [paper for paper in papers if paper.paper_id not in queries]
    rng.shuffle(others)
    others = others[: max(arguments.papers - len(queries), 0)]
    train = others[: int(0.7 * len(others))]
    held = others[len(train) :]
    query_papers = [paper for paper in papers if paper.paper_id in queries]
    chosen = train + held + query_papers
    embedder = OnnxMiniLMEmbedder()
    alone_matrix = embed_texts_cached(all_sentences, embedder, EVAL_CACHE, "csfcube-sentences")
    span, seconds = span_vectors(embedder, chosen)
    kinds = {
        "span": {paper.paper_id: span[row] for row, paper in enumerate(chosen)},
        "alone": {
            paper.paper_id: alone_matrix[paper.first_row : paper.first_row + len(paper.sentences)]
            for paper in chosen
        },
    }
    print(
        f"{len(train)} train / {len(held)} held-out / {len(query_papers)} query papers; "
        f"span vectors of {len(chosen)} papers in {seconds:.0f} s"
    )
    pairs = description_texts()
    descriptions = label_vectors(pairs, embedder.embed_documents([text for _, text in pairs]))
    print(f"{'labeller':40} {'held-out acc':>12} {'macro-F1':>9} {'query acc':>10} {'macro-F1':>9}")

    def report(name: str, predict: dict[str, list[str]]) -> None:
        figures = []
        for group in (held, query_papers):
            gold = [label for paper in group for label in paper.labels]
            figures += scores(gold, [label for paper in group for label in predict[paper.paper_id]])
        print(
            f"{name:40} {figures[0]:12.3f} {figures[1]:9.3f} {figures[2]:10.3f} {figures[3]:9.3f}"
        )

    counts: dict[str, int] = {}
    for paper in train:
        for label in paper.labels:
            counts[label] = counts.get(label, 0) + 1
    majority = max(counts, key=lambda label: counts[label])
    report("majority class", {p.paper_id: [majority] * len(p.sentences) for p in chosen})
    train_labels = [label for paper in train for label in paper.labels]
    positions = fit_classifier(
        np.concatenate([position_features(len(p.sentences)) for p in train]),
        train_labels,
        FACET_LABELS,
        "position",
    )
    report(
        "classifier, position only",
        {
            p.paper_id: [
                FACET_LABELS[int(i)]
                for i in np.argmax(
                    position_features(len(p.sentences)) @ positions.weights + positions.bias,
                    axis=1,
                )
            ]
            for p in chosen
        },
    )
    chosen_l2 = {}
    texts = {paper.paper_id: paper.sentences for paper in chosen}
    for kind, vectors in kinds.items():
        report(
            f"similarity ({kind} vectors)",
            {pid: label_by_similarity(v, descriptions) for pid, v in vectors.items()},
        )
        for cue_size in (0, arguments.cues):
            l2 = chosen_l2[kind, cue_size] = choose_l2(train, vectors, cue_size)
            classifier = fit(train, vectors, l2, embedder.model_id, cue_size)
            cues = f", {cue_size} cues" if cue_size else ""
            report(
                f"classifier ({kind}{cues}, l2 {l2:g})",
                {pid: classifier.predict(v, texts[pid]) for pid, v in vectors.items()},
            )
    if arguments.save:
        fit_on = train + held
        l2 = chosen_l2["span", arguments.cues]
        final = fit(fit_on, kinds["span"], l2, embedder.model_id, arguments.cues)
        BUNDLED_CLASSIFIER.write_text(json.dumps(final.to_json()) + "\n", encoding="utf-8")
        print(f"wrote {BUNDLED_CLASSIFIER} (span, {arguments.cues} cues, {len(fit_on)} papers)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
