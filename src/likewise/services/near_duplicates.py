"""Near-duplicate service: check new and changed papers at ingest (and a backfill), and show
each work once: "also as" links and lists collapsed to one record per group.

Detection is rank/near_duplicates.py (MinHash/LSH candidates, then the pair rule); the rows
are store/near_duplicates.py. See docs/near_duplicates.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from likewise.models import AlsoAs
from likewise.rank.near_duplicates import (
    DEFAULT_RULE,
    Prepared,
    Record,
    Rule,
    abstract_band_keys,
    compare,
    prepare,
    title_band_keys,
)
from likewise.store.base import CatalogStore
from likewise.store.near_duplicates import Checked, NearDuplicateRepository, StoredRecord

BATCH = 2000
T = TypeVar("T")


@dataclass(slots=True)
class CheckSummary:
    checked: int = 0  # papers (re)checked
    pairs: int = 0  # duplicate pairs found among them


class NearDuplicateService:
    """Finds and reads groups of records of one work."""

    def __init__(
        self, store: CatalogStore, rows: NearDuplicateRepository, rule: Rule = DEFAULT_RULE
    ) -> None:
        self._store = store
        self._rows = rows
        self._rule = rule

    # -- detection -------------------------------------------------------------------------------
    def update(self, batch: int = BATCH) -> CheckSummary:
        """Check every paper that is new or changed since its last check; the others keep
        their rows. Used after each ingest and by `likewise duplicates update` (backfill)."""
        summary = CheckSummary()
        while True:
            records = self._rows.unchecked(batch)
            if not records:
                return summary
            summary.pairs += self._check(records)
            summary.checked += len(records)

    def _check(self, records: Sequence[StoredRecord]) -> int:
        prepared = {record.key: prepare(_rule_record(record)) for record in records}
        checked = [
            Checked(
                record.key,
                record.content_hash,
                title_band_keys(record.title) + abstract_band_keys(prepared[record.key].abstract),
            )
            for record in records
        ]
        # Bands first: papers of one batch then find each other as well as older papers.
        self._rows.replace_bands(checked)
        members = self._rows.band_members(band for item in checked for band in item.bands)
        candidates: set[tuple[int, int]] = set()
        for item in checked:
            for band in item.bands:
                for other in members.get(band, ()):
                    if other != item.key:
                        candidates.add((min(item.key, other), max(item.key, other)))
        missing = {key for pair in candidates for key in pair if key not in prepared}
        for key, record in self._rows.records(missing).items():
            prepared[key] = prepare(_rule_record(record))
        pairs = [
            (a, b)
            for a, b in sorted(candidates)
            if a in prepared and b in prepared and self._same(prepared[a], prepared[b])
        ]
        self._rows.finish(checked, pairs)
        return len(pairs)

    def _same(self, a: Prepared, b: Prepared) -> bool:
        return self._rule.is_duplicate(compare(a, b))

    # -- reading ---------------------------------------------------------------------------------
    def also_as(self, arxiv_ids: Sequence[str]) -> dict[str, list[AlsoAs]]:
        """For each id with near-duplicates, its group's other records (id and title)."""
        groups = self._rows.groups_of(arxiv_ids)
        if not groups:
            return {}
        others = {other for members in groups.values() for other in members}
        papers = self._store.get_papers(sorted(others))
        return {
            arxiv_id: [AlsoAs(other, papers[other].title) for other in members if other in papers]
            for arxiv_id, members in groups.items()
        }

    def collapse(
        self, items: Sequence[T], arxiv_id: Callable[[T], str]
    ) -> tuple[list[T], dict[str, list[AlsoAs]]]:
        """The items with each group kept once, at its best-placed member (items come best
        first), and the "also as" records of every kept item that has any."""
        ids = [arxiv_id(item) for item in items]
        groups = self.also_as(ids)
        return collapse_groups(items, arxiv_id, groups)


def collapse_groups(
    items: Sequence[T], arxiv_id: Callable[[T], str], groups: dict[str, list[AlsoAs]]
) -> tuple[list[T], dict[str, list[AlsoAs]]]:
    """collapse() over known groups: a later item whose id is in a kept item's group goes."""
    kept: list[T] = []
    covered: set[str] = set()
    also: dict[str, list[AlsoAs]] = {}
    for item in items:
        identifier = arxiv_id(item)
        if identifier in covered:
            continue
        kept.append(item)
        covered.add(identifier)
        others = groups.get(identifier, [])
        if others:
            also[identifier] = others
            covered.update(other.arxiv_id for other in others)
    return kept, also


def _rule_record(record: StoredRecord) -> Record:
    return Record(record.arxiv_id, record.title, record.abstract, record.authors, record.listed)
