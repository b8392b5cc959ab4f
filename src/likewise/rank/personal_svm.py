"""arxiv-sanity-lite's per-tag ranking (karpathy/arxiv-sanity-lite, compute.py + serve.py):
TF-IDF over the catalog (20,000 features, 1-2-grams, sublinear tf, max_df 0.1, min_df 5) and,
per reader, a linear SVM (C = 0.01, balanced classes) separating the reader's papers from all
the others in the catalog; candidates are ranked by its decision value."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

# The features arxiv-sanity-lite computes (compute.py) with the parameters.
TFIDF_PARAMETERS: dict[str, Any] = {
    "strip_accents": "unicode",
    "lowercase": True,
    "analyzer": "word",
    "stop_words": "english",
    "token_pattern": r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
    "ngram_range": (1, 2),
    "max_features": 20_000,
    "norm": "l2",
    "use_idf": True,
    "smooth_idf": True,
    "sublinear_tf": True,
    "max_df": 0.1,
    "min_df": 5,
}
SVM_C = 0.01


def tfidf_matrix(
    texts: Sequence[str], *, min_df: int | None = None, max_df: float | None = None
) -> Any:
    """The sparse float32 TF-IDF matrix of texts (the vocabulary fitted on these texts).
    min_df, max_df: overrides for catalogs too small for 5 and 0.1 (tests)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    parameters = dict(TFIDF_PARAMETERS)
    if min_df is not None:
        parameters["min_df"] = min_df
    if max_df is not None:
        parameters["max_df"] = max_df
    vectorizer = TfidfVectorizer(**parameters)
    return vectorizer.fit_transform(list(texts)).astype(np.float32)


def svm_scores(
    features: Any,
    positives: Sequence[Sequence[int]],
    candidates: Sequence[int],
    *,
    catalog: Sequence[int] | None = None,
) -> npt.NDArray[np.float32]:
    """scores[u, c]: reader u's SVM decision value for feature row candidates[c]; the SVM of
    reader u is trained on the catalog's rows (every row when catalog is None) and the
    reader's own, positives[u] labelled 1, the rest 0 (candidates included when they are in
    the catalog, as arxiv-sanity-lite trains over its whole database). A reader with no
    positives gets zeros. One SVM a reader: there is no batch form."""
    from sklearn.svm import LinearSVC

    scores = np.zeros((len(positives), len(candidates)), dtype=np.float32)
    rows = np.asarray(candidates, dtype=np.int64)
    shared = None if catalog is None else np.asarray(sorted(set(catalog)), dtype=np.int64)
    for reader, own in enumerate(positives):
        if not own:
            continue
        if shared is None:
            training, labels = features, np.zeros(features.shape[0], dtype=np.int64)
            labels[list(own)] = 1
        else:
            own_rows = np.asarray(sorted(set(own)), dtype=np.int64)
            others = shared[~np.isin(shared, own_rows)]
            training = features[np.concatenate([own_rows, others])]
            labels = np.concatenate(
                [np.ones(len(own_rows), dtype=np.int64), np.zeros(len(others), dtype=np.int64)]
            )
        model = LinearSVC(class_weight="balanced", C=SVM_C, max_iter=10_000, tol=1e-6)
        model.fit(training, labels)
        scores[reader] = model.decision_function(features[rows])
    return scores
