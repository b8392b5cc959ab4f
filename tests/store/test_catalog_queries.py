"""Reads of the catalog store: keys, exact filters, matching and the vector cache."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pytest
from catalog_helpers import make_paper

from likewise.models import SearchFilters
from likewise.store.base import UnknownPaperError


@pytest.fixture
def filled(store: Any) -> Any:
    store.upsert_papers(
        [
            make_paper(
                "2503.00001",
                categories=["cs.CL", "cs.AI"],
                authors=["José García"],
                announced=date(2025, 3, 18),
            ),
            make_paper(
                "2503.00002",
                categories=["cs.CV"],
                authors=["Ann Lee", "Bo Chen"],
                announced=date(2025, 3, 20),
            ),
            make_paper(
                "2503.00003",
                categories=["cs.AI"],
                authors=["Bo Chen"],
                announced=None,
                submitted=datetime(2025, 3, 25, 23, 0, tzinfo=UTC),
            ),
            make_paper(
                "2503.00004",
                categories=["math.NA", "cs.NA"],
                authors=["Jose Garcia Lopez"],
                announced=date(2025, 4, 2),
            ),
        ],
        source="file",
    )
    return store


def _ids(store: Any, filters: SearchFilters) -> list[str]:
    keys = store.keys_matching(filters)
    assert keys.dtype == np.int64
    by_key = store.arxiv_ids_for_keys(keys.tolist())
    return sorted(by_key[int(key)] for key in keys)


def test_keys_and_ids_map_both_ways(filled: Any) -> None:
    keys = filled.paper_keys(["2503.00001", "2503.00004", "9999.99999"])

    assert set(keys) == {"2503.00001", "2503.00004"}
    assert filled.arxiv_ids_for_keys(list(keys.values())) == {v: k for k, v in keys.items()}


def test_empty_filters_match_every_paper(filled: Any) -> None:
    assert _ids(filled, SearchFilters()) == [
        "2503.00001",
        "2503.00002",
        "2503.00003",
        "2503.00004",
    ]


def test_category_filter_matches_any_listed_category_exactly(filled: Any) -> None:
    assert _ids(filled, SearchFilters(categories=("cs.AI",))) == ["2503.00001", "2503.00003"]
    assert _ids(filled, SearchFilters(categories=("cs.CV", "cs.NA"))) == [
        "2503.00002",
        "2503.00004",
    ]
    assert _ids(filled, SearchFilters(categories=("cs",))) == []


def test_date_window_uses_announced_else_the_submission_day(filled: Any) -> None:
    window = SearchFilters(since=date(2025, 3, 20), until=date(2025, 3, 25))

    assert _ids(filled, window) == ["2503.00002", "2503.00003"]
    assert _ids(filled, SearchFilters(until=date(2025, 3, 18))) == ["2503.00001"]


def test_author_filter_is_case_and_accent_insensitive_but_exact(filled: Any) -> None:
    assert _ids(filled, SearchFilters(authors=("jose garcia",))) == ["2503.00001"]
    assert _ids(filled, SearchFilters(authors=("BO CHEN", "nobody"))) == [
        "2503.00002",
        "2503.00003",
    ]


def test_filters_combine_and_exclude_ids(filled: Any) -> None:
    combined = SearchFilters(
        categories=("cs.AI", "cs.CV"),
        authors=("Bo Chen",),
        exclude_ids=frozenset({"2503.00003"}),
    )

    assert _ids(filled, combined) == ["2503.00002"]


def test_find_by_doi_or_title_matches_normalised_forms(store: Any) -> None:
    store.upsert_papers(
        [
            make_paper("2503.00005", title="Attention Is All You Need", doi="10.5555/AbC.1"),
            make_paper("2503.00006", title="Élan: a Study"),
        ],
        source="oai",
    )

    assert store.find_by_doi_or_title("https://doi.org/10.5555/abc.1", "other") == "2503.00005"
    assert store.find_by_doi_or_title(None, "attention is all you need!") == "2503.00005"
    assert store.find_by_doi_or_title("10.1/none", "ELAN -- A STUDY") == "2503.00006"
    assert store.find_by_doi_or_title(None, "Attention is not all you need") is None


def test_iter_papers_yields_every_paper_once_across_batches(store: Any) -> None:
    ids = [f"2503.{number:05d}" for number in range(1, 8)]
    store.upsert_papers([make_paper(arxiv_id) for arxiv_id in ids], source="file")

    seen = [paper.arxiv_id for paper in store.iter_papers(batch_size=3)]

    assert sorted(seen) == ids
    assert len(seen) == len(set(seen))


def test_vectors_are_cached_per_model_and_content(store: Any) -> None:
    first, second = make_paper("2503.00001"), make_paper("2503.00002")
    store.upsert_papers([first, second], source="file")
    vector = np.array([0.6, 0.8, 0.0], dtype=np.float32)

    assert {p.arxiv_id for p in store.stale_for_model("m1")} == {"2503.00001", "2503.00002"}
    store.put_vectors("m1", [("2503.00001", first.content_hash(), vector)])
    keys, matrix = store.load_vectors("m1")

    assert [p.arxiv_id for p in store.stale_for_model("m1")] == ["2503.00002"]
    assert len(store.stale_for_model("m1", limit=0)) == 0
    assert keys.tolist() == [store.paper_keys(["2503.00001"])["2503.00001"]]
    np.testing.assert_array_equal(matrix, vector[None, :])
    assert store.load_vectors("m2")[0].size == 0

    store.upsert_papers(
        [make_paper("2503.00001", abstract="New text.", latest_version=2)], source="x"
    )
    assert {p.arxiv_id for p in store.stale_for_model("m1")} == {"2503.00001", "2503.00002"}


def test_vectors_for_an_unknown_paper_are_refused(store: Any) -> None:
    with pytest.raises(UnknownPaperError, match=r"9999\.00001"):
        store.put_vectors("m1", [("9999.00001", "hash", np.zeros(3, dtype=np.float32))])


def test_excluding_more_ids_than_one_statement_can_bind_still_works(filled: Any) -> None:
    excluded = frozenset({f"9999.{number:05d}" for number in range(40_000)} | {"2503.00002"})

    assert _ids(filled, SearchFilters(exclude_ids=excluded)) == [
        "2503.00001",
        "2503.00003",
        "2503.00004",
    ]
