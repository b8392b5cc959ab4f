"""Facet similar service: papers similar to a catalog paper in its background, method or
result, over the whole catalog (candidates from the vector index, re-scored by sentence
matching and whole-paper TF-IDF in rank/facet_similar.py), each hit with its matched sentences."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from likewise.index.inverted import InvertedIndex
from likewise.models import Hit, Paper, SearchFilters, normalise_title
from likewise.rank.facet_similar import (
    FacetQuery,
    facet_query,
    score_by_facet,
    tfidf_cosine,
    tfidf_vector,
)
from likewise.rank.facets import FACETS, UnknownFacetError
from likewise.rank.key_phrases import CatalogRarity
from likewise.services.embedding import EmbedderProvider
from likewise.services.lexical import LexicalIndexService
from likewise.services.sentences import SentenceService
from likewise.services.similar import SimilarService, with_reasons
from likewise.services.vectors import VectorService

CANDIDATE_DEPTH = 200
"""Candidates re-scored per query: the facet score can only reorder what the paper vector
finds, so the pool is deep (CSFCube's judged pools hold about 120 papers)."""


def check_facet(facet: str) -> str:
    """The facet itself, or UnknownFacetError naming it and the choices."""
    if facet not in FACETS:
        raise UnknownFacetError(f"unknown facet {facet!r}; choose one of {', '.join(FACETS)}")
    return facet


@dataclass(frozen=True, slots=True)
class MatchedSentences:
    """A sentence of the query paper's facet and the hit's sentence closest to it."""

    query: str
    candidate: str
    similarity: float


@dataclass(slots=True)
class FacetHit:
    """A similar paper for one facet: the ranked hit (components "cosine", "lexical" and, when
    the paper has stored sentences, "facet") and its best sentence matches, best first."""

    hit: Hit
    matches: list[MatchedSentences] = field(default_factory=list)


@dataclass(slots=True)
class FacetNeighbours:
    """What a facet search found: the hits, the query's sentences that took part, and a note a
    reader must see (no stored sentences, or no sentence of the facet so all are used)."""

    facet: str
    hits: list[FacetHit]
    query_sentences: list[str]
    note: str | None = None


class FacetSimilarService:
    """Similar papers by facet; reads vectors and stored sentences, writes nothing."""

    def __init__(
        self,
        similar: SimilarService,
        embedding: EmbedderProvider,
        vectors: VectorService,
        sentences: SentenceService,
        lexical: LexicalIndexService,
    ) -> None:
        self._similar = similar
        self._embedding = embedding
        self._vectors = vectors
        self._sentences = sentences
        self._lexical = lexical

    def similar_by_facet(
        self,
        arxiv_id: str,
        facet: str,
        *,
        limit: int = 10,
        filters: SearchFilters | None = None,
    ) -> FacetNeighbours:
        """The papers most similar to a catalog paper in `facet`, best first.

        Raises UnknownFacetError for a facet outside FACETS and UnknownPaperError for an id
        that names no stored paper.
        """
        check_facet(facet)
        if limit < 1:
            raise ValueError("limit must be at least 1")
        paper = self._similar.paper_for(arxiv_id)
        own = self._sentences.sentences_of([paper.arxiv_id]).get(paper.arxiv_id)
        if own is None:
            return FacetNeighbours(
                facet,
                [],
                [],
                "This paper's sentences are not stored yet, so it cannot be compared by "
                f"{facet}; `likewise embed` stores them (papers without an abstract have none).",
            )
        runner_up = self._sentences.runner_up_labels(own.vectors, own.texts)
        query = facet_query(own.vectors, own.labels, facet, runner_up)
        note = None
        if query.fallback:
            note = (
                f"No sentence of this abstract reads as {facet}, so every sentence is matched "
                "(the ranking is close to similar overall)."
            )
        index = self._lexical.lexical_index()
        hits = self._rescored(paper, query, own.texts, limit, filters, index)
        with_reasons(paper, [found.hit for found in hits], CatalogRarity.of_index(index))
        return FacetNeighbours(facet, hits, [own.texts[i] for i in query.positions], note)

    def _rescored(
        self,
        paper: Paper,
        query: FacetQuery,
        query_texts: list[str],
        limit: int,
        filters: SearchFilters | None,
        lexical_index: InvertedIndex | None,
    ) -> list[FacetHit]:
        arxiv_id, title = paper.arxiv_id, paper.title
        index = self._vectors.vector_index()
        vector = self._vectors.paper_vector(arxiv_id)
        if vector is None or len(index) <= 1:
            return []
        store = self._similar.store
        allowed = None
        if filters is not None and not filters.is_empty:
            allowed = store.keys_matching(filters)
        keys, cosines = index.search(vector, CANDIDATE_DEPTH + 1, allowed)
        ids = store.arxiv_ids_for_keys(keys.tolist())
        own_title = normalise_title(title)
        papers = store.get_papers([ids[int(key)] for key in keys if int(key) in ids])
        rows = [
            row
            for row, key in enumerate(keys.tolist())
            if (candidate := papers.get(ids.get(int(key), ""))) is not None
            and candidate.arxiv_id != arxiv_id
            and not (own_title and normalise_title(candidate.title) == own_title)
        ]
        candidate_ids = [ids[int(keys[row])] for row in rows]
        stored = self._sentences.sentences_of(candidate_ids)
        scored = score_by_facet(
            query,
            cosines[rows].astype(np.float64),
            [stored[c].vectors if c in stored else None for c in candidate_ids],
            lexical_scores(paper, [papers[c] for c in candidate_ids], lexical_index),
        )
        order = sorted(range(len(rows)), key=lambda i: (-scored[i].score, i))[:limit]
        found: list[FacetHit] = []
        for position in order:
            candidate_id, score = candidate_ids[position], scored[position]
            components = {
                "cosine": float(cosines[rows[position]]),
                "lexical": score.lexical_score,
            }
            if score.facet_score is not None:
                components["facet"] = score.facet_score
            hit = Hit(candidate_id, score.score, papers[candidate_id], components)
            texts = stored[candidate_id].texts if candidate_id in stored else []
            matches = [
                MatchedSentences(
                    query_texts[match.query_sentence],
                    texts[match.candidate_sentence],
                    match.similarity,
                )
                for match in score.matches
            ]
            found.append(FacetHit(hit, matches))
        return found


def lexical_scores(
    paper: Paper, candidates: list[Paper], index: InvertedIndex | None
) -> npt.NDArray[np.float64] | None:
    """Each candidate's TF-IDF cosine with the query paper, title + abstract on both sides, idf
    from the catalog's document frequencies (CatalogRarity over the lexical index); 0 for a
    candidate without an abstract, None without a lexical index."""
    if index is None or len(index) == 0:
        return None
    rarity = CatalogRarity(index.document_frequency, len(index))
    own = tfidf_vector(f"{paper.title} {paper.abstract}", rarity.weight)
    return np.array(
        [
            tfidf_cosine(own, tfidf_vector(f"{c.title} {c.abstract}", rarity.weight))
            if c.abstract.strip()
            else 0.0
            for c in candidates
        ],
        dtype=np.float64,
    )
