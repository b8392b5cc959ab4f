"""Evidence service: "why it matched", the abstract sentences of shown papers that best support
a query (rank/evidence.py), for search hits and digest items.

A paper's stored sentences and vectors (services/sentences.py) are scored by cosine and word
overlap; a paper without them (not embedded yet, changed since) is split now and scored by its
words alone: embedding a page's sentences at query time would cost about 300x embedding the
query (bench/evidence.py), so it is never done here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from likewise.ingest.sentences import split_sentences
from likewise.models import Evidence, Hit, Paper
from likewise.rank.evidence import (
    FUSED,
    LEXICAL,
    QueryTerms,
    locate_sentences,
    supporting_sentences,
)
from likewise.rank.key_phrases import CatalogRarity
from likewise.services.lexical import LexicalIndexService
from likewise.services.sentences import SentenceService


class EvidenceService:
    """Supporting sentences of papers for a query; holds nothing between calls."""

    def __init__(self, sentences: SentenceService, lexical: LexicalIndexService) -> None:
        self._sentences = sentences
        self._lexical = lexical

    def rarity(self) -> CatalogRarity | None:
        return CatalogRarity.of_index(self._lexical.lexical_index())

    def evidence_for(
        self,
        query: str,
        papers: Sequence[Paper],
        query_vector: npt.NDArray[np.float32] | None = None,
        rarity: CatalogRarity | None = None,
    ) -> dict[str, list[Evidence]]:
        """Each paper's one or two supporting sentences (in reading order; a paper with no
        sentence sharing anything with the query is absent). `query_vector` is the query's
        embedding under the current model, or None to judge by words alone."""
        with_text = [paper for paper in papers if paper.abstract.strip()]
        if not with_text or not query.strip():
            return {}
        terms = QueryTerms(query, rarity if rarity is not None else self.rarity())
        stored = {}
        if query_vector is not None:
            stored = self._sentences.sentences_of([paper.arxiv_id for paper in with_text])
        found: dict[str, list[Evidence]] = {}
        for paper in with_text:
            own = stored.get(paper.arxiv_id)
            spans = locate_sentences(paper.abstract, own.texts) if own is not None else None
            if own is not None and spans is not None and len(own.vectors) == len(spans):
                chosen = supporting_sentences(
                    paper.abstract, spans, terms, FUSED, query_vector, own.vectors
                )
            else:
                spans = split_sentences(paper.abstract)
                chosen = supporting_sentences(paper.abstract, spans, terms, LEXICAL)
            if chosen:
                found[paper.arxiv_id] = chosen
        return found

    def with_evidence(
        self, query: str, hits: Sequence[Hit], query_vector: npt.NDArray[np.float32] | None
    ) -> list[Hit]:
        """The hits, each with its supporting sentences (an exact arXiv id hit has none: the
        query names the paper rather than describing it)."""
        papers = [hit.paper for hit in hits if hit.paper is not None and not _exact(hit)]
        found = self.evidence_for(query, papers, query_vector)
        return [
            dataclasses.replace(hit, evidence=found[hit.arxiv_id]) if hit.arxiv_id in found else hit
            for hit in hits
        ]


def _exact(hit: Hit) -> bool:
    return "exact_id" in hit.components
