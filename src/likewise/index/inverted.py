"""An in-process inverted index over the papers' title, abstract and authors, for BM25.

Segments hold postings in CSR form (terms sorted, rows ascending within a term, per-field
term frequencies); an index is a large main segment plus a small delta of papers added or
changed since, with deleted rows masked, so statistics over the live rows equal a fresh
build's. Files and freshness live in index/inverted_files.py; scoring in rank/bm25.py.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from likewise.index.tokens import Tokeniser

FIELDS = ("title", "abstract", "authors")
COMPACT_SHARE = 0.10  # the delta is folded into the main segment beyond this share of rows
_MAX_FREQUENCY = np.iinfo(np.uint16).max

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class PaperText:
    """What the index reads of one paper: its store key, a fingerprint of the indexed text
    (changes whenever title, abstract or authors change), and the three fields."""

    key: int
    fingerprint: int
    title: str
    abstract: str
    authors: str
    arxiv_id: str = ""


@dataclass(slots=True)
class Segment:
    """Immutable postings of some rows. Term t's postings are rows[offsets[t]:offsets[t+1]]
    with per-field frequencies frequencies[same range] (title, abstract, authors)."""

    terms: list[str]
    offsets: npt.NDArray[np.int64]  # len(terms) + 1
    rows: npt.NDArray[np.int32]
    frequencies: npt.NDArray[np.uint16]  # (postings, 3)
    keys: IntArray  # per row: the store's paper key
    lengths: npt.NDArray[np.int32]  # (rows, 3): tokens per field
    fingerprints: npt.NDArray[np.uint64]  # per row
    names: npt.NDArray[np.bytes_]  # per row: the arXiv id (UTF-8), so hits need no lookup
    _term_ids: dict[str, int] | None = field(default=None, repr=False)

    @property
    def row_count(self) -> int:
        return len(self.keys)

    def term_id(self, term: str) -> int | None:
        if self._term_ids is None:
            self._term_ids = {term: position for position, term in enumerate(self.terms)}
        return self._term_ids.get(term)

    def postings(self, term: str) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.uint16]]:
        found = self.term_id(term)
        if found is None:
            return _NO_ROWS, _NO_FREQUENCIES
        start, end = int(self.offsets[found]), int(self.offsets[found + 1])
        return self.rows[start:end], self.frequencies[start:end]

    def check(self) -> None:
        """Raise ValueError unless the arrays fit together (a damaged file is caught here)."""
        postings, rows = len(self.rows), len(self.keys)
        consistent = (
            len(self.offsets) == len(self.terms) + 1
            and int(self.offsets[0]) == 0
            and int(self.offsets[-1]) == postings
            and self.frequencies.shape == (postings, len(FIELDS))
            and self.lengths.shape == (rows, len(FIELDS))
            and len(self.fingerprints) == rows
            and len(self.names) == rows
            and _rows_in_range(self.rows, rows)
            and bool(np.all(np.diff(self.offsets) >= 0))
        )
        if not consistent:
            raise ValueError("the inverted index segment is inconsistent")


def _rows_in_range(rows: npt.NDArray[np.int32], count: int) -> bool:
    """Every row number: one vectorised pass (the pages it reads stay shared)."""
    return not len(rows) or (int(rows.min()) >= 0 and int(rows.max()) < count)


_NO_ROWS = np.zeros(0, dtype=np.int32)
_NO_FREQUENCIES = np.zeros((0, len(FIELDS)), dtype=np.uint16)
_NO_IDS = np.zeros(0, dtype=np.int64)


def build_segment(papers: Sequence[PaperText], tokeniser: Tokeniser) -> Segment:
    """Tokenise papers into a new segment (rows in the given order)."""
    vocabulary: dict[str, int] = {}  # term -> id in order of first sight
    word_ids: dict[str, int] = {}  # surface word -> its term's id (most words repeat)
    lengths = np.zeros((len(papers), len(FIELDS)), dtype=np.int32)
    token_ids: list[IntArray] = []
    for column, name in enumerate(FIELDS):
        found: array[int] = array("q")
        for row, paper in enumerate(papers):
            words = tokeniser.words(getattr(paper, name))
            ids = list(map(word_ids.get, words))
            if None in ids:
                for position, word in enumerate(words):
                    if ids[position] is None:
                        term = tokeniser.stem(word)
                        ids[position] = word_ids[word] = vocabulary.setdefault(
                            term, len(vocabulary)
                        )
            lengths[row, column] = len(ids)
            found.extend(ids)  # type: ignore[arg-type]  # no None is left
        token_ids.append(np.frombuffer(found, dtype=np.int64) if len(found) else _NO_IDS)
    # Number terms in sorted order, so every segment's vocabulary is sorted.
    ordered = sorted(vocabulary)
    renumber = np.empty(len(vocabulary), dtype=np.int64)
    renumber[[vocabulary[term] for term in ordered]] = np.arange(len(ordered))
    width = max(len(papers), 1)
    row_numbers = np.arange(len(papers), dtype=np.int64)
    # One sort of (term, row, field) codes counts every posting's per-field frequency.
    codes = np.concatenate(
        [
            (renumber[ids] * width + np.repeat(row_numbers, lengths[:, column])) * 4 + column
            for column, ids in enumerate(token_ids)
        ]
    )
    codes.sort()
    starts = np.flatnonzero(np.diff(codes, prepend=-1))
    distinct = codes[starts]
    counts = np.diff(np.append(starts, len(codes)))
    pairs = distinct >> 2
    new_pair = np.diff(pairs, prepend=-1) != 0
    posting = np.cumsum(new_pair) - 1
    frequencies = np.zeros((int(new_pair.sum()), len(FIELDS)), dtype=np.uint16)
    frequencies[posting, distinct & 3] = np.minimum(counts, _MAX_FREQUENCY)
    unique_pairs = pairs[new_pair]
    return _assemble(
        ordered,
        unique_pairs // width,
        unique_pairs % width,
        frequencies,
        np.asarray([paper.key for paper in papers], dtype=np.int64),
        lengths,
        np.asarray([paper.fingerprint for paper in papers], dtype=np.uint64),
        _names([paper.arxiv_id for paper in papers]),
    )


def _names(arxiv_ids: list[str]) -> npt.NDArray[np.bytes_]:
    encoded = [arxiv_id.encode("utf-8") for arxiv_id in arxiv_ids]
    width = max((len(name) for name in encoded), default=1) or 1
    return np.asarray(encoded, dtype=f"S{width}")


def _assemble(
    terms: list[str],
    term_of_posting: IntArray,
    rows: IntArray,
    frequencies: npt.NDArray[np.uint16],
    keys: IntArray,
    lengths: npt.NDArray[np.int32],
    fingerprints: npt.NDArray[np.uint64],
    names: npt.NDArray[np.bytes_],
) -> Segment:
    """A segment from postings already sorted by (term, row)."""
    counts = np.bincount(term_of_posting, minlength=len(terms)).astype(np.int64)
    offsets = np.zeros(len(terms) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return Segment(
        terms,
        offsets,
        rows.astype(np.int32),
        np.ascontiguousarray(frequencies, dtype=np.uint16),
        keys,
        np.ascontiguousarray(lengths, dtype=np.int32),
        fingerprints,
        names,
    )


def merge_segments(parts: Sequence[tuple[Segment, npt.NDArray[np.bool_]]]) -> Segment:
    """One segment holding the live rows (mask True) of each part, in order; terms with no
    live posting are dropped. Scores over it equal those over the parts."""
    vocabulary = sorted({term for segment, _ in parts for term in segment.terms})
    position = {term: index for index, term in enumerate(vocabulary)}
    terms_out, rows_out, frequencies_out = [], [], []
    keys, lengths, fingerprints, names = [], [], [], []
    base = 0
    for segment, live in parts:
        new_row = np.cumsum(live, dtype=np.int64) - 1 + base
        renumber = np.asarray([position[term] for term in segment.terms], dtype=np.int64)
        term_of_posting = np.repeat(renumber, np.diff(segment.offsets))
        kept = live[segment.rows]
        terms_out.append(term_of_posting[kept])
        rows_out.append(new_row[segment.rows[kept]])
        frequencies_out.append(np.asarray(segment.frequencies)[kept])
        keys.append(np.asarray(segment.keys)[live])
        lengths.append(np.asarray(segment.lengths)[live])
        fingerprints.append(np.asarray(segment.fingerprints)[live])
        names.append(np.asarray(segment.names)[live])
        base += int(live.sum())
    term_of_posting = np.concatenate(terms_out) if terms_out else np.zeros(0, dtype=np.int64)
    # Rows of later parts come after earlier ones, so a stable sort by term keeps rows sorted.
    order = np.argsort(term_of_posting, kind="stable")
    present = np.bincount(term_of_posting, minlength=len(vocabulary)) > 0
    renumber = np.cumsum(present) - 1
    return _assemble(
        [term for term, used in zip(vocabulary, present, strict=True) if used],
        renumber[term_of_posting[order]],
        np.concatenate(rows_out)[order] if rows_out else np.zeros(0, dtype=np.int64),
        np.concatenate(frequencies_out)[order]
        if frequencies_out
        else np.zeros((0, len(FIELDS)), dtype=np.uint16),
        np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64),
        np.concatenate(lengths) if lengths else np.zeros((0, len(FIELDS)), dtype=np.int32),
        np.concatenate(fingerprints) if fingerprints else np.zeros(0, dtype=np.uint64),
        np.concatenate(names) if names else _names([]),
    )


def empty_segment() -> Segment:
    return build_segment([], Tokeniser())


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

    def arxiv_ids_for_keys(self, keys: Sequence[int]) -> dict[int, str]:
        """The arXiv ids of the live papers among these keys, from the index alone."""
        if self._key_order is None:
            live_rows = np.flatnonzero(self.live)
            order = np.argsort(self.keys[live_rows], kind="stable")
            self._key_order = (self.keys[live_rows][order], live_rows[order])
        sorted_keys, rows = self._key_order
        wanted = np.asarray(keys, dtype=np.int64)
        if not len(sorted_keys) or not len(wanted):
            return {}
        slots = np.searchsorted(sorted_keys, wanted).clip(max=len(sorted_keys) - 1)
        found = sorted_keys[slots] == wanted
        hit_rows = rows[slots[found]]
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
