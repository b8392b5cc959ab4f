"""Lexical search over title, abstract and authors: ranking, ids, phrases, hostile input."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from catalog_helpers import make_paper

from likewise.models import SearchFilters


@pytest.fixture
def searchable(store: Any) -> Any:
    store.upsert_papers(
        [
            make_paper(
                "2503.00001",
                title="Sparse attention for long documents",
                abstract="We study transformers on books and reports.",
            ),
            make_paper(
                "2503.00002",
                title="Convolutional image segmentation",
                abstract="Our segmentation model uses sparse attention in the decoder.",
                categories=["cs.CV"],
            ),
            make_paper(
                "hep-th/9901001",
                title="Dualities of strings",
                abstract="Exact results for string dualities on the lattice.",
                categories=["hep-th"],
                announced=date(1999, 1, 4),
            ),
            make_paper(
                "2503.00003",
                title="Reinforcement learning from feedback",
                abstract="Attention to detail matters; long documents are not studied here.",
                authors=["Grace Hopper"],
            ),
        ],
        source="file",
    )
    return store


def _ids(hits: list[tuple[str, float]]) -> list[str]:
    return [arxiv_id for arxiv_id, _ in hits]


def test_title_matches_rank_above_abstract_only_matches(searchable: Any) -> None:
    hits = searchable.lexical_search("sparse attention", limit=10)

    assert _ids(hits)[:2] == ["2503.00001", "2503.00002"]
    assert hits[0][1] > hits[1][1]


def test_scores_are_best_first_and_the_limit_is_respected(searchable: Any) -> None:
    hits = searchable.lexical_search("attention documents", limit=2)

    assert len(hits) == 2
    assert hits[0][1] >= hits[1][1]


def test_an_arxiv_id_finds_its_paper_first(searchable: Any) -> None:
    assert _ids(searchable.lexical_search("2503.00002", limit=5)) == ["2503.00002"]
    assert _ids(searchable.lexical_search("arXiv:2503.00002v3", limit=5)) == ["2503.00002"]
    assert _ids(searchable.lexical_search("hep-th/9901001", limit=5)) == ["hep-th/9901001"]
    assert _ids(searchable.lexical_search("2503.00003 sparse", limit=5))[0] == "2503.00003"


def test_a_quoted_phrase_matches_only_the_exact_phrase(searchable: Any) -> None:
    assert _ids(searchable.lexical_search('"long documents"', limit=10)) == [
        "2503.00001",
        "2503.00003",
    ]
    assert _ids(searchable.lexical_search('"documents long"', limit=10)) == []


def test_authors_are_searchable(searchable: Any) -> None:
    assert _ids(searchable.lexical_search("Hopper", limit=5)) == ["2503.00003"]


def test_filters_apply_to_lexical_search(searchable: Any) -> None:
    hits = searchable.lexical_search(
        "sparse attention", limit=10, filters=SearchFilters(categories=("cs.CV",))
    )

    assert _ids(hits) == ["2503.00002"]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        '"',
        '"""',
        "NEAR(sparse attention, 2)",
        "title:sparse OR abstract:*",
        "sparse AND NOT attention -- ; DROP TABLE papers;",
        "^attention* + {sparse}",
        "'; SELECT 1; --",
        "\x00\u200b\U0001f600",
        "a" * 5000,
        " ".join(f"word{number}" for number in range(10_000)),
        '"phrase one" ' * 50,
    ],
)
def test_hostile_or_empty_input_never_raises(searchable: Any, query: str) -> None:
    hits = searchable.lexical_search(query, limit=5)

    assert isinstance(hits, list)
    assert searchable.count_papers() == 4


def test_empty_query_returns_nothing(searchable: Any) -> None:
    assert searchable.lexical_search("", limit=5) == []
    assert searchable.lexical_search("sparse", limit=0) == []


def test_query_syntax_words_are_searched_as_plain_words(searchable: Any) -> None:
    assert _ids(searchable.lexical_search("strings NEAR dualities", limit=5)) == ["hep-th/9901001"]


def test_papers_stored_after_a_search_are_found_by_the_next_one(searchable: Any) -> None:
    assert searchable.lexical_search("quantum", limit=5) == []
    searchable.upsert_papers([make_paper("2503.00009", title="Quantum walks")], source="file")

    assert _ids(searchable.lexical_search("quantum", limit=5)) == ["2503.00009"]


def test_a_changed_title_is_searched_by_its_new_words(searchable: Any) -> None:
    searchable.lexical_search("warm the index", limit=1)
    searchable.upsert_papers(
        [make_paper("2503.00003", title="Bandits with knapsacks", latest_version=2)],
        source="file",
    )

    assert _ids(searchable.lexical_search("knapsacks", limit=5)) == ["2503.00003"]
    assert "2503.00003" not in _ids(searchable.lexical_search("reinforcement", limit=5))


def test_refreshing_the_search_index_indexes_each_paper_once(store: Any) -> None:
    store.upsert_papers([make_paper(f"2503.0010{n}") for n in range(3)], source="file")

    first, second = store.refresh_search_index(), store.refresh_search_index()

    # SQLite indexes after the batches; PostgreSQL's tsvector is always current.
    assert (first, second) == ((3, 0) if store.dialect == "sqlite" else (0, 0))
    assert len(store.lexical_search("study", limit=10)) == 3


def test_question_words_are_left_out_of_the_query_unless_nothing_else_is_left(
    searchable: Any,
) -> None:
    from likewise.store.lexical import parse_query

    asked = searchable.lexical_search("how does sparse attention help?", limit=10)
    assert asked == searchable.lexical_search("sparse attention help", limit=10)
    assert parse_query("how can LLMs be aligned?").words == ["llms", "aligned"]
    assert parse_query("what is it").words == ["what", "is", "it"]
