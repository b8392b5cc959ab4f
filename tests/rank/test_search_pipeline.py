"""The hybrid search pipeline over a real store, the exact index and the fake embedder."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pytest

from likewise.embed.fake import FakeEmbedder
from likewise.index.exact import ExactIndex
from likewise.index.inverted import InvertedIndex
from likewise.index.segments import PaperText
from likewise.index.tokens import Tokeniser
from likewise.models import Paper, SearchFilters
from likewise.rank.cosine_adapter import CosineAdapter, RelevanceCalibration
from likewise.rank.fusion_convex import dense_lexical_fusion
from likewise.rank.query import QueryError
from likewise.rank.search import SearchPlan, SearchResult, hybrid_search, short_query_ceiling

PAPERS = [
    (
        "2401.00001",
        "Graph neural networks for molecule property prediction",
        "cs.LG",
        "Ada Lovelace",
        date(2024, 1, 5),
    ),
    (
        "2401.00002",
        "Diffusion models for photorealistic image synthesis",
        "cs.CV",
        "Alan Turing",
        date(2024, 2, 10),
    ),
    (
        "2401.00003",
        "Sparse attention transformers for long documents",
        "cs.CL",
        "Grace Hopper",
        date(2024, 3, 1),
    ),
    (
        "2401.00004",
        "Graph transformers for molecule generation",
        "cs.LG",
        "Alan Turing",
        date(2024, 3, 15),
    ),
    (
        "2401.00005",
        "Self supervised speech recognition at scale",
        "cs.CL",
        "Edsger Dijkstra",
        date(2024, 4, 2),
    ),
    (
        "2401.00006",
        "Reinforcement learning for robot grasping",
        "cs.RO",
        "Barbara Liskov",
        date(2024, 4, 20),
    ),
    ("2401.00007", "Contrastive image text pretraining", "cs.CV", "Ada Lovelace", date(2024, 5, 9)),
    (
        "2401.00008",
        "Benchmarking large language models on arithmetic",
        "cs.CL",
        "Donald Knuth",
        date(2024, 6, 1),
    ),
]


def _paper(arxiv_id: str, title: str, category: str, author: str, day: date) -> Paper:
    return Paper(
        arxiv_id=arxiv_id,
        title=title,
        abstract=f"We study {title.lower()} and report experiments.",
        authors=[author],
        categories=[category],
        submitted=datetime(day.year, day.month, day.day, tzinfo=UTC),
        announced=day,
        source="test",
    )


@pytest.fixture
def catalog(store: Any) -> tuple[Any, ExactIndex, FakeEmbedder]:
    embedder = FakeEmbedder()
    papers = [_paper(*row) for row in PAPERS]
    store.upsert_papers(papers, source="test")
    keys = store.paper_keys([paper.arxiv_id for paper in papers])
    index = ExactIndex(embedder.dimension)
    index.add(
        np.array([keys[paper.arxiv_id] for paper in papers], dtype=np.int64),
        embedder.embed_documents([paper.embedding_text() for paper in papers]),
    )
    return store, index, embedder


def _search(
    catalog: tuple[Any, ExactIndex, FakeEmbedder],
    query: str,
    calibration: RelevanceCalibration | None = None,
    **plan: Any,
) -> SearchResult:
    store, index, embedder = catalog
    return hybrid_search(
        query,
        SearchPlan(**{"method": "rrf", **plan}),
        store=store,
        index=index,
        embedder=embedder,
        calibration=calibration,
    )


def _threshold_calibration(model_id: str, boundary: float) -> RelevanceCalibration:
    """p = sigmoid(20 * (s - boundary)) for every query: p >= 0.5 exactly when s >= boundary."""
    empty = np.zeros(2)
    adapter = CosineAdapter(
        model_id=model_id,
        score_kind="dense",
        feature_set="scores",
        feature_mean=empty,
        feature_scale=np.ones(2),
        slope_weights=empty,
        slope_bias=math.log(20.0),
        offset_weights=empty,
        offset_bias=-20.0 * boundary,
    )
    return RelevanceCalibration(model_id, 0.5, {"dense": adapter})


@pytest.mark.parametrize("method", ["rrf", "convex", "bm25", "dense"])
def test_every_method_puts_the_molecule_graph_papers_first(
    catalog: tuple[Any, ExactIndex, FakeEmbedder], method: str
) -> None:
    result = _search(catalog, "graph molecule", method=method)
    assert {hit.arxiv_id for hit in result.hits[:2]} == {"2401.00001", "2401.00004"}


def test_hybrid_hits_carry_both_component_scores(
    catalog: tuple[Any, ExactIndex, FakeEmbedder],
) -> None:
    result = _search(catalog, "graph molecule", method="rrf")
    top = result.hits[0]
    assert set(top.components) >= {"dense", "lexical", "fused"}
    assert top.paper is not None and "olecule" in top.paper.title


def test_convex_ranking_is_the_convex_fusion_of_the_components(
    catalog: tuple[Any, ExactIndex, FakeEmbedder],
) -> None:
    result = _search(catalog, "graph transformers attention", method="convex")
    dense = {hit.arxiv_id: hit.components["dense"] for hit in result.hits}
    lexical = {
        h.arxiv_id: h.components["lexical"] for h in result.hits if "lexical" in h.components
    }
    expected = [doc_id for doc_id, _ in dense_lexical_fusion(dense, lexical, 0.5)]
    assert [hit.arxiv_id for hit in result.hits] == expected


def test_filters_return_only_matching_papers(
    catalog: tuple[Any, ExactIndex, FakeEmbedder],
) -> None:
    by_category = _search(catalog, "graph molecule", filters=SearchFilters(categories=("cs.CV",)))
    assert by_category.hits
    assert all(hit.paper and hit.paper.categories == ["cs.CV"] for hit in by_category.hits)
    by_author = _search(catalog, "graph molecule", filters=SearchFilters(authors=("alan turing",)))
    assert {hit.arxiv_id for hit in by_author.hits} == {"2401.00002", "2401.00004"}


def test_a_very_selective_filter_still_finds_its_one_paper(
    catalog: tuple[Any, ExactIndex, FakeEmbedder],
) -> None:
    window = SearchFilters(since=date(2024, 6, 1), until=date(2024, 6, 30))
    result = _search(catalog, "graph molecule", filters=window, method="dense")
    assert [hit.arxiv_id for hit in result.hits] == ["2401.00008"]


def test_a_filter_nothing_passes_says_so(catalog: tuple[Any, ExactIndex, FakeEmbedder]) -> None:
    result = _search(catalog, "graph", filters=SearchFilters(categories=("math.AG",)))
    assert result.hits == []
    assert result.notice is not None and "filters" in result.notice


def test_an_arxiv_id_query_finds_that_paper_with_certainty(
    catalog: tuple[Any, ExactIndex, FakeEmbedder],
) -> None:
    result = _search(catalog, "arXiv:2401.00006v2")
    assert [(hit.arxiv_id, hit.score) for hit in result.hits] == [("2401.00006", 1.0)]


def test_paging_walks_the_same_ranking(catalog: tuple[Any, ExactIndex, FakeEmbedder]) -> None:
    everything = [hit.arxiv_id for hit in _search(catalog, "learning models", limit=8).hits]
    first = [hit.arxiv_id for hit in _search(catalog, "learning models", limit=3).hits]
    second = [hit.arxiv_id for hit in _search(catalog, "learning models", limit=3, offset=3).hits]
    assert first + second == everything[:6]


def test_without_a_calibration_for_the_model_scores_are_raw_and_uncut(
    catalog: tuple[Any, ExactIndex, FakeEmbedder],
) -> None:
    other_model = _threshold_calibration("some-other-model", 0.99)
    result = _search(catalog, "graph molecule", other_model, method="dense")
    assert not result.calibrated
    assert len(result.hits) == len(PAPERS)
    assert result.notice is not None and "not calibrated" in result.notice


def test_calibrated_scores_are_probabilities_in_rank_order(
    catalog: tuple[Any, ExactIndex, FakeEmbedder],
) -> None:
    calibration = _threshold_calibration(catalog[2].model_id, 0.3)
    result = _search(catalog, "graph neural molecule", calibration, method="dense")
    scores = [hit.score for hit in result.hits]
    assert result.calibrated and scores
    assert all(0.0 <= score <= 1.0 for score in scores)
    assert scores == sorted(scores, reverse=True)
    assert all(hit.components["dense"] >= 0.3 for hit in result.hits)
    assert result.total == len(result.hits)


def test_a_query_with_no_good_match_gets_no_hits_and_a_notice(
    catalog: tuple[Any, ExactIndex, FakeEmbedder],
) -> None:
    calibration = _threshold_calibration(catalog[2].model_id, 0.3)
    result = _search(catalog, "volcanic basalt geochemistry", calibration, method="dense")
    assert result.hits == []
    assert result.no_good_matches
    assert result.notice is not None and "no good matches" in result.notice


def test_the_cut_off_can_be_switched_off_for_evaluation(
    catalog: tuple[Any, ExactIndex, FakeEmbedder],
) -> None:
    calibration = _threshold_calibration(catalog[2].model_id, 0.3)
    result = _search(
        catalog, "volcanic basalt geochemistry", calibration, method="dense", apply_cutoff=False
    )
    assert len(result.hits) == len(PAPERS)
    assert not result.no_good_matches


@pytest.mark.parametrize(
    ("query", "plan", "message"),
    [
        ("", {}, "empty"),
        ("x" * 102_400, {}, "limit"),
        ("graph\x00", {}, "control character"),
        ("graph", {"method": "magic"}, "unknown fusion"),
        ("graph", {"limit": 0}, "limit"),
        ("graph", {"offset": -1}, "offset"),
    ],
)
def test_bad_requests_raise_a_clear_query_error(
    catalog: tuple[Any, ExactIndex, FakeEmbedder], query: str, plan: dict[str, Any], message: str
) -> None:
    with pytest.raises(QueryError, match=message):
        _search(catalog, query, **plan)


def test_an_empty_catalog_says_nothing_matched_rather_than_no_good_matches(store: Any) -> None:
    embedder = FakeEmbedder()
    calibration = _threshold_calibration(embedder.model_id, 0.3)
    result = hybrid_search(
        "graph molecule",
        SearchPlan(method="dense"),
        store=store,
        index=ExactIndex(embedder.dimension),
        embedder=embedder,
        calibration=calibration,
    )
    assert result.hits == [] and not result.no_good_matches
    assert result.notice == "no papers matched the query"


def _cosine_blind_calibration(model_id: str, offset: float, **extra: Any) -> RelevanceCalibration:
    """A convex adapter on cosine scores whose slope is ~0, so that only `offset` and the pair
    or map terms in `extra` decide the probability."""
    width = FakeEmbedder().dimension + 1  # the query vector and its length
    adapter = CosineAdapter(
        model_id=model_id,
        score_kind="convex",
        feature_set="embedding+length",
        feature_mean=np.zeros(width),
        feature_scale=np.ones(width),
        slope_weights=np.zeros(width),
        slope_bias=-30.0,  # a(q) ~ 0: the cosine itself does not count
        offset_weights=np.zeros(width),
        offset_bias=offset,
        score_source="cosine",
        **extra,
    )
    return RelevanceCalibration(model_id, 0.5, {"convex": adapter})


def _no_word_calibration(model_id: str) -> RelevanceCalibration:
    """A pair adapter whose logit is 0.2 - 20 * log(1 + bm25): a candidate passes the cut-off
    exactly when it matched no word of the query, whatever its fused rank (contrived, so that
    the best-ranked candidates fail and later ones pass)."""
    pairs = {"pair_mean": np.zeros(3), "pair_scale": np.ones(3)}
    return _cosine_blind_calibration(
        model_id, 0.2, pair_set="bm25", pair_weights=np.array([0.0, -20.0, 0.0]), **pairs
    )


def test_a_pair_adapter_keeps_the_passing_hits_in_ranking_order_even_past_failing_ones(
    catalog: tuple[Any, ExactIndex, FakeEmbedder],
) -> None:
    calibration = _no_word_calibration(catalog[2].model_id)
    everything = _search(
        catalog, "graph molecule", calibration, method="convex", limit=8, apply_cutoff=False
    )
    cut = _search(catalog, "graph molecule", calibration, method="convex", limit=8)
    matched = [hit for hit in everything.hits if hit.components.get("lexical", 0.0) == 0]
    assert matched and len(matched) < len(everything.hits)
    passing = [hit.components.get("lexical", 0.0) == 0 for hit in everything.hits]
    assert passing != sorted(passing, reverse=True), "no failing hit ranks above a passing one"
    assert [hit.arxiv_id for hit in cut.hits] == [hit.arxiv_id for hit in matched]
    assert all(hit.score >= 0.5 for hit in cut.hits)
    assert cut.total == len(matched)


def _coverage_calibration(model_id: str) -> RelevanceCalibration:
    """A mapped adapter whose logit is -0.6 + 1.0 * term coverage: a candidate passes the
    cut-off exactly when its title or abstract holds every term of the query."""
    identity = {"map_scale": np.ones(2), "map_shift": np.zeros(2)}
    return _cosine_blind_calibration(
        model_id, -0.6, map_edges=(9,), map_coverage=np.ones(2), **identity
    )


@pytest.mark.parametrize("from_index", [True, False], ids=["inverted index", "paper texts"])
def test_the_share_of_query_terms_a_paper_holds_enters_its_probability(
    catalog: tuple[Any, ExactIndex, FakeEmbedder], from_index: bool
) -> None:
    store, index, embedder = catalog
    lexical_index = None
    if from_index:
        keys = store.paper_keys([row[0] for row in PAPERS])
        texts = [_paper(*row) for row in PAPERS]
        lexical_index = InvertedIndex.built(
            [PaperText(keys[p.arxiv_id], 0, p.title, p.abstract, "", p.arxiv_id) for p in texts],
            Tokeniser(),
        )
    found = hybrid_search(
        '"graph" molecules',  # a quoted word: the store's full-text search ranks it
        SearchPlan(method="convex", limit=8),
        store=store,
        index=index,
        embedder=embedder,
        calibration=_coverage_calibration(embedder.model_id),
        lexical_index=lexical_index,
    )
    assert {hit.arxiv_id for hit in found.hits} == {"2401.00001", "2401.00004"}
    assert all(hit.score == pytest.approx(1 / (1 + math.exp(-0.4))) for hit in found.hits)


def test_only_queries_up_to_the_word_limit_are_normalised_by_the_bm25_bound() -> None:
    assert short_query_ceiling(7, 12.5) == 12.5
    assert short_query_ceiling(8, 12.5) is None
    assert short_query_ceiling(3, 12.5, bound_words=0) is None
    assert short_query_ceiling(2, None) is None
