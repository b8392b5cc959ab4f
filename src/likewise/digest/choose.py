"""From one subscriber's matched papers to a digest that reads well: themes, folded duplicates.

Papers are grouped by the interest that picked them (a saved search, a liked paper, followed
authors, trending, or the primary category for category-only interests); a paper whose vector
is nearly identical to a better-ranked one in the same digest (cosine >= FOLD_SIMILARITY: the
same work posted twice, a companion paper), or a near-duplicate record of it (one group in
services/near_duplicates.py), is folded under it as "also" instead of repeated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt

from likewise.models import Evidence, Paper
from likewise.rank.batch_match import Pick
from likewise.store.digests import Subscriber, SuggestionRecord

FOLD_SIMILARITY = 0.93
NEW_IN = "new in your categories"


@dataclass(slots=True)
class DigestItem:
    paper: Paper
    reason: str
    score: float
    also: list[Paper] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)  # why it matched its search


@dataclass(slots=True)
class Theme:
    title: str
    items: list[DigestItem] = field(default_factory=list)


@dataclass(slots=True)
class DigestPlan:
    """What one subscriber gets for one window, before it is rendered."""

    subscriber: Subscriber
    window_start: date
    window_end: date
    themes: list[Theme] = field(default_factory=list)

    @property
    def paper_count(self) -> int:
        return sum(1 + len(item.also) for theme in self.themes for item in theme.items)

    def records(self) -> list[SuggestionRecord]:
        """Every paper the digest shows (folded ones too): each is then never suggested again."""
        found: list[SuggestionRecord] = []
        for theme in self.themes:
            for item in theme.items:
                found.append(SuggestionRecord(item.paper.arxiv_id, item.reason, theme.title))
                found += [
                    SuggestionRecord(paper.arxiv_id, f"also: {item.reason}", theme.title)
                    for paper in item.also
                ]
        return found


def theme_title(reason: str, paper: Paper) -> str:
    """The heading a pick is listed under."""
    if reason.startswith("matches your search "):
        return "Your search " + reason.removeprefix("matches your search ")
    if reason.startswith("similar to "):
        return "Like " + reason.removeprefix("similar to ")
    if reason.startswith("by "):
        return "Authors you follow"
    if reason.startswith("trending #"):
        return "Trending"
    if reason == NEW_IN:
        return f"New in {paper.primary_category or 'your categories'}"
    return reason


def _spelled(reason: str, paper: Paper) -> str:
    """Matching compares case-folded author names; show the name as the paper spells it."""
    if reason.startswith("by "):
        wanted = reason.removeprefix("by ")
        for name in paper.authors:
            if name.casefold() == wanted:
                return f"by {name}"
    return reason


def choose(
    subscriber: Subscriber,
    window_start: date,
    window_end: date,
    picks: Sequence[Pick],
    papers: Sequence[Paper],
    vectors: npt.NDArray[np.float32],
    groups: Mapping[str, Sequence[str]] | None = None,
) -> DigestPlan:
    """Group `picks` (best first; columns index `papers` and `vectors`) into themes;
    `groups` names each paper's near-duplicate records."""
    plan = DigestPlan(subscriber, window_start, window_end)
    if not picks:
        return plan
    columns = [pick.column for pick in picks]
    chosen = vectors[columns].astype(np.float64)
    similarity = chosen @ chosen.T
    kept: list[tuple[int, DigestItem]] = []  # (position in picks, item)
    themes: dict[str, Theme] = {}
    for position, pick in enumerate(picks):
        paper = papers[pick.column]
        twins = set((groups or {}).get(paper.arxiv_id, ()))
        host = next(
            (
                item
                for earlier, item in kept
                if similarity[position, earlier] >= FOLD_SIMILARITY or item.paper.arxiv_id in twins
            ),
            None,
        )
        if host is not None:
            host.also.append(paper)
            continue
        item = DigestItem(paper, _spelled(pick.reason, paper), pick.score)
        kept.append((position, item))
        title = theme_title(pick.reason, paper)
        themes.setdefault(title, Theme(title)).items.append(item)
    # Themes keep the order of their best pick, since picks arrive best first.
    plan.themes = list(themes.values())
    return plan
