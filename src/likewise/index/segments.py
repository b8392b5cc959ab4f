"""Segments of the in-process inverted index: postings of a batch of papers in CSR form
(terms sorted, rows ascending within a term, per-field term frequencies), built from paper
texts, checked on load, and merged with deleted rows left out."""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from likewise.index.tokens import Tokeniser

FIELDS = ("title", "abstract", "authors")
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
