"""The lexical half of the personal feed: Rocchio's centroid ("Relevance Feedback in
Information Retrieval", 1971) over sublinear TF-IDF of 1-2-grams — the cosine of each
candidate to the reader's weighted mean TF-IDF vector, all readers in one sparse product."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from likewise.rank.personal_profiles import ReaderProfile


def lexical_scores(
    profiles: Sequence[ReaderProfile],
    candidate_texts: Sequence[str],
    background_texts: Sequence[str] = (),
) -> npt.NDArray[np.float32]:
    """scores[u, c] in [0, 1]; zeros for a reader without positive_texts. The vocabulary and
    idf come from the candidates, the readers' texts and background_texts together."""
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

    users, count = len(profiles), len(candidate_texts)
    scores = np.zeros((users, count), dtype=np.float32)
    own = [text for profile in profiles for text in profile.positive_texts]
    if not own or count == 0:
        return scores
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
    candidates = matrix[:count]
    positives = matrix[count : count + len(own)]
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
    mixing = sparse.csr_matrix((values, (rows, columns)), shape=(users, len(own)))
    centroids = mixing @ positives
    norms = np.sqrt(np.asarray(centroids.multiply(centroids).sum(axis=1))).ravel()
    centroids = sparse.diags(1.0 / np.maximum(norms, 1e-9)) @ centroids
    scores[:] = (centroids @ candidates.T).toarray()
    return scores
