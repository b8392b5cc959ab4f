"""Near-duplicate records of one work: MinHash candidates, then a rule over the pair's features.

Candidates are found as in Broder, "On the resemblance and containment of documents"
(SEQUENCES 1997): word shingles of the normalised title and of the abstract, a MinHash
signature of each, and LSH banding (Leskovec, Rajaraman & Ullman, *Mining of Massive
Datasets*, ch. 3) so that only records sharing a band are compared. The rule then compares
the two records exactly: title and abstract Jaccard, author overlap, version markers in the
titles ("++", "v2", years, model sizes) and, for two arXiv records, the days between them.
"""

from __future__ import annotations

import hashlib
import re
import zlib
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
    words = normalise_title(abstract).split()
    if len(words) < size:
        return frozenset([" ".join(words)]) if words else frozenset()
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


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


def features_of(a: Record, b: Record) -> PairFeatures:
    abstracts = (abstract_shingles(a.abstract), abstract_shingles(b.abstract))
    authors = (author_keys(a.authors), author_keys(b.authors))
    days = None
    if a.listed is not None and b.listed is not None and not (a.is_local or b.is_local):
        days = abs((a.listed - b.listed).days)
    return PairFeatures(
        title=jaccard(title_words(a.title), title_words(b.title)),
        abstract=jaccard(*abstracts) if all(abstracts) else None,
        authors=(len(authors[0] & authors[1]) / min(map(len, authors))) if all(authors) else None,
        marker_conflict=title_markers(a.title) != title_markers(b.title),
        days_apart=days,
    )


def _shingle_hashes(shingles: Iterable[str]) -> npt.NDArray[np.uint64]:
    # Two CRC-32s (the second seeded) make 64 stable bits at C speed; str's own hash is
    # salted per process, and stored band keys must mean the same in the next process.
    values = []
    for shingle in shingles:
        data = shingle.encode("utf-8")
        values.append(zlib.crc32(data) | (zlib.crc32(data, 0x9E3779B9) << 32))
    return np.array(values, dtype=np.uint64)


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


def band_keys(title: str, abstract: str) -> list[int]:
    """The LSH buckets of one record (signed 64-bit): records sharing one are candidates."""
    keys: list[int] = []
    words = title_words(title)
    if words:
        shingles = set(words) | {f"{x} {y}" for x, y in zip(*_pairs(title), strict=True)}
        signature = _minhash(_shingle_hashes(sorted(shingles)), 0, TITLE_BANDS * TITLE_ROWS)
        keys += _band_keys(1, signature, TITLE_ROWS)
    shingles_of_abstract = abstract_shingles(abstract)
    if len(shingles_of_abstract) >= 5:  # a one-line "abstract" would match everything alike
        start = TITLE_BANDS * TITLE_ROWS
        signature = _minhash(
            _shingle_hashes(sorted(shingles_of_abstract)), start, ABSTRACT_BANDS * ABSTRACT_ROWS
        )
        keys += _band_keys(2, signature, ABSTRACT_ROWS)
    return keys


def _pairs(title: str) -> tuple[list[str], list[str]]:
    words = normalise_title(title).split()
    return words[:-1], words[1:]


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
