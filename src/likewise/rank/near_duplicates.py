"""Near-duplicate records of one work: MinHash candidates, then a rule over the pair's features.

Candidates are found as in Broder, "On the resemblance and containment of documents"
(SEQUENCES 1997): word shingles of the normalised title and of the abstract, hashed in
numpy, a MinHash signature of each, and LSH banding (Leskovec, Rajaraman & Ullman, *Mining
of Massive Datasets*, ch. 3) so that only records sharing a band are compared. The rule then
compares the two records exactly: title and abstract Jaccard, author overlap, version markers
in the titles ("++", "v2", years, model sizes) and, for two arXiv records, the days between.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from likewise.models import normalise_name, normalise_title

# MinHash: 8 bands of 2 rows for titles (pairs with word Jaccard 0.5 meet in a band with
# probability 0.9), 8 bands of 3 rows for abstracts (3-shingle Jaccard 0.4: 0.41, 0.6: 0.85).
TITLE_BANDS, TITLE_ROWS = 8, 2
ABSTRACT_BANDS, ABSTRACT_ROWS = 8, 3
_PRIME = (1 << 61) - 1
_rng = np.random.default_rng(20261203)  # fixed: stored band keys must not change between runs
_SIZE = TITLE_BANDS * TITLE_ROWS + ABSTRACT_BANDS * ABSTRACT_ROWS
_MUL = _rng.integers(1, _PRIME, _SIZE, dtype=np.uint64) | np.uint64(1)
_ADD = _rng.integers(0, _PRIME, _SIZE, dtype=np.uint64)
_TOKEN = re.compile(r"[^\s:;,()\[\]{}/]+")
# A marker names an edition: a number or version ("2025", "9B", "1.5", "v2"), a name ending
# in a digit ("Qwen3", "MEGC2026") or a "+" ("RobustSplat++"); "3D" is a dimension, not one.
_SHINGLE_MUL = np.uint64(0x9E3779B97F4A7C15)  # odd: a wrapping multiply keeps every bit
_PLACE = _rng.integers(1, _PRIME, 64, dtype=np.uint64) | np.uint64(1)  # per byte position
_MARKER = re.compile(r"^(v?\d+(\.\d+)*[a-z]?|.*[a-z]\d+(\.\d+)*|.*\+)$")
_DIMENSION = re.compile(r"^\d+d$")


@dataclass(frozen=True, slots=True)
class Record:
    """What the rule reads of one stored paper."""

    arxiv_id: str
    title: str
    abstract: str
    authors: Sequence[str]
    listed: date | None = None  # the announcement (else submission) day

    @property
    def is_local(self) -> bool:
        return self.arxiv_id.startswith("local:")


@dataclass(frozen=True, slots=True)
class PairFeatures:
    title: float  # Jaccard of the normalised title words
    abstract: float | None  # Jaccard of abstract word 3-shingles; None when one has none
    authors: float | None  # overlap coefficient of initial + surname; None when one has none
    marker_conflict: bool  # the titles name different editions ("v2", "2026", "++")
    days_apart: int | None  # between two arXiv records' listing days


@dataclass(frozen=True, slots=True)
class Rule:
    """The decision rule; `threshold` is chosen on the fit split (bench/near_duplicates.py).

    A pair is one work when the titles name no different editions, the authors overlap by
    at least `min_authors` (or one side lists none), and either the titles alone are close
    (`title >= title_only`), or title and abstract together score at least `threshold`
    (score = title + abstract_weight * abstract). Two arXiv records listed within
    `same_batch_days` of each other are a re-submission only through their titles: authors
    who post two papers at once often paste one abstract into both.
    """

    # Chosen on the fit pairs by bench/near_duplicates.py (best F0.5; docs/near_duplicates.md).
    threshold: float = 1.1
    title_only: float = 0.85
    abstract_weight: float = 1.0
    min_authors: float = 0.5
    same_batch_days: int = 7

    def score(self, features: PairFeatures) -> float:
        return features.title + self.abstract_weight * (features.abstract or 0.0)

    def is_duplicate(self, features: PairFeatures) -> bool:
        if features.marker_conflict:
            return False
        if features.authors is not None and features.authors < self.min_authors:
            return False
        if features.title >= self.title_only:
            return True
        if features.abstract is None:
            return False
        same_batch = features.days_apart is not None and features.days_apart <= self.same_batch_days
        if same_batch and features.title < 0.5:
            return False
        return self.score(features) >= self.threshold


DEFAULT_RULE = Rule()


def title_words(title: str) -> frozenset[str]:
    return frozenset(normalise_title(title).split())


def abstract_shingles(abstract: str, size: int = 3) -> frozenset[str]:
    """The word 3-shingles as text (the gather script's filter; the rule uses their hashes)."""
    words = normalise_title(abstract).split()
    if len(words) < size:
        return frozenset([" ".join(words)]) if words else frozenset()
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


def word_hashes(normalised: str) -> npt.NDArray[np.uint64]:
    """A stable 64-bit hash of each word of a normalised text (words split by single spaces),
    vectorised: each byte times a fixed random number for its place in the word, summed per
    word (np.add.reduceat), then mixed."""
    if not normalised:
        return np.zeros(0, dtype=np.uint64)
    data = np.frombuffer(normalised.encode("utf-8"), dtype=np.uint8).astype(np.uint64)
    space = data == 32
    starts = np.flatnonzero(np.concatenate(([True], space[:-1])))
    marks = np.zeros(len(data), dtype=np.int64)
    marks[starts] = starts
    place = np.arange(len(data)) - np.maximum.accumulate(marks)
    values = np.where(space, np.uint64(0), data * _PLACE[np.minimum(place, len(_PLACE) - 1)])
    hashes = np.add.reduceat(values, starts)
    hashes ^= hashes >> np.uint64(29)
    hashes *= _SHINGLE_MUL
    hashes ^= hashes >> np.uint64(32)
    return hashes


def abstract_hashes(abstract: str, size: int = 3) -> npt.NDArray[np.uint64]:
    """Sorted distinct 64-bit hashes of the abstract's word 3-shingles, all in numpy; Jaccard
    over these equals Jaccard over the shingle texts but for 64-bit collisions, at a fraction
    of the cost of building the strings."""
    hashes = word_hashes(normalise_title(abstract))
    if not len(hashes):
        return hashes
    span = min(size, len(hashes))
    combined = np.zeros(len(hashes) - span + 1, dtype=np.uint64)
    for offset in range(span):
        combined = combined * _SHINGLE_MUL + hashes[offset : len(hashes) - span + 1 + offset]
    combined ^= combined >> np.uint64(31)
    return np.unique(combined)


def title_markers(title: str) -> frozenset[str]:
    tokens = (token.strip(".-'\"").lower() for token in _TOKEN.findall(title.replace("$", "")))
    found = set()
    for token in tokens:
        for part in token.split("-") if not token.endswith("+") else [token]:
            if part and _MARKER.match(part) and not _DIMENSION.match(part):
                found.add(part.replace("^{+}", "+").replace("{", "").replace("}", ""))
    return frozenset(found)


def author_keys(authors: Iterable[str]) -> frozenset[str]:
    """First initial and surname: "Jungyeon Park" and "J. Park" are one author."""
    keys = set()
    for author in authors:
        words = normalise_name(author).replace(".", " ").split()
        if words and words[-1] not in {"others", "al"}:
            keys.add(f"{words[0][0]} {words[-1]}" if len(words) > 1 else words[0])
    return frozenset(keys)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A record's parts the rule compares, computed once however many pairs it is in."""

    record: Record
    title: frozenset[str]
    abstract: npt.NDArray[np.uint64]
    authors: frozenset[str]
    markers: frozenset[str]


def prepare(record: Record) -> Prepared:
    return Prepared(
        record,
        title_words(record.title),
        abstract_hashes(record.abstract),
        author_keys(record.authors),
        title_markers(record.title),
    )


def features_of(a: Record, b: Record) -> PairFeatures:
    return compare(prepare(a), prepare(b))


def compare(a: Prepared, b: Prepared) -> PairFeatures:
    abstract = None
    if len(a.abstract) and len(b.abstract):
        shared = len(np.intersect1d(a.abstract, b.abstract, assume_unique=True))
        abstract = shared / (len(a.abstract) + len(b.abstract) - shared)
    authors = (a.authors, b.authors)
    days = None
    first, second = a.record, b.record
    if first.listed and second.listed and not (first.is_local or second.is_local):
        days = abs((first.listed - second.listed).days)
    return PairFeatures(
        title=jaccard(a.title, b.title),
        abstract=abstract,
        authors=(len(authors[0] & authors[1]) / min(map(len, authors))) if all(authors) else None,
        marker_conflict=a.markers != b.markers,
        days_apart=days,
    )


def _minhash(hashes: npt.NDArray[np.uint64], start: int, size: int) -> npt.NDArray[np.uint64]:
    mixed = hashes[:, None] * _MUL[None, start : start + size] + _ADD[None, start : start + size]
    mixed ^= mixed >> np.uint64(29)  # wrapping multiply-add, then fold the high bits down
    minimum: npt.NDArray[np.uint64] = mixed.min(axis=0)
    return minimum


def _band_keys(kind: int, signature: npt.NDArray[np.uint64], rows: int) -> list[int]:
    keys = []
    for band in range(len(signature) // rows):
        data = bytes([kind, band]) + signature[band * rows : (band + 1) * rows].tobytes()
        digest = hashlib.blake2b(data, digest_size=8).digest()
        keys.append(int.from_bytes(digest, "big", signed=True))
    return keys


def title_band_keys(title: str) -> list[int]:
    """The title's LSH buckets (word and word-pair shingles)."""
    words = word_hashes(normalise_title(title))
    if not len(words):
        return []
    shingles = np.unique(np.concatenate((words, words[:-1] * _SHINGLE_MUL + words[1:])))
    signature = _minhash(shingles, 0, TITLE_BANDS * TITLE_ROWS)
    return _band_keys(1, signature, TITLE_ROWS)


def band_keys(title: str, abstract: str) -> list[int]:
    """The LSH buckets of one record (signed 64-bit): records sharing one are candidates."""
    return title_band_keys(title) + abstract_band_keys(abstract_hashes(abstract))


def abstract_band_keys(hashes: npt.NDArray[np.uint64]) -> list[int]:
    """The abstract's LSH buckets, from its abstract_hashes."""
    if len(hashes) < 5:  # a one-line "abstract" would match everything alike
        return []
    start = TITLE_BANDS * TITLE_ROWS
    signature = _minhash(hashes, start, ABSTRACT_BANDS * ABSTRACT_ROWS)
    return _band_keys(2, signature, ABSTRACT_ROWS)


def groups_of(pairs: Iterable[tuple[str, str]]) -> list[set[str]]:
    """Connected components of the duplicate pairs (a work may have three records)."""
    parent: dict[str, str] = {}

    def find(item: str) -> str:
        parent.setdefault(item, item)
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for a, b in pairs:
        root_a, root_b = find(a), find(b)
        if root_a != root_b:
            parent[max(root_a, root_b)] = min(root_a, root_b)
    groups: dict[str, set[str]] = {}
    for item in parent:
        groups.setdefault(find(item), set()).add(item)
    return list(groups.values())
