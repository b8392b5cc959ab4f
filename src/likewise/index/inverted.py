"""An in-process inverted index over the papers' title, abstract and authors, for BM25.

An index is a large main segment (index/segments.py) plus a small delta of papers added or
changed since, with deleted rows masked, so statistics over the live rows equal a fresh
build's. Files and freshness live in index/inverted_files.py; scoring in rank/bm25.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from likewise.index.segments import (
    FIELDS,
    IntArray,
    PaperText,
    Segment,
    build_segment,
    empty_segment,
    merge_segments,
)
from likewise.index.tokens import Tokeniser

COMPACT_SHARE = 0.10  # the delta is folded into the main segment beyond this share of rows


class InvertedIndex:
    """A main segment and a delta segment, each with a live-row mask, seen as one index of
    global rows (main rows first). Immutable: updates return a new index."""

    def __init__(
        self,
        main: Segment,
        main_live: npt.NDArray[np.bool_],
        delta: Segment,
        delta_live: npt.NDArray[np.bool_] | None = None,
    ) -> None:
        self.main = main
        self.delta = delta
        self.main_live = main_live
        self.delta_live = np.ones(delta.row_count, dtype=bool) if delta_live is None else delta_live
        self.keys: IntArray = np.concatenate(
            [np.asarray(main.keys), np.asarray(delta.keys)]
        ).astype(np.int64)
        self.live = np.concatenate([main_live, self.delta_live])
        lengths = np.concatenate([np.asarray(main.lengths), np.asarray(delta.lengths)])
        self.field_lengths = lengths
        self.document_lengths = lengths.sum(axis=1, dtype=np.int64).astype(np.float64)
        self.live_rows = int(self.live.sum())
        live_tokens = float(self.document_lengths[self.live].sum())
        self.average_length = live_tokens / self.live_rows if self.live_rows else 0.0
        # The folder name of the main segment once saved (index/inverted_files.py).
        self.published_main: str | None = None
        self._key_order: tuple[IntArray, IntArray] | None = None  # built on first lookup
        self._all_main_live = bool(main_live.all())
        self._all_delta_live = bool(self.delta_live.all())

    def __len__(self) -> int:
        return self.live_rows

    @property
    def row_count(self) -> int:
        return len(self.keys)

    def postings(self, term: str) -> tuple[IntArray, npt.NDArray[np.uint16]]:
        """Global rows (live only) that contain the term, and their per-field frequencies."""
        main_rows, main_frequencies = self.main.postings(term)
        delta_rows, delta_frequencies = self.delta.postings(term)
        if not self._all_main_live and len(main_rows):
            kept = self.main_live[main_rows]
            main_rows, main_frequencies = main_rows[kept], main_frequencies[kept]
        if not self._all_delta_live and len(delta_rows):
            kept = self.delta_live[delta_rows]
            delta_rows, delta_frequencies = delta_rows[kept], delta_frequencies[kept]
        if not len(delta_rows):
            return main_rows.astype(np.int64), main_frequencies
        rows = np.concatenate(
            [main_rows.astype(np.int64), delta_rows.astype(np.int64) + self.main.row_count]
        )
        return rows, np.concatenate([main_frequencies, delta_frequencies])

    def document_frequency(self, term: str) -> int:
        """Live rows that contain the term."""
        count = 0
        for segment, live, all_live in (
            (self.main, self.main_live, self._all_main_live),
            (self.delta, self.delta_live, self._all_delta_live),
        ):
            rows, _ = segment.postings(term)
            count += len(rows) if all_live or not len(rows) else int(live[rows].sum())
        return count

    def frequencies_at(self, term: str, rows: IntArray) -> npt.NDArray[np.uint16]:
        """Per-field frequencies of the term in these live global rows (sorted ascending),
        without reading the term's whole posting list."""
        found = np.zeros((len(rows), len(FIELDS)), dtype=np.uint16)
        split = int(np.searchsorted(rows, self.main.row_count))
        for segment, part, base in (
            (self.main, slice(0, split), 0),
            (self.delta, slice(split, len(rows)), self.main.row_count),
        ):
            wanted = rows[part] - base
            held, frequencies = segment.postings(term)
            if not len(held) or not len(wanted):
                continue
            slots = np.searchsorted(held, wanted).clip(max=len(held) - 1)
            hit = np.asarray(held[slots]) == wanted
            found[part][hit] = frequencies[slots[hit]]
        return found

    def rows_for_keys(self, keys: Sequence[int]) -> IntArray:
        """The live global row of each key, -1 where the index has no live paper for it."""
        if self._key_order is None:
            live_rows = np.flatnonzero(self.live)
            order = np.argsort(self.keys[live_rows], kind="stable")
            self._key_order = (self.keys[live_rows][order], live_rows[order])
        sorted_keys, rows = self._key_order
        wanted = np.asarray(keys, dtype=np.int64)
        found: IntArray = np.full(len(wanted), -1, dtype=np.int64)
        if not len(sorted_keys) or not len(wanted):
            return found
        slots = np.searchsorted(sorted_keys, wanted).clip(max=len(sorted_keys) - 1)
        hit = sorted_keys[slots] == wanted
        found[hit] = rows[slots[hit]]
        return found

    def arxiv_ids_for_keys(self, keys: Sequence[int]) -> dict[int, str]:
        """The arXiv ids of the live papers among these keys, from the index alone."""
        wanted = np.asarray(keys, dtype=np.int64)
        all_rows = self.rows_for_keys(keys)
        found = all_rows >= 0
        hit_rows = all_rows[found]
        split = self.main.row_count
        in_main = hit_rows < split
        encoded = np.empty(len(hit_rows), dtype=object)
        # One gather per segment: indexing a memory map row by row is slow.
        encoded[in_main] = np.asarray(self.main.names)[hit_rows[in_main]].tolist()
        encoded[~in_main] = np.asarray(self.delta.names)[hit_rows[~in_main] - split].tolist()
        return {
            key: name.decode("utf-8")
            for key, name in zip(wanted[found].tolist(), encoded.tolist(), strict=True)
        }

    def live_fingerprints(self) -> dict[int, int]:
        """Key -> text fingerprint of every live row."""
        keys, fingerprints = self.live_keys_and_fingerprints()
        return dict(zip(keys.tolist(), fingerprints.tolist(), strict=True))

    def live_keys_and_fingerprints(self) -> tuple[IntArray, npt.NDArray[np.uint64]]:
        """Keys (ascending) and text fingerprints of the live rows."""
        fingerprints = np.concatenate(
            [np.asarray(self.main.fingerprints), np.asarray(self.delta.fingerprints)]
        )[self.live]
        keys = self.keys[self.live]
        order = np.argsort(keys, kind="stable")
        return keys[order], fingerprints[order]

    def differences(
        self, keys: IntArray, fingerprints: npt.NDArray[np.uint64], *, complete: bool
    ) -> tuple[list[int], list[int]]:
        """Against the catalog's (key, fingerprint) pairs: keys to (re)index, and (when the
        pairs are `complete`, not just the newest papers) live keys the catalog lacks."""
        held_keys, held_fingerprints = self.live_keys_and_fingerprints()
        same = np.zeros(len(keys), dtype=bool)
        if len(held_keys) and len(keys):
            slots = np.searchsorted(held_keys, keys).clip(max=len(held_keys) - 1)
            same = (held_keys[slots] == keys) & (held_fingerprints[slots] == fingerprints)
        changed = np.sort(keys[~same])
        removed = np.setdiff1d(held_keys, keys) if complete else held_keys[:0]
        return changed.tolist(), removed.tolist()

    def max_key(self) -> int:
        return int(self.keys.max()) if len(self.keys) else 0

    def updated(
        self, papers: Sequence[PaperText], removed: Sequence[int], tokeniser: Tokeniser
    ) -> InvertedIndex:
        """This index with `papers` added or replaced and the `removed` keys dropped; the
        delta is folded into a new main segment once it outgrows COMPACT_SHARE."""
        gone = np.asarray([*removed, *(paper.key for paper in papers)], dtype=np.int64)
        main_live = self.main_live & ~np.isin(np.asarray(self.main.keys), gone)
        delta_live = self.delta_live & ~np.isin(np.asarray(self.delta.keys), gone)
        added = build_segment(papers, tokeniser)
        delta = merge_segments([(self.delta, delta_live), (added, np.ones(len(papers), bool))])
        live_main = int(main_live.sum())
        dead = int((~main_live).sum())
        if delta.row_count + dead > COMPACT_SHARE * max(live_main, 1):
            return InvertedIndex.compacted(
                [(self.main, main_live), (delta, np.ones(delta.row_count, bool))]
            )
        kept = InvertedIndex(self.main, main_live, delta)
        kept.published_main = self.published_main
        return kept

    def appended(self, papers: Sequence[PaperText], tokeniser: Tokeniser) -> InvertedIndex:
        """This index with new papers (keys above `max_key`) added to the delta: no row is
        masked and nothing is compacted, so it is cheap enough for the search path."""
        if not papers:
            return self
        if min(paper.key for paper in papers) <= self.max_key():
            raise ValueError("appended papers must have keys above the newest indexed one")
        added = build_segment(papers, tokeniser)
        delta = merge_segments([(self.delta, self.delta_live), (added, np.ones(len(papers), bool))])
        kept = InvertedIndex(self.main, self.main_live, delta)
        kept.published_main = self.published_main
        return kept

    @staticmethod
    def compacted(parts: Sequence[tuple[Segment, npt.NDArray[np.bool_]]]) -> InvertedIndex:
        main = merge_segments(parts)
        return InvertedIndex(main, np.ones(main.row_count, dtype=bool), empty_segment())

    @staticmethod
    def built(papers: Sequence[PaperText], tokeniser: Tokeniser) -> InvertedIndex:
        main = build_segment(papers, tokeniser)
        return InvertedIndex(main, np.ones(main.row_count, dtype=bool), empty_segment())
