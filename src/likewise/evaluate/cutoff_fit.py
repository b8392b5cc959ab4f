"""The whole `likewise eval --fit-calibration` run: build each judged source's throw-away
catalog (SciFact, CSFCube, the real arXiv CS corpus), retrieve its queries once, tune the
convex weight on SciFact fit claims, fit the Cosine Adapters on every fit part, and report the
cut-off on every held-out part.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from likewise.embed.base import Embedder
from likewise.evaluate.collections import RetrievalCollection, load_scifact
from likewise.evaluate.cutoff import (
    CutoffReport,
    JudgedSource,
    fit_from_sources,
    reports_for,
    retrieve_all,
    tune_convex_alpha,
)
from likewise.evaluate.cutoff_sources import (
    OFF_TOPIC_FIT,
    OFF_TOPIC_HELDOUT,
    csfcube_corpus,
    csfcube_queries,
    fill_arxiv_catalog,
    mine_title_phrases,
    off_topic_queries,
    topical_queries,
)
from likewise.evaluate.runs import document_vectors, throwaway_library
from likewise.rank.cosine_adapter import RelevanceCalibration
from likewise.settings import Settings

# Loss weight per query of each source. SciFact has the most queries (469 fit claims) but the
# least CS-like ones; the few CSFCube and off-topic queries are weighted up so each source
# matters (see docs/search.md).
SOURCE_WEIGHTS = {"scifact": 1.0, "csfcube": 4.0, "arxiv-topics": 1.0, "off-topic": 2.0}


@dataclass(frozen=True, slots=True)
class FitInputs:
    """Where the judged sources' data and precomputed document vectors are."""

    data: Path  # the shared data folder
    cache_dir: Path  # evaluation embedding cache
    scifact_vectors: Path | None
    csfcube_vectors: Path | None
    arxiv_vectors: Path  # cached vectors of the arXiv CS corpus (bench/embed_corpus.py)


def _vectors_note(path: Path | None) -> str:
    return path.name if path is not None else "embedded by the same model"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def collect_sources(
    settings: Settings, embedder: Embedder, inputs: FitInputs
) -> tuple[float, str, list[JudgedSource]]:
    """(convex alpha, how it was chosen, the judged sources with fit/held-out parts)."""
    fit = load_scifact(inputs.data / "scifact", "fit")
    heldout = load_scifact(inputs.data / "scifact", "heldout")
    vectors = document_vectors(fit.documents, embedder, inputs.scifact_vectors, inputs.cache_dir)
    _say(f"scifact: retrieving {len(fit.queries)} fit and {len(heldout.queries)} held-out claims")
    with throwaway_library(fit, settings, embedder, vectors) as library:
        scifact_fit = retrieve_all(library, fit)
        scifact_heldout = retrieve_all(library, heldout)
    alpha, ndcg = tune_convex_alpha(scifact_fit, fit.qrels)
    alpha_note = f"convex alpha {alpha} (nDCG@10 {ndcg:.4f} on {fit.name})"
    sources = [
        JudgedSource(
            "scifact",
            scifact_fit,
            scifact_heldout,
            SOURCE_WEIGHTS["scifact"],
            "claims with cited abstracts as relevant, SciFact qrels; document vectors: "
            + _vectors_note(inputs.scifact_vectors),
        )
    ]

    corpus = csfcube_corpus(inputs.data / "csfcube")
    vectors = document_vectors(corpus.documents, embedder, inputs.csfcube_vectors, inputs.cache_dir)
    _say("csfcube: retrieving each query paper's title + abstract")
    with throwaway_library(corpus, settings, embedder, vectors) as library:
        csfcube_fit, csfcube_heldout = csfcube_queries(library, inputs.data / "csfcube")
    sources.append(
        JudgedSource(
            "csfcube",
            csfcube_fit,
            csfcube_heldout,
            SOURCE_WEIGHTS["csfcube"],
            "query paper's title + abstract as the query, over CSFCube's 4,205 papers without "
            "it; adjudicated grade >= 2 on any facet relevant, 0 non-relevant, 1 unlabelled; "
            "document vectors: " + _vectors_note(inputs.csfcube_vectors),
        )
    )

    corpus_file = inputs.data / "arxiv-daily-cs" / "papers.jsonl.gz"
    empty = RetrievalCollection("arxiv-daily-cs", [], {}, {})
    no_vectors = np.zeros((0, embedder.dimension), dtype=np.float32)
    with throwaway_library(empty, settings, embedder, no_vectors) as library:
        _say("arxiv: building a catalog of the real CS corpus from cached vectors")
        texts = fill_arxiv_catalog(library, corpus_file, inputs.arxiv_vectors)
        phrases = mine_title_phrases(title for title, _ in texts.values())
        _say(f"arxiv: retrieving {len(phrases)} title phrases and the off-topic queries")
        topics_fit, topics_heldout = topical_queries(library, texts, phrases)
        off_fit = off_topic_queries(library, OFF_TOPIC_FIT)
        off_heldout = off_topic_queries(library, OFF_TOPIC_HELDOUT)
    sources.append(
        JudgedSource(
            "arxiv-topics",
            topics_fit,
            topics_heldout,
            SOURCE_WEIGHTS["arxiv-topics"],
            f"weak labels over {len(texts):,} real arXiv CS papers: the {len(phrases)} 2-3 word "
            "phrases found in most titles as queries; a candidate whose title has the phrase "
            "is relevant, one with none of its words in title or abstract non-relevant, the "
            "rest unlabelled; split by a hash of the phrase; document vectors: "
            + _vectors_note(inputs.arxiv_vectors),
        )
    )
    sources.append(
        JudgedSource(
            "off-topic",
            off_fit,
            off_heldout,
            SOURCE_WEIGHTS["off-topic"],
            "hand-written everyday queries (cooking, sports, law, travel...) over the same "
            "arXiv catalog, every candidate non-relevant",
        )
    )
    return alpha, alpha_note, sources


def fit_and_report(
    settings: Settings,
    embedder: Embedder,
    inputs: FitInputs,
    out: Path,
    thresholds: tuple[float, ...] = (0.3, 0.4, 0.5, 0.6, 0.7),
) -> tuple[RelevanceCalibration, list[str], list[CutoffReport]]:
    """Fit on the fit parts, write `out`, and measure the cut-off on the held-out parts."""
    alpha, alpha_note, sources = collect_sources(settings, embedder, inputs)
    _say("fitting the adapters (cross-validated feature set and L2 strength per method)")
    calibration, notes = fit_from_sources(sources, alpha, embedder.model_id, alpha_note)
    calibration.save(out)
    reports: list[CutoffReport] = []
    for source in sources:
        reports.extend(reports_for(source.name, source.heldout, calibration, thresholds))
    return calibration, notes, reports
