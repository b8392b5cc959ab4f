"""SearchService.search end to end: store, embedder, vector index and calibration of a Library."""

from __future__ import annotations

from typing import Any

import pytest

from calibration_helpers import steep_calibration
from likewise.models import Paper, SearchFilters
from likewise.rank.bm25 import upper_bound
from likewise.rank.fusion_convex import dense_lexical_fusion
from likewise.rank.lexical import plain_terms
from likewise.rank.query import QueryError
from likewise.rank.search import DEFAULT_ALPHA, SearchPlan

TITLES = {
    "2402.00001": ("Protein folding with graph neural networks", ["q-bio.BM", "cs.LG"]),
    "2402.00002": ("Neural machine translation for low resource languages", ["cs.CL"]),
    "2402.00003": ("Graph neural networks for traffic forecasting", ["cs.LG"]),
    "2402.00004": ("Object detection in aerial images", ["cs.CV"]),
}


@pytest.fixture
def filled(library: Any) -> Any:
    papers = [
        Paper(arxiv_id=arxiv_id, title=title, abstract=f"{title}. A study.", categories=cats)
        for arxiv_id, (title, cats) in TITLES.items()
    ]
    library.store.upsert_papers(papers, source="test")
    library.vectors.update_vectors()
    return library


def test_library_search_finds_papers_by_meaning_and_words(filled: Any) -> None:
    result = filled.search.search("graph neural networks", limit=2)
    assert {hit.arxiv_id for hit in result.hits} == {"2402.00001", "2402.00003"}
    assert all(hit.paper is not None for hit in result.hits)


def test_library_search_respects_category_filters(filled: Any) -> None:
    result = filled.search.search(
        "graph neural networks", filters=SearchFilters(categories=("cs.CV",))
    )
    assert [hit.arxiv_id for hit in result.hits] == ["2402.00004"]


def test_library_search_uses_the_fusion_setting_unless_told_otherwise(filled: Any) -> None:
    assert filled.search.search("graph").method == filled.settings.fusion
    assert filled.search.search("graph", fusion="bm25").method == "bm25"


def test_library_search_applies_the_calibrated_cut_off(filled: Any) -> None:
    filled.search.use_relevance_calibration(
        steep_calibration(filled.embedding.get().model_id, 0.35)
    )
    good = filled.search.search("graph neural networks traffic", fusion="dense")
    assert good.calibrated and good.hits and not good.no_good_matches
    assert all(hit.score >= filled.settings.relevance_threshold for hit in good.hits)
    junk = filled.search.search("medieval tapestry conservation", fusion="dense")
    assert junk.no_good_matches and junk.hits == []


def test_the_bundled_calibration_is_not_used_for_another_embedder(filled: Any) -> None:
    # The fake embedder of the tests has no fitted calibration: raw scores, no cut-off.
    result = filled.search.search("medieval tapestry conservation")
    assert not result.calibrated
    assert result.notice is not None


@pytest.mark.parametrize(
    ("query", "bounded"),
    [
        ("graph traffic", True),
        ("graph neural networks for traffic forecasting in cities today", False),  # 9 words
    ],
)
def test_convex_search_scales_bm25_by_its_upper_bound_for_queries_of_at_most_seven_words(
    filled: Any, query: str, bounded: bool
) -> None:
    filled.lexical.update_lexical_index()
    index = filled.lexical.lexical_index()
    result = filled.search.search(query, fusion="convex", apply_cutoff=False, limit=4)
    dense = {hit.arxiv_id: hit.components["dense"] for hit in result.hits}
    lexical = {
        h.arxiv_id: h.components["lexical"] for h in result.hits if "lexical" in h.components
    }
    ceiling = upper_bound(index, plain_terms(query) or []) if bounded else None
    assert filled.settings.bm25_bound_words == SearchPlan("convex").bm25_bound_words == 7
    assert len(result.hits) == 4
    assert ceiling is None or ceiling > max(lexical.values())
    expected = dense_lexical_fusion(dense, lexical, DEFAULT_ALPHA, ceiling)
    assert [hit.arxiv_id for hit in result.hits] == [doc_id for doc_id, _ in expected]
    for hit, (_, fused) in zip(result.hits, expected, strict=True):
        assert hit.components["fused"] == pytest.approx(fused)


def test_library_search_refuses_a_hundred_kilobyte_query(filled: Any) -> None:
    with pytest.raises(QueryError, match="limit is 2,000"):
        filled.search.search("word " * 20_480)


@pytest.mark.slow
def test_real_model_search_is_calibrated_and_finds_the_cited_abstract(
    settings: Any, store: Any, shared_data: Any
) -> None:
    import json

    from likewise.library import Library

    records = [
        json.loads(line)
        for line in (shared_data / "scifact" / "corpus.jsonl").read_text().splitlines()[:15]
    ]
    cited = next(
        json.loads(line)
        for line in (shared_data / "scifact" / "corpus.jsonl").read_text().splitlines()
        if json.loads(line)["doc_id"] == "13734012"
    )
    papers = [
        Paper(arxiv_id=f"local:{r['doc_id']}", title=r["title"], abstract=r["abstract"])
        for r in [*records, cited]
    ]
    real = settings.with_overrides(embedder="minilm-int8")
    library = Library.open(real, store=store)
    store.upsert_papers(papers, source="test")
    library.vectors.update_vectors()
    claim = "1 in 5 million in UK have abnormal PrP positivity."
    ranked = library.search.search(claim, limit=3, apply_cutoff=False)
    # The bundled calibration was fit for the default embedder: scores are probabilities.
    assert ranked.calibrated, ranked.notice
    assert ranked.hits and ranked.hits[0].arxiv_id == "local:13734012"
    assert all(0.0 < hit.score < 1.0 for hit in ranked.hits)
    assert ranked.hits[0].score > 3 * ranked.hits[1].score  # the cited abstract stands out (4x)
    # The probability reads only the query and the paper (cosine 0.43 here, below what
    # SciFact's relevant claims usually reach), so the cut-off keeps exactly those above it.
    cut = library.search.search(claim, limit=3)
    assert [hit.arxiv_id for hit in cut.hits] == [
        hit.arxiv_id for hit in ranked.hits if hit.score >= 0.5
    ]
