"""Search service: hybrid search with calibrated relevance scores and a cut-off, lexical
while some papers are not embedded yet."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

from likewise.models import SearchFilters
from likewise.rank.cosine_adapter import RelevanceCalibration, bundled_calibration
from likewise.rank.search import MIN_DEPTH, SearchPlan, SearchResult, hybrid_search
from likewise.services.embedding import EmbedderProvider
from likewise.services.evidence import EvidenceService
from likewise.services.lexical import LexicalIndexService
from likewise.services.near_duplicates import NearDuplicateService
from likewise.services.vectors import VectorService
from likewise.settings import Settings
from likewise.store.base import CatalogStore

# How long counted sizes are trusted when the store cannot say it has not changed.
_COUNT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class EmbeddingGap:
    """How many of the catalog's papers have no vector for the current model yet."""

    missing: int
    total: int

    @property
    def notice(self) -> str | None:
        if not self.missing:
            return None
        return f"{self.missing} of {self.total} papers are not embedded yet: run `likewise embed`"


@dataclass(frozen=True, slots=True)
class _CountedGap:
    change_token: object | None
    expiry: float  # time.monotonic() after which an untokened count is taken again
    gap: EmbeddingGap


@dataclass(frozen=True, slots=True)
class _Calibration:
    value: RelevanceCalibration | None  # None: no calibration for this embedder
    model_id: str | None  # the model it was loaded for; None: set by hand, kept


class SearchService:
    """Free-text search; the owner of the relevance calibration (digests use it too)."""

    def __init__(
        self,
        settings: Settings,
        store: CatalogStore,
        embedding: EmbedderProvider,
        vectors: VectorService,
        lexical: LexicalIndexService,
        evidence: EvidenceService | None = None,
        near_duplicates: NearDuplicateService | None = None,
    ) -> None:
        self._settings = settings
        self._near_duplicates = near_duplicates  # None: every record is a hit of its own
        self._evidence = evidence  # None: hits carry no supporting sentences
        self._store = store
        self._embedding = embedding
        self._vectors = vectors
        self._lexical = lexical
        self._calibration: _Calibration | None = None  # None: not loaded yet
        self._gap: _CountedGap | None = None

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        offset: int = 0,
        filters: SearchFilters | None = None,
        fusion: str | None = None,
        apply_cutoff: bool = True,
        depth: int | None = None,
    ) -> SearchResult:
        """Best papers for free text (a question, keywords or a pasted abstract).

        `fusion` is rrf, convex, bm25 or dense (default: the `fusion` setting). Hit scores are
        calibrated relevance probabilities; hits under the `relevance_threshold` setting are
        left out, and `no_good_matches` is set when none is left. Each hit carries the
        abstract sentences that best support the query (`evidence`). Raises QueryError with a
        clear message for empty, over-long or control-character queries.
        """
        method = fusion or self._settings.fusion
        gap = self.embedding_gap()
        coverage = None
        if gap.missing and method != "bm25":
            if method == "dense" and gap.missing < gap.total:
                embedded = gap.total - gap.missing
                coverage = f"{gap.notice}. Only the {embedded} embedded papers were searched."
            else:
                # Fused scores and their calibration need every candidate's cosine: rank every
                # paper alike, by its words, rather than favour the embedded ones.
                method = "bm25"
                coverage = f"{gap.notice}. Until then, results are ranked by keywords only."
        plan = SearchPlan(
            method=method,
            limit=limit,
            offset=offset,
            filters=filters or SearchFilters(),
            threshold=self._settings.relevance_threshold,
            apply_cutoff=apply_cutoff,
            depth=MIN_DEPTH if depth is None else depth,
            bm25_bound_words=self._settings.bm25_bound_words,
        )
        result = hybrid_search(
            query,
            plan,
            store=self._store,
            index=self._vectors.vector_index(),
            # During a model upgrade: the new model's query vector, mapped into the index's space.
            embedder=self._embedding.query(),
            calibration=self.relevance_calibration(),
            lexical_index=self._lexical.lexical_index,
        )
        if self._near_duplicates is not None and result.hits:
            # One hit per work on the page, at its best-ranked record, the others as also_as.
            hits, also = self._near_duplicates.collapse(result.hits, lambda hit: hit.arxiv_id)
            for hit in hits:
                hit.also_as = also.get(hit.arxiv_id, [])
            result = dataclasses.replace(result, hits=hits)
        if self._evidence is not None and result.hits:
            started = time.perf_counter()
            hits = self._evidence.with_evidence(result.query, result.hits, result.query_vector)
            timings = {**result.timings, "evidence": time.perf_counter() - started}
            result = dataclasses.replace(result, hits=hits, timings=timings)
        return dataclasses.replace(result, coverage_notice=coverage) if coverage else result

    def embedding_gap(self) -> EmbeddingGap:
        """Papers without a vector of the current model (an ingest before `likewise embed`).

        Counted again whenever the store has changed; where it cannot tell (PostgreSQL),
        at most every few seconds, since both counts are queries there."""
        token = self._store.change_token()
        held = self._gap
        now = time.monotonic()
        if held is not None:
            same = token is not None and token == held.change_token
            if same or (token is None and now < held.expiry):
                return held.gap
        total = self._store.count_papers()
        gap = EmbeddingGap(max(total - len(self._vectors.vector_index()), 0), total)
        self._gap = _CountedGap(token, now + _COUNT_SECONDS, gap)
        return gap

    def relevance_calibration(self) -> RelevanceCalibration | None:
        """The fitted cut-off and fusion weight for this library's embedder (None if none)."""
        model_id = self._embedding.get().model_id
        held = self._calibration
        if held is None or held.model_id not in (None, model_id):  # a model upgrade switched
            held = _Calibration(bundled_calibration(model_id), model_id)
            self._calibration = held
        return held.value

    def use_relevance_calibration(self, calibration: RelevanceCalibration | None) -> None:
        """Replace the bundled calibration (evaluation splits, tests, a locally fit file)."""
        self._calibration = _Calibration(calibration, None)
