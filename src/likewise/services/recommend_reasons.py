"""One recommended paper and its one-line reason: the nearest of the reader's papers and the
key terms they share (rank/reasons.py's Explainer), as the personal feed shows them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from likewise.models import AlsoAs, Paper
from likewise.rank.key_phrases import CatalogRarity
from likewise.rank.reasons import Explainer
from likewise.services.recommend_sources import Positive

REASON_TERMS = 2
CLOSE = 0.5  # a cosine from which "close to" is what a reader would call it


@dataclass(slots=True)
class Recommendation:
    """One recommended paper: its ranking score (standardised per reader, so comparable
    within one feed only), the cosine to the nearest of the reader's papers, and why."""

    paper: Paper
    score: float
    reason: str
    nearest_title: str
    nearest_id: str | None
    shared_terms: list[str] = field(default_factory=list)
    day: date | None = None
    similarity: float = 0.0
    also_as: list[AlsoAs] = field(default_factory=list)  # the work's other records, not listed


def short_title(title: str, limit: int = 70) -> str:
    """The title on one line, cut at `limit` characters with an ellipsis."""
    text = " ".join(title.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def explained(
    positives: Sequence[Positive],
    nearest: int,
    paper: Paper,
    day: date | None,
    score: float,
    explainers: dict[int, Explainer],
    rarity: CatalogRarity | None,
    cosine: float,
) -> Recommendation:
    """The Recommendation of `paper` with its reason; `nearest` indexes `positives` (-1: none,
    and no reason). `explainers` caches one Explainer per positive across a reader's feed."""
    if not 0 <= nearest < len(positives):
        return Recommendation(paper, score, "", "", None, [], day, cosine)
    positive = positives[nearest]
    if nearest not in explainers:
        explainers[nearest] = Explainer(positive.paper, rarity)
    terms = explainers[nearest].shared(paper, REASON_TERMS)
    lead = "close to" if cosine >= CLOSE else "nearest of yours:"
    reason = f"{lead} “{short_title(positive.paper.title)}” ({positive.how})"
    if terms:
        reason += f"; shared terms: {', '.join(terms)}"
    return Recommendation(
        paper, score, reason, positive.paper.title, positive.arxiv_id, terms, day, cosine
    )
