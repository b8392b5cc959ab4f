"""The lexical half of the personal feed: Rocchio's centroid ("Relevance Feedback in
Information Retrieval", 1971) over sublinear TF-IDF of 1-2-grams — the cosine of each
candidate to the reader's weighted mean TF-IDF vector, all readers in one sparse product
(lexical_features also gives the rows rank/personal_nearest.py reads)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from likewise.rank.personal_profiles import ReaderProfile


def lexical_features(
    profiles: Sequence[ReaderProfile],
    candidate_texts: Sequence[str],
    background_texts: Sequence[str] = (),
) -> tuple[Any, Any] | None:
    """Unit TF-IDF rows (sparse) of the candidates and of every reader's positive_texts,
    stacked reader by reader; None when no reader has texts or there are no candidates. The
    vocabulary and idf come from the candidates, the readers' texts and background_texts."""
    features = lexical_rows(profiles, candidate_texts, background_texts)
    return None if features is None else features[:2]


def lexical_rows(
    profiles: Sequence[ReaderProfile],
    candidate_texts: Sequence[str],
    background_texts: Sequence[str] = (),
    transformed_texts: Sequence[str] = (),
) -> tuple[Any, Any, Any] | None:
    """lexical_features plus the rows of transformed_texts in the same vocabulary (which they
    do not help fit: the background of rank/personal_rocchio.py)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    count = len(candidate_texts)
    own = [text for profile in profiles for text in profile.positive_texts]
    if not own or count == 0:
        return None
    corpus = [*candidate_texts, *own, *background_texts]
    vectorizer = TfidfVectorizer(
        strip_accents="unicode",
        stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
        ngram_range=(1, 2),
        sublinear_tf=True,
        max_df=0.5 if len(corpus) >= 20 else 1.0,
        min_df=2 if len(corpus) >= 200 else 1,
        max_features=50_000,
        dtype=np.float32,
    )
    matrix = vectorizer.fit_transform(corpus)
    extra = vectorizer.transform(list(transformed_texts)) if transformed_texts else None
    return matrix[:count], matrix[count : count + len(own)], extra


def centroid_scores(
    profiles: Sequence[ReaderProfile], candidates: Any, positives: Any
) -> npt.NDArray[np.float32]:
    """scores[u, c]: cosine of candidate row c to reader u's weighted mean positive row."""
    from scipy import sparse

    users = len(profiles)
    rows: list[int] = []
    columns: list[int] = []
    values: list[float] = []
    start = 0
    for user, profile in enumerate(profiles):
        size = len(profile.positive_texts)
        if size:
            weights = profile.positive_weights / max(float(profile.positive_weights.sum()), 1e-9)
            rows.extend([user] * size)
            columns.extend(range(start, start + size))
            values.extend(weights.tolist())
        start += size
    mixing = sparse.csr_matrix((values, (rows, columns)), shape=(users, positives.shape[0]))
    centroids = mixing @ positives
    norms = np.sqrt(np.asarray(centroids.multiply(centroids).sum(axis=1))).ravel()
    centroids = sparse.diags(1.0 / np.maximum(norms, 1e-9)) @ centroids
    scores: npt.NDArray[np.float32] = (centroids @ candidates.T).toarray().astype(np.float32)
    return scores


def lexical_scores(
    profiles: Sequence[ReaderProfile],
    candidate_texts: Sequence[str],
    background_texts: Sequence[str] = (),
) -> npt.NDArray[np.float32]:
    """scores[u, c] in [0, 1]; zeros for a reader without positive_texts."""
    features = lexical_features(profiles, candidate_texts, background_texts)
    if features is None:
        return np.zeros((len(profiles), len(candidate_texts)), dtype=np.float32)
    return centroid_scores(profiles, *features)
