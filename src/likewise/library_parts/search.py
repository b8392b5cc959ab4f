"""Library part: hybrid search with calibrated relevance scores and a cut-off."""

from __future__ import annotations

from typing import TYPE_CHECKING

from likewise.library_parts.base import LibraryBase
from likewise.models import SearchFilters
from likewise.rank.cosine_adapter import RelevanceCalibration, bundled_calibration
from likewise.rank.search import MIN_DEPTH, SearchPlan, SearchResult, hybrid_search

if TYPE_CHECKING:
    from likewise.index.base import VectorIndex
    from likewise.index.inverted import InvertedIndex

_CALIBRATION = "search.calibration"


class SearchOps(LibraryBase):
    """Operations of the search area."""

    if TYPE_CHECKING:
        # Provided by VectorOps in the assembled Library.
        def vector_index(self) -> VectorIndex: ...

        # Provided by LexicalOps in the assembled Library.
        def lexical_index(self) -> InvertedIndex | None: ...

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
        left out, and `no_good_matches` is set when none is left. Raises QueryError with a
        clear message for empty, over-long or control-character queries.
        """
        plan = SearchPlan(
            method=fusion or self.settings.fusion,
            limit=limit,
            offset=offset,
            filters=filters or SearchFilters(),
            threshold=self.settings.relevance_threshold,
            apply_cutoff=apply_cutoff,
            depth=MIN_DEPTH if depth is None else depth,
        )
        return hybrid_search(
            query,
            plan,
            store=self.store,
            index=self.vector_index(),
            embedder=self.embedder,
            calibration=self.relevance_calibration(),
            lexical_index=self.lexical_index,
        )

    def relevance_calibration(self) -> RelevanceCalibration | None:
        """The fitted cut-off and fusion weight for this library's embedder (None if none)."""
        if _CALIBRATION not in self._cache:
            self._cache[_CALIBRATION] = bundled_calibration(self.embedder.model_id)
        calibration: RelevanceCalibration | None = self._cache[_CALIBRATION]
        return calibration

    def use_relevance_calibration(self, calibration: RelevanceCalibration | None) -> None:
        """Replace the bundled calibration (evaluation splits, tests, a locally fit file)."""
        self._cache[_CALIBRATION] = calibration
