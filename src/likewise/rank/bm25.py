"""BM25 over the in-process inverted index, exactly as SQLite FTS5's bm25() computes it.

Robertson & Zaragoza, "The Probabilistic Relevance Framework: BM25 and Beyond", Foundations
and Trends in Information Retrieval 3(4), 2009. The FTS5 variant (fts5_aux.c) replicated here,
per query word q and paper D:

    score(D) = sum_q IDF(q) * f(q, D) * (k1 + 1) / (f(q, D) + k1 * (1 - b + b * |D| / avgdl))

with f(q, D) = sum over columns of column weight x occurrences of q in that column,
|D| = tokens over all columns (unweighted), avgdl = mean |D| over all rows,
IDF(q) = ln((N - n(q) + 0.5) / (n(q) + 0.5)) floored at 1e-6 (a word in more than half the
papers still counts a little), k1 = 1.2, b = 0.75. A word that appears twice in the query
(or two words with one stem) is counted twice, as FTS5 scores each query phrase on its own.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from likewise.index.inverted import InvertedIndex

K1 = 1.2
B = 0.75
IDF_FLOOR = 1e-6
# Column weights of (title, abstract, authors): the ones store/sqlite.py hands bm25().
FIELD_WEIGHTS = (4.0, 1.0, 1.0)


@dataclass(frozen=True, slots=True)
class Bm25Parameters:
    k1: float = K1
    b: float = B
    field_weights: tuple[float, float, float] = FIELD_WEIGHTS


def idf(papers: int, containing: int) -> float:
    """FTS5's inverse document frequency of a term found in `containing` of `papers` rows."""
    value = math.log((papers - containing + 0.5) / (containing + 0.5))
    return value if value > 0.0 else IDF_FLOOR


def upper_bound(
    index: InvertedIndex, terms: Sequence[str], parameters: Bm25Parameters = Bm25Parameters()
) -> float:
    """The most any paper can score for these terms: each term adds under IDF x (k1 + 1),
    its limit as the term's frequency grows. A term no paper holds counts with the IDF of
    document frequency 0, so a query of words the catalog lacks has a high bound that no
    paper comes near."""
    papers = len(index)
    return (parameters.k1 + 1.0) * sum(
        idf(papers, index.document_frequency(term)) for term in terms
    )


def bm25_scores(
    index: InvertedIndex, terms: Sequence[str], parameters: Bm25Parameters = Bm25Parameters()
) -> npt.NDArray[np.float64]:
    """Score of every global row of the index (0 where no term occurs)."""
    scores = np.zeros(index.row_count, dtype=np.float64)
    papers = len(index)
    if papers == 0:
        return scores
    for term in terms:
        frequency = index.document_frequency(term)
        if frequency:
            rows, frequencies = index.postings(term)
            scores += _accumulated(index, rows, frequencies, idf(papers, frequency), parameters)
    return scores


def _saturation(index: InvertedIndex, parameters: Bm25Parameters) -> npt.NDArray[np.float64]:
    """k1 (1 - b + b |D| / avgdl) of every row, computed once per index and parameters."""
    cached = _SATURATION.get(index)
    if cached is not None and cached[0] == parameters:
        return cached[1]
    lengths = index.document_lengths / max(index.average_length, 1e-9)
    values: npt.NDArray[np.float64] = parameters.k1 * (1.0 - parameters.b + parameters.b * lengths)
    _SATURATION[index] = (parameters, values)
    return values


_SATURATION: weakref.WeakKeyDictionary[
    InvertedIndex, tuple[Bm25Parameters, npt.NDArray[np.float64]]
] = weakref.WeakKeyDictionary()


def _contributions(
    index: InvertedIndex,
    rows: npt.NDArray[np.int64],
    frequencies: npt.NDArray[np.uint16],
    term_idf: float,
    parameters: Bm25Parameters,
) -> npt.NDArray[np.float64]:
    weights = np.asarray(parameters.field_weights, dtype=np.float32)
    weighted = (frequencies.astype(np.float32) @ weights).astype(np.float64)
    saturation = _saturation(index, parameters)[rows]
    result: npt.NDArray[np.float64] = (term_idf * (parameters.k1 + 1.0)) * weighted
    result /= weighted + saturation
    return result


def _accumulated(
    index: InvertedIndex,
    rows: npt.NDArray[np.int64],
    frequencies: npt.NDArray[np.uint16],
    term_idf: float,
    parameters: Bm25Parameters,
) -> npt.NDArray[np.float64]:
    contributions = _contributions(index, rows, frequencies, term_idf, parameters)
    summed: npt.NDArray[np.float64] = np.bincount(
        rows, weights=contributions, minlength=index.row_count
    ).astype(np.float64, copy=False)
    return summed


def bm25_top(
    index: InvertedIndex,
    terms: Sequence[str],
    limit: int,
    allowed: npt.NDArray[np.int64] | None = None,
    parameters: Bm25Parameters = Bm25Parameters(),
) -> list[tuple[int, float]]:
    """(paper key, score) of the best `limit` papers holding any term, best first; ties go
    to the smaller key (as the FTS5 query orders them). `allowed` (sorted keys) restricts the
    candidates but not the statistics, as a WHERE clause does for FTS5.

    Words in more than half the papers (floored IDF) add under 2.2e-6 each, yet hold most of
    the postings. They are first left out, and then scored only for the papers that could
    still reach the top; when they could decide who enters it, every posting is scored.
    """
    papers = len(index)
    if limit <= 0 or papers == 0:
        return []
    informative: list[tuple[str, int]] = []
    common: list[str] = []
    for term in terms:
        frequency = index.document_frequency(term)
        if frequency and idf(papers, frequency) == IDF_FLOOR:
            common.append(term)
        elif frequency:
            informative.append((term, frequency))
    rows_per_term, contributions = [], []
    for term, frequency in informative:
        rows, frequencies = index.postings(term)
        rows_per_term.append(rows)
        contributions.append(
            _contributions(index, rows, frequencies, idf(papers, frequency), parameters)
        )
    scores = np.zeros(index.row_count, dtype=np.float64)
    if rows_per_term:
        # One pass: each paper's contributions are still summed in query order.
        scores = np.bincount(
            np.concatenate(rows_per_term),
            weights=np.concatenate(contributions),
            minlength=index.row_count,
        ).astype(np.float64, copy=False)
    candidates = _allowed(index, np.flatnonzero(scores), allowed)
    ceiling = len(common) * IDF_FLOOR * (parameters.k1 + 1.0)  # the most they can add
    if common and len(candidates) >= limit:
        values = scores[candidates]
        kth = float(np.partition(values, len(values) - limit)[len(values) - limit])
        if kth >= ceiling:
            candidates = candidates[values >= kth - ceiling]
            for term in common:
                found = index.frequencies_at(term, candidates)
                present = found.any(axis=1)
                scores[candidates[present]] += _contributions(
                    index, candidates[present], found[present], IDF_FLOOR, parameters
                )
            common = []
    if common:
        scores += bm25_scores(index, common, parameters)
        candidates = _allowed(index, np.flatnonzero(scores), allowed)
    return _best(index, scores, candidates, limit)


def _allowed(
    index: InvertedIndex,
    candidates: npt.NDArray[np.int64],
    allowed: npt.NDArray[np.int64] | None,
) -> npt.NDArray[np.int64]:
    if allowed is None or not len(candidates):
        return candidates
    if not len(allowed):
        return candidates[:0]
    keys = index.keys[candidates]
    slots = np.searchsorted(allowed, keys).clip(max=len(allowed) - 1)
    kept: npt.NDArray[np.int64] = candidates[allowed[slots] == keys]
    return kept


def _best(
    index: InvertedIndex,
    scores: npt.NDArray[np.float64],
    candidates: npt.NDArray[np.int64],
    limit: int,
) -> list[tuple[int, float]]:
    if len(candidates) > limit:
        # Keep every candidate tied with the limit-th score, so ties are settled by key.
        values = scores[candidates]
        boundary = np.partition(values, len(values) - limit)[len(values) - limit]
        candidates = candidates[values >= boundary]
    keys = index.keys[candidates]
    order = np.lexsort((keys, -scores[candidates]))[:limit]
    return [
        (int(key), float(score))
        for key, score in zip(keys[order], scores[candidates][order], strict=True)
    ]
