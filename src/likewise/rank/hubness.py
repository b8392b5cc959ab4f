"""Hubness: DBNorm's dual inverted softmax as cheap per-paper penalties, and the hubness measures
(k-occurrence skewness, share of papers in nobody's top-k).

DBNorm is from Wang, Jian and Xue, "Balance Act: Mitigating Hubness in Cross-Modal Retrieval
with Query and Gallery Banks", EMNLP 2023; the inverted softmax it doubles is from Bogolin et al.,
"Cross Modal Retrieval with Querybank Normalisation", CVPR 2022. Hubness measures follow
Radovanović et al., "Hubs in Space", JMLR 2010.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

_BLOCK_ROWS = 2048


@dataclass(frozen=True)
class DualBankNormaliser:
    """Dual inverted softmax: for query q and gallery paper g with cosine s(q, g),

        score(q, g) = exp(b1 s(q, g)) / Z_Q(g)  *  exp(b2 s(q, g)) / Z_G(g),
        Z_Q(g) = sum over the query bank q' of exp(b1 s(q', g)),
        Z_G(g) = sum over the gallery bank g' of exp(b2 s(g', g)).

    A paper close to many bank items (a hub) gets a large normaliser. Z_Q and Z_G do not depend
    on q, so the log of the score divided by (b1 + b2) ranks exactly like
    s(q, g) - penalty(g) with penalty(g) = (log Z_Q(g) + log Z_G(g)) / (b1 + b2): the penalties
    are computed once per catalog and a query pays one subtraction per candidate.

    Paper-to-paper similarity has one modality, so both banks hold catalog papers: the query bank
    a sample standing in for the papers people ask about, the gallery bank the catalog (or a
    sample). A bank row that is the gallery paper itself (cosine >= duplicate_cosine) is left out
    of that paper's sums: its exp(b) term would otherwise dominate every normaliser equally and
    wash out the correction.
    """

    # QB-Norm's inverse temperature (20) for both banks. Measured against the Balance Act
    # code's defaults (1/1.99 and 3) on three corpora, it cut the k-occurrence skewness about
    # twice as much (bench/hubness.py, docs/similar.md); the CSFCube score was the same.
    query_inverse_temperature: float = 20.0
    gallery_inverse_temperature: float = 20.0
    duplicate_cosine: float = 0.9999

    def __post_init__(self) -> None:
        if self.query_inverse_temperature <= 0 or self.gallery_inverse_temperature <= 0:
            raise ValueError("DBNorm inverse temperatures must be positive")

    def log_normalisers(
        self,
        gallery: npt.NDArray[np.float32],
        bank: npt.NDArray[np.float32],
        inverse_temperature: float,
    ) -> npt.NDArray[np.float64]:
        """log sum over bank rows b of exp(beta * b . g), for every gallery row g."""
        result = np.empty(len(gallery), dtype=np.float64)
        bank32 = np.ascontiguousarray(bank, dtype=np.float32)
        for start in range(0, len(gallery), _BLOCK_ROWS):
            block = np.asarray(gallery[start : start + _BLOCK_ROWS], dtype=np.float32)
            similarities = (block @ bank32.T).astype(np.float64)
            logits = inverse_temperature * similarities
            logits[similarities >= self.duplicate_cosine] = -np.inf
            result[start : start + len(block)] = _log_sum_exp_rows(logits)
        return result

    def hub_penalties(
        self,
        gallery: npt.NDArray[np.float32],
        *,
        query_bank: npt.NDArray[np.float32],
        gallery_bank: npt.NDArray[np.float32],
    ) -> npt.NDArray[np.float64]:
        """penalty(g) per gallery row, centred on its mean so corrected scores stay on the
        cosine scale (a constant shift changes no ranking)."""
        penalties = self.raw_penalties(gallery, query_bank=query_bank, gallery_bank=gallery_bank)
        finite = np.isfinite(penalties)
        centre = float(penalties[finite].mean()) if finite.any() else 0.0
        # A paper whose only bank neighbour is itself has no evidence of being a hub.
        return np.where(finite, penalties, centre) - centre

    def raw_penalties(
        self,
        gallery: npt.NDArray[np.float32],
        *,
        query_bank: npt.NDArray[np.float32],
        gallery_bank: npt.NDArray[np.float32],
    ) -> npt.NDArray[np.float64]:
        """(log Z_Q(g) + log Z_G(g)) / (b1 + b2), uncentred; -inf where a bank is empty."""
        beta_query = self.query_inverse_temperature
        beta_gallery = self.gallery_inverse_temperature
        log_query = self.log_normalisers(gallery, query_bank, beta_query)
        log_gallery = self.log_normalisers(gallery, gallery_bank, beta_gallery)
        return (log_query + log_gallery) / (beta_query + beta_gallery)


class HubPenaltyTable:
    """Hub penalties of catalog papers against fixed query and gallery banks sampled from the
    catalog, computed on demand per paper key and remembered, so a similar-papers request pays
    only for candidates it has not seen before (a bank of B papers costs B dot products)."""

    def __init__(
        self,
        normaliser: DualBankNormaliser,
        query_bank: npt.NDArray[np.float32],
        gallery_bank: npt.NDArray[np.float32],
        catalog_size: int,
    ) -> None:
        self.normaliser = normaliser
        self.query_bank = np.ascontiguousarray(query_bank, dtype=np.float32)
        self.gallery_bank = np.ascontiguousarray(gallery_bank, dtype=np.float32)
        self.catalog_size = catalog_size
        raw = normaliser.raw_penalties(
            self.gallery_bank, query_bank=self.query_bank, gallery_bank=self.gallery_bank
        )
        finite = raw[np.isfinite(raw)]
        # Centring on the bank's own mean keeps corrected scores on the cosine scale.
        self.centre = float(finite.mean()) if len(finite) else 0.0
        self._known: dict[int, float] = {}

    @classmethod
    def sample(
        cls,
        keys: npt.NDArray[np.int64],
        matrix: npt.NDArray[np.float32],
        normaliser: DualBankNormaliser,
        *,
        query_bank_size: int,
        gallery_bank_size: int,
        seed: int = 0,
    ) -> HubPenaltyTable:
        """Banks drawn without replacement from the catalog (keys sorted first, so the same
        catalog always gives the same banks)."""
        order = np.argsort(keys, kind="stable")
        generator = np.random.default_rng(seed)
        query_rows = order[generator.permutation(len(order))[:query_bank_size]]
        gallery_rows = order[generator.permutation(len(order))[:gallery_bank_size]]
        return cls(normaliser, matrix[query_rows], matrix[gallery_rows], len(keys))

    def penalties(
        self, keys: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.float64]:
        """Centred penalty per key (rows of vectors are those keys' vectors)."""
        missing = [row for row, key in enumerate(keys.tolist()) if key not in self._known]
        if missing:
            raw = self.normaliser.raw_penalties(
                vectors[missing], query_bank=self.query_bank, gallery_bank=self.gallery_bank
            )
            for row, value in zip(missing, raw.tolist(), strict=True):
                self._known[int(keys[row])] = value - self.centre if np.isfinite(value) else 0.0
        return np.array([self._known[int(key)] for key in keys.tolist()], dtype=np.float64)


def _log_sum_exp_rows(logits: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    if logits.shape[1] == 0:
        return np.full(logits.shape[0], -np.inf)
    peak = logits.max(axis=1)
    safe_peak = np.where(np.isfinite(peak), peak, 0.0)
    total = np.exp(logits - safe_peak[:, None]).sum(axis=1)
    with np.errstate(divide="ignore"):
        logged: npt.NDArray[np.float64] = np.log(total) + safe_peak
    return logged


def top_k_neighbours(
    vectors: npt.NDArray[np.float32],
    k: int,
    *,
    penalties: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.int64]:
    """Row i: indices of the k rows most similar to row i (itself excluded), best first, by
    cosine minus the optional per-row penalties."""
    count = len(vectors)
    k = min(k, count - 1)
    result = np.empty((count, max(k, 0)), dtype=np.int64)
    if k <= 0:
        return result
    matrix = np.ascontiguousarray(vectors, dtype=np.float32)
    penalty_row = None if penalties is None else penalties.astype(np.float32)[None, :]
    for start in range(0, count, _BLOCK_ROWS):
        scores = matrix[start : start + _BLOCK_ROWS] @ matrix.T
        if penalty_row is not None:
            scores -= penalty_row
        rows = np.arange(len(scores))
        scores[rows, start + rows] = -np.inf
        best = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, best, axis=1), axis=1)
        result[start : start + len(scores)] = np.take_along_axis(best, order, axis=1)
    return result


def k_occurrence(neighbours: npt.NDArray[np.int64], count: int) -> npt.NDArray[np.int64]:
    """N_k(x): in how many rows' top-k lists each item 0..count-1 appears."""
    return np.bincount(neighbours.ravel(), minlength=count).astype(np.int64)


@dataclass(frozen=True)
class HubnessSummary:
    skewness: float  # of the k-occurrence distribution; 0 for a symmetric one
    orphan_share: float  # share of items in nobody's top-k ("anti-hubs")
    largest: int  # the biggest hub's k-occurrence


def summarise_hubness(occurrences: npt.NDArray[np.int64]) -> HubnessSummary:
    values = occurrences.astype(np.float64)
    spread = float(values.std())
    centred = values - values.mean()
    skewness = float((centred**3).mean() / spread**3) if spread > 0 else 0.0
    return HubnessSummary(
        skewness=skewness,
        orphan_share=float((occurrences == 0).mean()) if len(occurrences) else 0.0,
        largest=int(occurrences.max()) if len(occurrences) else 0,
    )
