"""Retrieval runs: throw-away catalogs, one run per configuration, and per-query ranx metrics
(significance tests over them live in significance.py)."""

from __future__ import annotations

import hashlib
import tempfile
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import numpy.typing as npt

from likewise.embed.base import Embedder
from likewise.evaluate.collections import Document, RetrievalCollection
from likewise.library import Library
from likewise.models import Paper
from likewise.rank.query import QueryError
from likewise.settings import Settings

METRICS = ("ndcg@10", "recall@100", "map")
SEARCH_CONFIGS = {"bm25": "bm25", "dense": "dense", "hybrid-rrf": "rrf", "hybrid-convex": "convex"}
DEFAULT_CONFIG = "hybrid"  # whichever fusion the `fusion` setting names
RUN_DEPTH = 100
Run = dict[str, dict[str, float]]
Qrels = Mapping[str, Mapping[str, int]]


class EvaluationError(ValueError):
    """The evaluation cannot run as asked; the message says why."""


def search_method(config: str, settings: Settings) -> str:
    """The search fusion a configuration name stands for."""
    if config == DEFAULT_CONFIG:
        return settings.fusion
    if config not in SEARCH_CONFIGS:
        known = ", ".join([*SEARCH_CONFIGS, DEFAULT_CONFIG])
        raise EvaluationError(f"unknown configuration {config!r}; choose from {known}")
    return SEARCH_CONFIGS[config]


class MemoisingEmbedder:
    """Wraps an embedder so that each distinct query is embedded once per evaluation."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self._queries: dict[str, npt.NDArray[np.float32]] = {}

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed_documents(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        if text not in self._queries:
            self._queries[text] = self.inner.embed_query(text)
        return self._queries[text]


def load_vector_file(path: Path) -> tuple[list[str], npt.NDArray[np.float32]]:
    """A matrix (.npy) and its row ids: NAME.ids.txt beside NAME.npy, or STEM.ids.txt for
    STEM.f16.npy (the layout of the shared embeddings folder)."""
    if not path.is_file():
        raise EvaluationError(f"{path} does not exist")
    candidates = [path.with_suffix(".ids.txt"), path.parent / f"{path.name.split('.')[0]}.ids.txt"]
    ids_file = next((candidate for candidate in candidates if candidate.is_file()), None)
    if ids_file is None:
        raise EvaluationError(f"no ids file for {path} (looked for {candidates[0].name})")
    ids = ids_file.read_text(encoding="utf-8").split()
    matrix = np.load(path).astype(np.float32)
    if matrix.ndim != 2 or len(ids) != matrix.shape[0]:
        raise EvaluationError(f"{path} has {matrix.shape[0]} rows but {ids_file} {len(ids)} ids")
    return ids, matrix


def embed_texts_cached(
    texts: Sequence[str], embedder: Embedder, cache_dir: Path, label: str
) -> npt.NDArray[np.float32]:
    """Embeddings of texts, read from a cache keyed by model id and the texts' content hash."""
    digest = hashlib.sha256(embedder.model_id.encode())
    for text in texts:
        digest.update(hashlib.sha256(text.encode("utf-8")).digest())
    path = cache_dir / f"{label}-{digest.hexdigest()[:20]}.npy"
    if path.is_file():
        cached: npt.NDArray[np.float32] = np.load(path).astype(np.float32)
        if cached.shape == (len(texts), embedder.dimension):
            return cached
    from rich.progress import Progress

    order = sorted(range(len(texts)), key=lambda row: len(texts[row]))
    matrix = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    with Progress(transient=True) as progress:
        task = progress.add_task(f"embedding {label}", total=len(texts))
        for start in range(0, len(order), 256):
            rows = order[start : start + 256]
            matrix[rows] = embedder.embed_documents([texts[row] for row in rows])
            progress.advance(task, len(rows))
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(path, matrix)
    return matrix


def document_vectors(
    documents: Sequence[Document], embedder: Embedder, vectors_file: Path | None, cache_dir: Path
) -> npt.NDArray[np.float32]:
    """One unit vector per document: from a vector file when given, else embedded (cached)."""
    if vectors_file is None:
        return embed_texts_cached([d.text for d in documents], embedder, cache_dir, "documents")
    ids, matrix = load_vector_file(vectors_file)
    if matrix.shape[1] != embedder.dimension:
        raise EvaluationError(
            f"{vectors_file} holds {matrix.shape[1]}-d vectors; the embedder makes "
            f"{embedder.dimension}-d ones"
        )
    row_of = {doc_id: row for row, doc_id in enumerate(ids)}
    missing = [d.doc_id for d in documents if d.doc_id not in row_of]
    if missing:
        raise EvaluationError(f"{vectors_file} lacks {len(missing)} documents, e.g. {missing[0]}")
    return matrix[[row_of[d.doc_id] for d in documents]]


def paper_id(doc_id: str) -> str:
    return f"local:{doc_id}"


def doc_id_of(arxiv_id: str) -> str:
    return arxiv_id.removeprefix("local:")


@contextmanager
def throwaway_library(
    collection: RetrievalCollection,
    settings: Settings,
    embedder: Embedder,
    vectors: npt.NDArray[np.float32],
) -> Iterator[Library]:
    """A catalog of the collection in a temporary home (SQLite + vectors), deleted afterwards."""
    with tempfile.TemporaryDirectory(prefix="likewise-eval-") as folder:
        home = Path(folder) / "home"
        home.mkdir()
        local = settings.with_overrides(home=home, database_url="")
        library = Library.open(local, embedder=embedder)
        try:
            papers = [
                Paper(
                    arxiv_id=paper_id(d.doc_id), title=d.title, abstract=d.abstract, source="eval"
                )
                for d in collection.documents
            ]
            library.store.upsert_papers(papers, source="eval")
            library.store.put_vectors(
                embedder.model_id,
                [(p.arxiv_id, p.content_hash(), v) for p, v in zip(papers, vectors, strict=True)],
            )
            library.lexical.update_lexical_index()  # searches read the published BM25 index
            yield library
        finally:
            library.close()


def search_run(library: Library, queries: Mapping[str, str], method: str) -> Run:
    """Each query's top RUN_DEPTH papers, uncut, scored by rank (ties impossible)."""
    run: Run = {}
    for query_id, text in queries.items():
        try:
            result = library.search.search(text, limit=RUN_DEPTH, fusion=method, apply_cutoff=False)
        except QueryError:
            run[query_id] = {}
            continue
        hits = result.hits
        run[query_id] = {doc_id_of(h.arxiv_id): float(len(hits) - i) for i, h in enumerate(hits)}
    return run


def per_query_scores(qrels: Qrels, run: Run, metrics: Sequence[str]) -> dict[str, dict[str, float]]:
    """metric -> query id -> value, over every judged query (missing runs score 0)."""
    from ranx import Qrels as RanxQrels
    from ranx import Run as RanxRun
    from ranx import evaluate

    judged = {q: dict(docs) for q, docs in qrels.items()}
    ranx_run = RanxRun({q: dict(run.get(q, {})) or {"__none__": 0.0} for q in judged})
    with warnings.catch_warnings():
        # ranx's compiled kernels warn about an integer cast that cannot matter here.
        warnings.simplefilter("ignore")
        evaluate(RanxQrels(judged), ranx_run, list(metrics), return_mean=False)
    return {m: {q: float(v) for q, v in ranx_run.scores[m].items()} for m in metrics}


def mean_scores(per_query: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    return {m: float(np.mean(list(values.values()))) for m, values in per_query.items()}
