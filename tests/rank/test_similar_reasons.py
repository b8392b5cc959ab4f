"""One-line reasons for similar papers: key phrases both papers share (never stop words or
words common in the catalog), shared authors, and an honest line when nothing is shared."""

from __future__ import annotations

from likewise.models import Paper
from likewise.rank.key_phrases import STOP_WORDS, CatalogRarity
from likewise.rank.reasons import NOTHING_SHARED, Explainer

# Document frequencies (by stem) of an imagined 1,000-paper CS catalog: the noise words
# are common ("text" 18%, "project" 6%, like the real arXiv CS catalog), topic words rare.
FREQUENCIES = {
    "text": 180,
    "embed": 85,
    "project": 60,
    "cosin": 6,
    "anisotropi": 3,
    "metric": 106,
    "rank": 44,
    "graph": 55,
    "kernel": 12,
}


def rarity() -> CatalogRarity:
    return CatalogRarity(lambda stem: FREQUENCIES.get(stem, 0), 1000)


ANISOTROPY = Paper(
    "2606.29571",
    "Anisotropy decides cosine vs. rank metrics for text embeddings",
    "Cosine similarity compares text embeddings. When the variance of the encoder is"
    " concentrated, a property known as anisotropy, rank metrics beat cosine; the improvement"
    " is large. We project out the dominant directions and give a diagnostic.",
)


def test_reasons_name_the_key_phrases_both_papers_share() -> None:
    neighbour = Paper(
        "2",
        "Measuring anisotropy of text embeddings",
        "Anisotropy of text embeddings hurts cosine similarity search.",
    )
    reason = Explainer(ANISOTROPY, rarity()).explain(neighbour)
    assert reason.startswith("shared terms: ")
    named = reason.removeprefix("shared terms: ").split(", ")
    assert named[0] == "cosine similarity"
    assert set(named) == {"cosine similarity", "text embeddings", "anisotropy"}


def test_stop_words_and_common_words_are_never_reasons() -> None:
    # Shares only the noise ("project", "text", "improvement", "give") and boilerplate.
    noise = Paper(
        "3",
        "A project on text",
        "We give a large improvement. The project gives text; we project text again and"
        " propose a novel approach that shows results.",
    )
    explainer = Explainer(ANISOTROPY, rarity())
    assert explainer.explain(noise) == NOTHING_SHARED
    assert {"give", "improvement", "propose", "novel", "results"} <= STOP_WORDS


def test_a_word_the_neighbour_mentions_once_in_passing_is_no_reason() -> None:
    passing = Paper("4", "Graph kernels", "Graph kernels, unlike cosine scores, are exact.")
    assert Explainer(ANISOTROPY, rarity()).explain(passing) == NOTHING_SHARED


def test_reasons_name_shared_authors_and_fall_back_when_nothing_is_shared() -> None:
    query = Paper(
        "1",
        "Graph kernels",
        "Graph kernels compare graphs.",
        authors=["Ada Lovelace", "Alan Turing"],
    )
    same_author = Paper("2", "Fast graph kernels", "Graph kernels again.", authors=["ada lovelace"])
    unrelated = Paper("3", "Quantum optics", "Photons.", authors=["Niels Bohr"])
    explainer = Explainer(query, rarity())
    assert explainer.explain(same_author) == (
        "shared terms: graph kernels; same author: Ada Lovelace"
    )
    assert explainer.explain(unrelated) == NOTHING_SHARED


def test_without_catalog_statistics_reasons_still_leave_stop_words_out() -> None:
    neighbour = Paper("5", "On the text embeddings", "With text embeddings for the rank metrics.")
    reason = Explainer(ANISOTROPY, None).explain(neighbour)
    # RAKE weights alone: text embeddings (3.5 + 3.5) + (2 + 2) = 11 in the query's long
    # candidate "cosine similarity compares text embeddings", rank metrics (3 + 3) + (2 + 2) = 10.
    assert reason == "shared terms: text embeddings, rank metrics"
