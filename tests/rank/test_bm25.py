"""BM25 over the in-process index: hand-computed scores, filters, ties, and the same top 10
as SQLite FTS5's bm25() on real papers."""

from __future__ import annotations

import gzip
import itertools
import json
import math
import random
from pathlib import Path

import numpy as np
import pytest

from likewise.embed.fake import FakeEmbedder
from likewise.index.inverted import InvertedIndex
from likewise.index.segments import PaperText
from likewise.index.tokens import Tokeniser
from likewise.ingest.jsonl import paper_from_record
from likewise.library import Library
from likewise.rank.bm25 import bm25_scores, bm25_top, idf, upper_bound
from likewise.rank.lexical import plain_terms
from likewise.settings import Settings
from likewise.store.factory import open_store

# Terms after stemming, and |D| = tokens over all three fields:
#   key 1: title [graph, network]  abstract [graph, model, for, graph]  authors [ann, lee]  |D|=8
#   key 2: title [imag, model]     abstract [network, for, imag]        authors [bob, graph] |D|=7
#   key 3: title [speech]          abstract [speech, recognit]          authors [cy, dee]    |D|=5
# N = 3, avgdl = 20 / 3.
TINY = [
    PaperText(1, 11, "Graph networks", "Graph models for graphs", "Ann Lee"),
    PaperText(2, 12, "Image models", "Networks for images", "Bob Graph"),
    PaperText(3, 13, "Speech", "Speech recognition", "Cy Dee"),
]


def _tiny() -> InvertedIndex:
    return InvertedIndex.built(TINY, Tokeniser())


def test_bm25_matches_the_hand_computed_fts5_formula() -> None:
    # "speech" is in 1 of 3 papers: IDF = ln((3 - 1 + 0.5) / (1 + 0.5)) = ln(5/3).
    # Key 3: f = 4 (title weight) x 1 + 1 x 1 (abstract) = 5;
    # k1 (1 - b + b |D| / avgdl) = 1.2 (0.25 + 0.75 x 5 / (20/3)) = 0.975;
    # score = ln(5/3) x 5 x 2.2 / (5 + 0.975).
    expected_speech = math.log(5 / 3) * 11 / 5.975
    # "graph" is in 2 of 3 papers: ln(1.5 / 2.5) < 0, so FTS5 floors the IDF at 1e-6.
    # Key 1: f = 4 x 1 + 1 x 2 = 6, 1.2 (0.25 + 0.75 x 8 / (20/3)) = 1.38 -> 1e-6 x 6 x 2.2 / 7.38
    # Key 2: f = 1 (authors), 1.2 (0.25 + 0.75 x 7 / (20/3)) = 1.245 -> 1e-6 x 2.2 / 2.245
    expected_graph_1 = 1e-6 * 6 * 2.2 / 7.38
    expected_graph_2 = 1e-6 * 2.2 / 2.245
    top = bm25_top(_tiny(), ["speech", "graph"], 10)
    assert [key for key, _ in top] == [3, 1, 2]
    assert top[0][1] == pytest.approx(expected_speech, rel=1e-12)
    assert top[1][1] == pytest.approx(expected_graph_1, rel=1e-9)
    assert top[2][1] == pytest.approx(expected_graph_2, rel=1e-9)
    assert idf(3, 2) == 1e-6


def test_the_upper_bound_is_k1_plus_one_times_the_summed_idf() -> None:
    # speech: ln(5/3); graph (2 of 3 papers): the floor 1e-6; a word no paper holds:
    # ln((3 - 0 + 0.5) / (0 + 0.5)) = ln 7. Each adds under IDF x (k1 + 1) = IDF x 2.2.
    terms = ["speech", "graph", "unknown"]
    expected = 2.2 * (math.log(5 / 3) + 1e-6 + math.log(7))
    assert upper_bound(_tiny(), terms) == pytest.approx(expected, rel=1e-12)
    assert upper_bound(_tiny(), ["speech", "speech"]) == pytest.approx(4.4 * math.log(5 / 3))
    assert bm25_scores(_tiny(), terms).max() < upper_bound(_tiny(), terms)
    assert upper_bound(_tiny(), []) == 0.0


def test_a_word_repeated_in_the_query_counts_twice_as_in_fts5() -> None:
    once = bm25_scores(_tiny(), ["speech"])
    twice = bm25_scores(_tiny(), ["speech", "speech"])
    np.testing.assert_allclose(twice, 2 * once)


def test_papers_without_any_query_term_are_not_returned() -> None:
    assert [key for key, _ in bm25_top(_tiny(), ["recognit"], 10)] == [3]
    assert bm25_top(_tiny(), ["unknown"], 10) == []
    assert bm25_top(_tiny(), [], 10) == []


def test_ties_go_to_the_smaller_key() -> None:
    twins = [PaperText(key, key, "same words", "", "") for key in (9, 4, 7)]
    twins.append(PaperText(1, 1, "other", "", ""))
    top = bm25_top(InvertedIndex.built(twins, Tokeniser()), ["same"], 2)
    assert [key for key, _ in top] == [4, 7]


def test_a_filter_returns_the_true_top_k_among_allowed_papers() -> None:
    generator = random.Random(3)
    vocabulary = [f"word{number}" for number in range(40)]
    papers = [
        PaperText(
            key,
            key,
            " ".join(generator.choices(vocabulary, k=3)),
            " ".join(generator.choices(vocabulary, k=30)),
            "",
        )
        for key in range(1, 301)
    ]
    index = InvertedIndex.built(papers, Tokeniser())
    terms = ["word1", "word2", "word3"]
    allowed = np.asarray(sorted(generator.sample(range(1, 301), 25)), dtype=np.int64)
    scores = bm25_scores(index, terms)
    by_key = dict(zip(index.keys.tolist(), scores.tolist(), strict=True))
    expected = sorted(
        (key for key in allowed.tolist() if by_key[key] > 0), key=lambda k: (-by_key[k], k)
    )[:5]
    found = bm25_top(index, terms, 5, allowed)
    assert [key for key, _ in found] == expected
    assert all(score == pytest.approx(by_key[key]) for key, score in found)


QUERIES = [
    "graph neural networks",
    "diffusion models for video generation",
    "3D gaussian splatting",
    "low resource machine translation",
    "retrieval augmented generation hallucination",
    "vision language model benchmark",
    "the of and",
]


def test_top_10_equals_sqlite_fts5_on_real_papers(shared_data: Path, tmp_path: Path) -> None:
    with gzip.open(shared_data / "arxiv-daily-cs" / "papers.jsonl.gz", "rt") as handle:
        records = [json.loads(line) for line in itertools.islice(handle, 400)]
    papers = [paper_from_record(record)[0] for record in records]
    store = open_store(f"sqlite:///{tmp_path / 'fts5.db'}")
    settings = Settings(home=tmp_path / "home", embedder="fake")
    with Library.open(settings, store=store, embedder=FakeEmbedder()) as library:
        store.upsert_papers(papers, source="test")
        store.refresh_search_index()
        library.lexical.update_lexical_index()
        index = library.lexical.lexical_index()
        assert index is not None and len(index) == 400
        titles = [paper.title for paper in random.Random(5).sample(papers, 40)]
        compared = 0
        for query in QUERIES + titles:
            terms = plain_terms(query)
            assert terms is not None
            ours = bm25_top(index, terms, 10)
            names = store.arxiv_ids_for_keys([key for key, _ in ours])
            theirs = store.lexical_search(query, 10)
            assert [names[key] for key, _ in ours] == [arxiv_id for arxiv_id, _ in theirs], query
            for (_, score), (_, expected) in zip(ours, theirs, strict=True):
                assert score == pytest.approx(expected, rel=1e-9, abs=1e-12)
            compared += bool(theirs)
        assert compared >= 40


def _brute_force_top(
    index: InvertedIndex, terms: list[str], limit: int, allowed: set[int] | None
) -> list[tuple[int, float]]:
    scores = bm25_scores(index, terms)
    ranked = sorted(
        (
            (int(key), float(score))
            for key, score in zip(index.keys, scores, strict=True)
            if score > 0 and (allowed is None or int(key) in allowed)
        ),
        key=lambda item: (-item[1], item[0]),
    )
    return ranked[:limit]


@pytest.mark.parametrize("limit", [1, 5, 40])
def test_words_in_most_papers_do_not_change_the_exact_top_k(limit: int) -> None:
    # "everywhere" is in every paper and "most" in about 70%: their IDF is floored, so the
    # ranking scores them only where they can matter; it must still equal scoring them all.
    generator = random.Random(limit)
    rare = [f"rare{number}" for number in range(30)]
    papers = []
    for key in range(1, 401):
        words = ["everywhere"] + (["most"] if generator.random() < 0.7 else [])
        words += generator.choices(rare, k=generator.randint(0, 4))
        generator.shuffle(words)
        papers.append(PaperText(key, key, " ".join(words[:3]), " ".join(words), ""))
    index = InvertedIndex.built(papers, Tokeniser())
    for query in (["rare1", "most"], ["everywhere", "most"], ["rare2", "rare3", "everywhere"]):
        for allowed in (None, set(generator.sample(range(1, 401), 30))):
            keys = None if allowed is None else np.asarray(sorted(allowed), dtype=np.int64)
            found = bm25_top(index, query, limit, keys)
            expected = _brute_force_top(index, query, limit, allowed)
            assert [key for key, _ in found] == [key for key, _ in expected], query
            for (_, score), (_, wanted) in zip(found, expected, strict=True):
                assert score == pytest.approx(wanted, rel=1e-12)
