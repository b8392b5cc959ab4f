"""Similar by facet on CSFCube's dev half with predicted labels: the product path's blend plus a
lexical facet component or facet-weighted paper vectors, chosen on the fit half, reported on
the check half and all 24 in one run (NDCG@20, ranx, linear gain).

Families (every configuration is printed; "chosen on fit" marks the best fit row of each):
- lexical: score = (1 - w - v) * cosine + w * facet max-sim + v * lexical, each component
  normalised per query over its pool (min-max or z), the lexical part one of: TF-IDF cosine
  (sublinear tf, idf log(N / df) over CSFCube's 4,205 papers, as CatalogRarity weighs words)
  of the query's facet sentences joined against the candidate's title + abstract ("tfidf"), or
  against each candidate sentence, best one ("tfidf-sent"); or Okapi BM25 (Robertson and
  Zaragoza 2009, k1 1.2, b 0.75) of the facet sentences' terms over title + abstract ("bm25");
- facet vectors: score = (1 - w) * cosine + w * cos(q_f, c_f), where p_f is a paper's
  mean of its span-pooled sentence vectors weighted by the classifier's probability of facet f
  (both sides);
- stage 2, added after reading the first table: whole-abstract TF-IDF (no facet filter, a
  control), facet-weighted candidate TF-IDF, probability-weighted query TF-IDF, and facet
  vectors with TF-IDF;
- per facet: the lexical family's (form, norm, w, v) chosen per facet on that facet's fit
  queries.

    nice -n 10 python bench/csfcube_facet_mix.py
"""

from __future__ import annotations

import itertools
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent))
from csfcube_facets import CSFCUBE, FACETS, Run, Vectors, dev_split, ndcg, one_pass
from likewise.embed.onnx_minilm import OnnxMiniLMEmbedder
from likewise.evaluate.collections import QueryByExampleCollection, load_csfcube
from likewise.evaluate.significance import paired_randomization_test
from likewise.index.tokens import shared_tokeniser, term_counts
from likewise.rank.facet_similar import facet_query, score_by_facet
from likewise.rank.facets import FACET_LABELS
from likewise.rank.sentence_classifier import SentenceClassifier, load_classifier

Array = npt.NDArray[np.float64]
Sparse = dict[str, float]
LEXICAL_FORMS = ("tfidf", "tfidf-sent", "bm25")
NORMS = ("minmax", "z")
DENSE_WEIGHTS = (0.0, 0.3)
LEXICAL_WEIGHTS = (0.1, 0.2, 0.3)
VECTOR_WEIGHTS = (0.3, 0.5, 0.7)
STAGE_FORMS = ("tfidf-all", "tfidf-facet", "tfidf-soft")


def per_query(qrels: dict[str, dict[str, int]], run: Run, queries: list[str]) -> list[float]:
    """NDCG@20 of each query, in the order given."""
    from ranx import Qrels, evaluate
    from ranx import Run as RanxRun

    chosen = {query: qrels[query] for query in queries}
    ranked = RanxRun({q: run[q] for q in queries})
    evaluate(Qrels(chosen), ranked, "ndcg@20")
    scores = ranked.scores["ndcg@20"]
    return [float(scores[q]) for q in queries]


def normalised(values: Array, norm: str) -> Array:
    """Per-query normalisation of one component over the pool."""
    if norm == "minmax":
        spread = values.max() - values.min()
        return (values - values.min()) / spread if spread > 0 else np.zeros_like(values)
    deviation = values.std()
    return (values - values.mean()) / deviation if deviation > 0 else np.zeros_like(values)


class Lexical:
    """TF-IDF and BM25 of stemmed terms (index/tokens.py) with CSFCube's document frequencies."""

    def __init__(self, corpus: list[str]) -> None:
        self._tokeniser = shared_tokeniser()
        counts = term_counts(self._tokeniser, corpus)
        self.papers = len(counts)
        self.frequency: dict[str, int] = {}
        for counted in counts:
            for term in counted:
                self.frequency[term] = self.frequency.get(term, 0) + 1
        self.average_length = sum(sum(c.values()) for c in counts) / max(len(counts), 1)

    def idf(self, term: str) -> float:
        return math.log(self.papers / max(self.frequency.get(term, 0), 1))

    def counts(self, text: str) -> dict[str, int]:
        return term_counts(self._tokeniser, [text])[0]

    def tfidf(self, text: str) -> Sparse:
        weights = {t: (1.0 + math.log(n)) * self.idf(t) for t, n in self.counts(text).items()}
        length = math.sqrt(sum(value * value for value in weights.values()))
        return {t: value / length for t, value in weights.items()} if length > 0 else {}

    def bm25(self, query: str, document: str) -> float:
        counted = self.counts(document)
        length = sum(counted.values())
        score = 0.0
        for term in self._tokeniser.terms(query):
            found = counted.get(term, 0)
            if found:
                df = self.frequency.get(term, 0)
                idf = max(math.log((self.papers - df + 0.5) / (df + 0.5)), 1e-6)
                saturation = 1.2 * (1 - 0.75 + 0.75 * length / self.average_length)
                score += idf * found * 2.2 / (found + saturation)
        return score


def dot(first: Sparse, second: Sparse) -> float:
    small, large = (first, second) if len(first) < len(second) else (second, first)
    return sum(value * large.get(term, 0.0) for term, value in small.items())


def weighted(parts: list[Sparse], weights: list[float]) -> Sparse:
    """Unit-length weighted sum of sparse vectors."""
    total: Sparse = {}
    for part, weight in zip(parts, weights, strict=True):
        for term, value in part.items():
            total[term] = total.get(term, 0.0) + weight * value
    length = math.sqrt(sum(value * value for value in total.values()))
    return {t: value / length for t, value in total.items()} if length > 0 else {}


def facet_vector(vectors: Vectors, probabilities: Vectors, columns: list[int]) -> Vectors:
    """Unit mean of the sentence vectors weighted by their probability of the facet."""
    weights = probabilities[:, columns].sum(axis=1)
    if weights.sum() <= 0:
        weights = np.ones(len(vectors), dtype=np.float32)
    mean = (weights[:, None] * vectors).sum(axis=0)
    result: Vectors = (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)
    return result


@dataclass
class Pool:
    """CSFCube's dev half embedded the product's way: one pass per pooled paper, the shipped
    classifier's sentence probabilities and each paper's whole-abstract TF-IDF vector."""

    collection: QueryByExampleCollection
    queries: list[str]
    fit: list[str]
    check: list[str]
    pooled_ids: list[str]
    classifier: SentenceClassifier
    whole: dict[str, Vectors]
    sentences: dict[str, Vectors]
    texts: dict[str, list[str]]
    probabilities: dict[str, Vectors]
    lexical: Lexical
    paper_tfidf: dict[str, dict[str, float]]


def embedded_pool() -> Pool:
    """The dev half's pooled papers, embedded once (shared with csfcube_facet_soft.py)."""
    collection = load_csfcube(CSFCUBE)
    queries, _, fit, check, pooled_ids = dev_split(collection)
    documents = collection.documents
    classifier = load_classifier()
    whole, pooled, texts = one_pass(
        OnnxMiniLMEmbedder(), [documents[p] for p in pooled_ids], own_sentences=False
    )
    sentences = dict(zip(pooled_ids, pooled, strict=True))
    all_texts = dict(zip(pooled_ids, texts, strict=True))
    lexical = Lexical([document.text for document in documents.values()])
    return Pool(
        collection=collection,
        queries=queries,
        fit=fit,
        check=check,
        pooled_ids=pooled_ids,
        classifier=classifier,
        whole=dict(zip(pooled_ids, whole, strict=True)),
        sentences=sentences,
        texts=all_texts,
        probabilities={p: classifier.probabilities(sentences[p], all_texts[p]) for p in pooled_ids},
        lexical=lexical,
        paper_tfidf={p: lexical.tfidf(documents[p].text) for p in pooled_ids},
    )


def main() -> int:
    pool_data = embedded_pool()
    collection = pool_data.collection
    qrels = collection.qrels
    queries, fit, check, pooled_ids = (
        pool_data.queries,
        pool_data.fit,
        pool_data.check,
        pool_data.pooled_ids,
    )
    documents = collection.documents
    classifier = pool_data.classifier
    p_whole, p_sentences, p_texts = pool_data.whole, pool_data.sentences, pool_data.texts
    probabilities, lexical = pool_data.probabilities, pool_data.lexical
    paper_tfidf = pool_data.paper_tfidf
    sentence_tfidf = {p: [lexical.tfidf(s) for s in p_texts[p]] for p in pooled_ids}

    components: dict[str, dict[str, Array]] = {}
    for query, (paper, facet, pool) in collection.queries.items():
        selected = facet_query(
            p_sentences[paper], classifier.predict(p_sentences[paper], p_texts[paper]), facet
        )
        cosines = np.array([float(p_whole[c] @ p_whole[paper]) for c in pool])
        dense = score_by_facet(
            selected,
            cosines,
            [p_sentences[c] for c in pool],
            weight=1.0,
            lexical_weight=0.0,
            normalisation="none",
        )
        facet_text = " ".join(p_texts[paper][i] for i in selected.positions)
        query_tfidf = lexical.tfidf(facet_text)
        columns = [i for i, label in enumerate(classifier.labels) if label in FACET_LABELS[facet]]
        query_vector = facet_vector(p_sentences[paper], probabilities[paper], columns)
        soft = weighted(sentence_tfidf[paper], probabilities[paper][:, columns].sum(1).tolist())
        candidate_facet = [
            weighted(sentence_tfidf[c], probabilities[c][:, columns].sum(1).tolist()) for c in pool
        ]
        components[query] = {
            "cosine": cosines,
            "dense": np.array([s.score for s in dense]),
            "tfidf": np.array([dot(query_tfidf, paper_tfidf[c]) for c in pool]),
            "tfidf-sent": np.array(
                [max((dot(query_tfidf, s) for s in sentence_tfidf[c]), default=0.0) for c in pool]
            ),
            "tfidf-all": np.array([dot(paper_tfidf[paper], paper_tfidf[c]) for c in pool]),
            "tfidf-facet": np.array([dot(query_tfidf, vector) for vector in candidate_facet]),
            "tfidf-soft": np.array([dot(soft, paper_tfidf[c]) for c in pool]),
            "bm25": np.array([lexical.bm25(facet_text, documents[c].text) for c in pool]),
            "vectors": np.array(
                [
                    float(query_vector @ facet_vector(p_sentences[c], probabilities[c], columns))
                    for c in pool
                ]
            ),
        }

    def run_of(parts: dict[str, float], norm: str | None = None) -> Run:
        """Each query's pool scored by the weighted sum of its (normalised) components."""
        run: Run = {}
        for query, (_, _, pool) in collection.queries.items():
            values = np.zeros(len(pool))
            for part, weight in parts.items():
                found = components[query][part]
                values = values + weight * (found if norm is None else normalised(found, norm))
            run[query] = {c: float(v) for c, v in zip(pool, values, strict=True)}
        return run

    families: dict[str, dict[str, Run]] = {"reference": {}, "lexical": {}, "vectors": {}}
    reference = families["reference"]
    reference["product path: cosine"] = run_of({"cosine": 1.0})
    reference["product path: max, 0.3 (today)"] = run_of({"cosine": 0.7, "dense": 0.3})
    for norm, w in itertools.product(NORMS, DENSE_WEIGHTS[1:]):
        reference[f"{norm}: dense {w}, no lexical"] = run_of({"cosine": 1 - w, "dense": w}, norm)
    for form, norm, w, v in itertools.product(LEXICAL_FORMS, NORMS, DENSE_WEIGHTS, LEXICAL_WEIGHTS):
        families["lexical"][f"{form}, {norm}, w {w}, v {v}"] = run_of(
            {"cosine": 1 - w - v, "dense": w, form: v}, norm
        )
    for w in VECTOR_WEIGHTS:
        families["vectors"][f"facet vectors, w {w}"] = run_of({"cosine": 1 - w, "vectors": w})
    # Stage 2, added after reading the first grid's table: a control without the facet filter,
    # facet-weighted lexical vectors, and facet vectors with TF-IDF.
    stage = families["stage 2"] = {}
    for form, w, v in itertools.product(STAGE_FORMS, DENSE_WEIGHTS, (0.1, 0.2)):
        stage[f"{form}, minmax, w {w}, v {v}"] = run_of(
            {"cosine": 1 - w - v, "dense": w, form: v}, "minmax"
        )
    for w, v in itertools.product((0.3, 0.5), (0.1, 0.2)):
        stage[f"facet vectors {w} + tfidf {v}, minmax"] = run_of(
            {"cosine": 1 - w - v, "vectors": w, "tfidf": v}, "minmax"
        )
    per_facet: Run = {}
    per_facet_choice = {}
    for facet in FACETS:
        fit_facet = [q for q in fit if q.endswith(facet)]
        lexical_runs = families["lexical"]
        best = max(lexical_runs, key=lambda n: ndcg(qrels, lexical_runs[n], fit_facet))
        per_facet_choice[facet] = best
        per_facet.update({q: r for q, r in families["lexical"][best].items() if q.endswith(facet)})
    families["per facet"] = {"lexical, chosen per facet on fit": per_facet}

    baseline = ndcg(qrels, reference["product path: cosine"], queries)
    print(f"{len(queries)} query-facet pairs, {len(fit)} fit / {len(check)} check")
    print(f"{'run':<40}{'all 24':>8}{'vs cos':>8}{'fit':>7}{'check':>7}", end="")
    print("".join(f"{facet:>11}" for facet in FACETS))
    chosen = {}
    for family, runs in families.items():
        chosen[family] = max(runs, key=lambda name: ndcg(qrels, runs[name], fit))
        print(f"-- {family}")
        for name, run in runs.items():
            overall = ndcg(qrels, run, queries)
            per = [ndcg(qrels, run, [q for q in queries if q.endswith(f)]) for f in FACETS]
            mark = " <- chosen on fit" if name == chosen[family] and len(runs) > 1 else ""
            print(
                f"{name:<40}{overall:>8.3f}{overall / baseline:>7.3f}x"
                f"{ndcg(qrels, run, fit):>7.3f}{ndcg(qrels, run, check):>7.3f}"
                + "".join(f"{value:>11.3f}" for value in per)
                + mark
            )
    today = per_query(qrels, reference["product path: max, 0.3 (today)"], queries)
    for family, name in chosen.items():
        other = per_query(qrels, families[family][name], queries)
        p = paired_randomization_test(other, today)
        print(f"{family}: {name} vs today on all 24, paired randomisation p = {p:.3f}")
    every = {name: run for runs in families.values() for name, run in runs.items()}
    best = max(every, key=lambda name: ndcg(qrels, every[name], fit))
    print(
        f"best fit row of all {len(every)}: {best}: all {ndcg(qrels, every[best], queries):.3f}, "
        f"check {ndcg(qrels, every[best], check):.3f}"
    )
    print(json.dumps({"chosen": chosen, "per_facet": per_facet_choice}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
