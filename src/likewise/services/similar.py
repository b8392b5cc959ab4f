"""Similar service: papers similar to a catalog paper, hub-corrected (DBNorm) and with a reason.

Candidates come from the vector index by cosine; with the `hubness_correction` setting on they
are re-scored as cosine minus each paper's DBNorm hub penalty (rank/hubness.py) and cut to
the limit. The query paper and any other record of the same work are left out. Before any
other paper is embedded, neighbours come from the words of the title (BM25) instead.
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt

from likewise.index.base import VectorIndex
from likewise.ingest.ids import InvalidArxivIdError, parse_arxiv_id
from likewise.models import Hit, Paper, SearchFilters, normalise_title
from likewise.rank.hubness import DualBankNormaliser, HubPenaltyTable
from likewise.rank.key_phrases import CatalogRarity
from likewise.rank.lexical import lexical_candidates
from likewise.rank.reasons import Explainer
from likewise.services.embedding import EmbedderProvider
from likewise.services.lexical import LexicalIndexService
from likewise.services.vectors import VectorService
from likewise.settings import Settings
from likewise.store.base import CatalogStore, UnknownPaperError

QUERY_BANK_SIZE = 2_000
GALLERY_BANK_SIZE = 4_000
# Candidates re-scored per requested hit: the correction can only reorder what it is shown.
DEPTH_PER_HIT = 5
MIN_DEPTH = 50
MAX_ID_LENGTH = 200


def neighbours_notice(gap: str | None, hits: list[Hit]) -> str | None:
    """What a reader must know about these neighbours while some papers have no vector
    (`gap`: the search service's `embedding_gap().notice`)."""
    if gap is None:
        return None
    if any("cosine" not in hit.components for hit in hits):
        return f"{gap}. Until then, similar papers are those sharing words of the title."
    return f"{gap}. Only embedded papers are compared."


class SimilarService:
    """Papers like a catalog paper; the owner of the hub penalty table."""

    def __init__(
        self,
        settings: Settings,
        store: CatalogStore,
        embedding: EmbedderProvider,
        vectors: VectorService,
        lexical: LexicalIndexService,
    ) -> None:
        self._settings = settings
        self._store = store
        self._embedding = embedding
        self._vectors = vectors
        self._lexical = lexical
        self._hub_table: tuple[str, HubPenaltyTable] | None = None  # (model id, table)

    def similar(
        self, arxiv_id: str, *, limit: int = 10, filters: SearchFilters | None = None
    ) -> list[Hit]:
        """The papers most similar to a catalog paper, best first, each with a one-line reason.

        Raises UnknownPaperError (clear message) when no stored paper has that id.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        paper = self._paper_for(arxiv_id)
        index = self._vectors.vector_index()
        depth = max(limit * DEPTH_PER_HIT, MIN_DEPTH)
        allowed = None
        if filters is not None and not filters.is_empty:
            allowed = self._store.keys_matching(filters)
        vector = self._vectors.paper_vector(paper.arxiv_id)
        if len(index) - (vector is not None) <= 0:
            # No other paper is embedded yet: neighbours by shared words until then.
            return self._lexical_neighbours(paper, limit, depth, filters, allowed)
        if vector is None:
            # Not embedded yet (an ingest that has not run `update_vectors`): embed it now, as a
            # query (during a model upgrade, by the new model through the map).
            vector = self._embedding.query().embed_documents([paper.embedding_text()])[0]
        # One extra: the paper itself is usually its own nearest neighbour.
        keys, cosines = index.search(vector, depth + 1, allowed)
        if len(keys) == 0:
            return []
        scores = cosines.astype(np.float64)
        penalties = np.zeros(len(keys), dtype=np.float64)
        if self._settings.hubness_correction:
            penalties = self._hub_penalties(index, keys)
            scores = scores - penalties
        order = np.argsort(-scores, kind="stable")
        ids = self._store.arxiv_ids_for_keys(keys.tolist())
        papers = self._store.get_papers([ids[int(key)] for key in keys if int(key) in ids])
        own_title = normalise_title(paper.title)
        hits: list[Hit] = []
        for row in order.tolist():
            candidate = papers.get(ids.get(int(keys[row]), ""))
            if candidate is None or candidate.arxiv_id == paper.arxiv_id:
                continue
            if own_title and normalise_title(candidate.title) == own_title:
                continue  # another record (version, BibTeX copy) of the same work
            hits.append(
                Hit(
                    arxiv_id=candidate.arxiv_id,
                    score=float(scores[row]),
                    paper=candidate,
                    components={
                        "cosine": float(cosines[row]),
                        "hub_penalty": float(penalties[row]),
                    },
                )
            )
            if len(hits) == limit:
                break
        return with_reasons(paper, hits, CatalogRarity.of_index(self._lexical.lexical_index()))

    @property
    def store(self) -> CatalogStore:
        return self._store

    def paper_for(self, arxiv_id: str) -> Paper:
        """The stored paper an id names (any id form), or UnknownPaperError."""
        return self._paper_for(arxiv_id)

    # -- internals ----------------------------------------------------------------------------
    def _lexical_neighbours(
        self,
        paper: Paper,
        limit: int,
        depth: int,
        filters: SearchFilters | None,
        allowed: npt.NDArray[np.int64] | None,
    ) -> list[Hit]:
        """Papers sharing the title's words, by BM25 (components: `lexical`, no cosine)."""
        words = " ".join(re.findall(r"\w+", paper.title))
        if not words:
            return []
        found = lexical_candidates(
            self._store, words, depth + 1, filters, allowed, self._lexical.lexical_index
        )
        papers = self._store.get_papers([arxiv_id for arxiv_id, _ in found.hits])
        own_title = normalise_title(paper.title)
        hits: list[Hit] = []
        for arxiv_id, score in found.hits:
            candidate = papers.get(arxiv_id)
            if candidate is None or arxiv_id == paper.arxiv_id:
                continue
            if own_title and normalise_title(candidate.title) == own_title:
                continue
            hits.append(Hit(arxiv_id, float(score), candidate, {"lexical": float(score)}))
            if len(hits) == limit:
                break
        return with_reasons(paper, hits, CatalogRarity.of_index(self._lexical.lexical_index()))

    def _paper_for(self, arxiv_id: str) -> Paper:
        text = arxiv_id.strip()
        if not text or len(text) > MAX_ID_LENGTH or not text.isprintable():
            raise UnknownPaperError(f"not a paper id: {arxiv_id[:MAX_ID_LENGTH]!r}")
        paper = self._store.get_paper(text)
        if paper is None:
            try:
                bare = parse_arxiv_id(text).bare
            except InvalidArxivIdError:
                bare = None
            paper = self._store.get_paper(bare) if bare else None
        if paper is None:
            raise UnknownPaperError(f"no paper with id {text!r} in the catalog")
        return paper

    def _hub_penalties(
        self, index: VectorIndex, keys: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float64]:
        table = self._penalty_table()
        if table is None:
            return np.zeros(len(keys), dtype=np.float64)
        vectors = []
        for key in keys.tolist():
            stored = index.vector(int(key))
            if stored is None:
                return np.zeros(len(keys), dtype=np.float64)
            vectors.append(stored)
        return table.penalties(keys, np.stack(vectors).astype(np.float32))

    def _penalty_table(self) -> HubPenaltyTable | None:
        """The banks of the current model, resampled once the catalog has doubled since they
        were drawn (a bank stays representative while the catalog keeps its make-up)."""
        model_id = self._embedding.get().model_id
        size = len(self._vectors.vector_index())
        if self._hub_table is not None:
            held_model, held = self._hub_table
            if held_model == model_id and held.catalog_size <= size < 2 * held.catalog_size:
                return held
        keys, matrix = self._store.load_vectors(model_id)
        if len(keys) < 2:
            return None
        table = HubPenaltyTable.sample(
            keys,
            matrix,
            DualBankNormaliser(),
            query_bank_size=QUERY_BANK_SIZE,
            gallery_bank_size=GALLERY_BANK_SIZE,
        )
        self._hub_table = (model_id, table)
        return table


def with_reasons(paper: Paper, hits: list[Hit], rarity: CatalogRarity | None) -> list[Hit]:
    """`hits`, each given its one-line reason (key phrases weighted by catalog rarity)."""
    explainer = Explainer(paper, rarity)
    for hit in hits:
        assert hit.paper is not None
        hit.reason = explainer.explain(hit.paper)
    return hits
