"""The PostgreSQL catalog's own parts: the pooled engine, pgvector's migration, and lexical
ranking weighted by inverse document frequency (PostgreSQL pass only)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from sqlalchemy import text

from likewise.models import Paper, SearchFilters
from likewise.store.postgres import POOL_SIZE, PostgresCatalogStore, TermStatistics

pytestmark = pytest.mark.skipif(
    os.environ.get("LIKEWISE_TEST_BACKEND", "sqlite") != "postgres",
    reason="needs the PostgreSQL pass",
)


def paper(arxiv_id: str, title: str, abstract: str, category: str = "cs.LG") -> Paper:
    return Paper(arxiv_id, title, abstract=abstract, categories=[category], authors=["A. Author"])


@pytest.fixture
def common_and_rare(store: Any) -> Any:
    """Forty papers about networks (titles included), one that mentions zebrafish once."""
    papers = [
        paper(
            f"2503.{number:05d}",
            f"Network network design {number}",
            "A network of networks trained as a network.",
        )
        for number in range(1, 41)
    ]
    papers.append(
        paper("2503.09999", "A field study", "We observed zebrafish larvae in a network of tanks.")
    )
    store.upsert_papers(papers, source="test")
    return store


def test_a_postgresql_url_opens_the_postgres_store_with_a_bounded_pool(store: Any) -> None:
    assert isinstance(store, PostgresCatalogStore)
    assert store.engine.pool.size() == POOL_SIZE
    with store.engine.connect() as connection:
        name = connection.execute(text("SHOW application_name")).scalar_one()
    assert name == "likewise"


def test_the_migration_installs_pgvector_and_its_table(store: Any) -> None:
    with store.engine.connect() as connection:
        extension = connection.execute(
            text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        ).scalar_one_or_none()
        columns = connection.execute(
            text(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'vector_index' ORDER BY ordinal_position"
            )
        ).scalars()
        assert list(columns) == ["model_id", "paper_key", "embedding"]
    assert extension is not None


def test_a_rare_word_outranks_a_common_word_in_the_title(common_and_rare: Any) -> None:
    hits = common_and_rare.lexical_search("zebrafish network", 5)

    # Without IDF every "network" title (weight A) would beat one abstract mention (weight B).
    assert hits[0][0] == "2503.09999"


def test_rarer_words_get_higher_idf_from_the_column_statistics(common_and_rare: Any) -> None:
    with common_and_rare.engine.connect() as connection:
        statistics: TermStatistics = common_and_rare.term_statistics(connection)

    assert statistics.papers == 41
    assert statistics.share("network") > 0.9
    assert statistics.idf("zebrafish") > 10 * statistics.idf("network")


def test_a_query_of_common_words_only_still_finds_papers(common_and_rare: Any) -> None:
    hits = common_and_rare.lexical_search("network design", 50)

    # Every paper has "network", so it must select even though it is too common to be useful.
    assert len(hits) == 41
    assert hits[-1][0] == "2503.09999"


def test_stop_words_alone_find_nothing_without_failing(common_and_rare: Any) -> None:
    assert common_and_rare.lexical_search("the of and", 5) == []


def test_idf_ranking_respects_filters_and_phrases(store: Any) -> None:
    store.upsert_papers(
        [
            paper("2503.00001", "Graph neural networks", "Message passing on graphs.", "cs.LG"),
            paper("2503.00002", "Neural graph rendering", "Graphs of neural scenes.", "cs.CV"),
        ],
        source="test",
    )

    in_vision = store.lexical_search("graph neural", 5, SearchFilters(categories=("cs.CV",)))
    phrase = store.lexical_search('"graph neural"', 5)

    assert [arxiv_id for arxiv_id, _ in in_vision] == ["2503.00002"]
    assert [arxiv_id for arxiv_id, _ in phrase] == ["2503.00001"]


def test_a_rare_word_that_matches_nothing_leaves_the_common_words_to_select(
    common_and_rare: Any,
) -> None:
    hits = common_and_rare.lexical_search("quokka network", 5)

    assert len(hits) == 5
    assert all(arxiv_id != "2503.09999" for arxiv_id, _ in hits)
