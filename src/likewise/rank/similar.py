"""Paper-to-paper similarity: whole-abstract cosine, optional hubness correction (DBNorm) and
facet-restricted sentence matching, behind one scoring function shared by the Library and the
CSFCube evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from likewise.rank.facets import FACET_WEIGHT, facet_sentence_scores
from likewise.rank.hubness import DualBankNormaliser

SIMILAR_CONFIGS: tuple[str, ...] = ("cosine", "cosine-dbnorm", "facet", "facet-dbnorm")
"""Variants of score_candidates: plain cosine, cosine with DBNorm hub penalties, cosine blended
with facet-restricted sentence matching, and that blend with hub penalties."""

DEFAULT_CONFIG = "facet"
"""What the CSFCube evaluation showed best (docs/similar.md); "facet" falls back to "cosine"
when the papers carry no sentence vectors."""


class UnknownConfigError(ValueError):
    """The config name is not one of SIMILAR_CONFIGS."""


@dataclass
class PaperRepresentation:
    """What similarity needs of one paper: its unit vector (title + abstract) and, for facet
    matching, unit vectors of its abstract sentences with one facet label per sentence."""

    vector: npt.NDArray[np.float32]
    sentence_vectors: npt.NDArray[np.float32] | None = None
    sentence_facets: Sequence[str] | None = None


def score_candidates(
    query: PaperRepresentation,
    candidates: Sequence[PaperRepresentation],
    *,
    facet: str | None,
    config: str,
    bank: npt.NDArray[np.float32] | None = None,
    normaliser: DualBankNormaliser | None = None,
) -> npt.NDArray[np.float64]:
    """One score per candidate, higher is more similar to the query (for `facet`, if given).

    `bank` (rows are unit vectors of papers) stands in for both the query bank and the gallery
    bank of the "-dbnorm" configs; without one, the query and its candidates form the bank.
    `normaliser` sets the DBNorm temperatures (default DualBankNormaliser()).
    """
    if config not in SIMILAR_CONFIGS:
        raise UnknownConfigError(
            f"unknown similarity config {config!r}; choose one of {', '.join(SIMILAR_CONFIGS)}"
        )
    if not candidates:
        return np.zeros(0, dtype=np.float64)
    gallery = np.stack([candidate.vector for candidate in candidates]).astype(np.float32)
    scores = (gallery @ query.vector.astype(np.float32)).astype(np.float64)
    if config.endswith("-dbnorm"):
        chosen = normaliser or DualBankNormaliser()
        used_bank = bank if bank is not None else np.vstack([query.vector[None, :], gallery])
        penalties = chosen.hub_penalties(gallery, query_bank=used_bank, gallery_bank=used_bank)
        scores = scores - penalties
    if config.startswith("facet") and _has_sentences(query, candidates):
        assert query.sentence_vectors is not None and query.sentence_facets is not None
        sentence_scores = facet_sentence_scores(
            query.sentence_vectors,
            query.sentence_facets,
            [candidate.sentence_vectors for candidate in candidates],  # type: ignore[misc]
            facet=facet,
        )
        scores = (1.0 - FACET_WEIGHT) * scores + FACET_WEIGHT * sentence_scores
    return scores


def _has_sentences(query: PaperRepresentation, candidates: Sequence[PaperRepresentation]) -> bool:
    if query.sentence_vectors is None or query.sentence_facets is None:
        return False
    if len(query.sentence_vectors) == 0:
        return False
    return all(
        candidate.sentence_vectors is not None and len(candidate.sentence_vectors) > 0
        for candidate in candidates
    )
