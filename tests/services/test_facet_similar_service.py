"""Similar by facet over a catalog (services/facet_similar.py), on SQLite and PostgreSQL: the
facet's sentences decide the order, each hit names the sentences that matched, and papers
without stored sentences get a note instead of an error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from likewise.library import Library
from likewise.models import Paper
from likewise.rank.facet_similar import blend
from likewise.rank.facets import UnknownFacetError
from likewise.rank.sentence_classifier import SentenceClassifier
from likewise.services.facet_similar import FacetSimilarService
from likewise.services.sentences import SentenceService
from likewise.store.base import UnknownPaperError
from likewise.store.sentences import SentenceRepository, SentenceRow

QUERY = "2502.00001"
SAME_METHOD = "2502.00002"
SAME_BACKGROUND = "2502.00003"
METHOD = "We train message passing networks on residue contact graphs."
BACKGROUND = "Protein folding remains a central open problem in biology."
ABSTRACTS = {
    QUERY: f"{BACKGROUND} {METHOD} Accuracy rises on two benchmarks.",
    SAME_METHOD: f"Traffic forecasting helps cities plan roads. {METHOD} Errors fall by half.",
    SAME_BACKGROUND: f"{BACKGROUND} Random forests read amino acid sequences. Speed doubles.",
    "2502.00004": "Speech recognition for tonal languages. Transducers stream audio. "
    "Words improve.",
}
# Labels set by hand (the fake embedder's similarity labels are arbitrary): one per sentence.
LABELS = ["background", "method", "result"]


@pytest.fixture
def catalog(library: Library) -> Library:
    papers = [
        Paper(arxiv_id=arxiv_id, title=f"Paper {arxiv_id[-1]}", abstract=text, categories=["cs.LG"])
        for arxiv_id, text in ABSTRACTS.items()
    ]
    papers.append(Paper(arxiv_id="2502.00009", title="A title alone", abstract=""))
    library.store.upsert_papers(papers, source="test")
    library.vectors.update_vectors()
    library.lexical.update_lexical_index()  # the idf of the lexical part
    rows = SentenceRepository(library.store.engine)
    model_id = library.embedding.get().model_id
    stored = rows.get(model_id, list(ABSTRACTS))
    relabelled = [
        SentenceRow(arxiv_id, found.row.content_hash, found.row.spans, LABELS, found.row.vectors)
        for arxiv_id, found in stored.items()
    ]
    rows.put(model_id, relabelled)
    return library


def _ids(found: Any) -> list[str]:
    return [entry.hit.arxiv_id for entry in found.hits]


def test_the_method_facet_puts_the_paper_sharing_the_method_sentence_first(
    catalog: Library,
) -> None:
    found = catalog.facet_similar.similar_by_facet(QUERY, "method")
    assert found.facet == "method" and found.note is None
    assert found.query_sentences == [METHOD]
    assert _ids(found)[0] == SAME_METHOD and QUERY not in _ids(found)
    best = found.hits[0]
    assert best.matches[0].query == METHOD and best.matches[0].candidate == METHOD
    assert best.matches[0].similarity == pytest.approx(1.0, abs=1e-3)
    assert best.hit.components["facet"] == pytest.approx(1.0, abs=1e-3)
    scores = [entry.hit.score for entry in found.hits]
    assert scores == sorted(scores, reverse=True)


def test_the_background_facet_puts_the_paper_sharing_the_background_first(
    catalog: Library,
) -> None:
    found = catalog.facet_similar.similar_by_facet(QUERY, "background", limit=2)
    assert _ids(found)[0] == SAME_BACKGROUND and len(found.hits) == 2
    assert found.hits[0].matches[0].candidate == BACKGROUND


def test_a_paper_without_stored_sentences_gets_a_note_not_an_error(catalog: Library) -> None:
    found = catalog.facet_similar.similar_by_facet("2502.00009", "result")
    assert found.hits == [] and found.note is not None
    assert "sentences are not stored" in found.note


def test_an_unknown_facet_and_an_unknown_paper_are_refused_by_name(catalog: Library) -> None:
    with pytest.raises(UnknownFacetError, match="'novelty'"):
        catalog.facet_similar.similar_by_facet(QUERY, "novelty")
    with pytest.raises(UnknownPaperError, match=r"2502\.99999"):
        catalog.facet_similar.similar_by_facet("2502.99999", "method")


def test_a_candidate_without_stored_sentences_lends_its_cosine_and_names_no_sentence(
    catalog: Library,
) -> None:
    found = catalog.facet_similar.similar_by_facet(QUERY, "method", limit=10)
    title_only = next(entry for entry in found.hits if entry.hit.arxiv_id == "2502.00009")
    assert title_only.matches == [] and "facet" not in title_only.hit.components
    assert title_only.hit.components["lexical"] == 0.0  # no abstract, no lexical part
    assert all(entry.matches for entry in found.hits if entry is not title_only)


def test_each_score_is_the_normalised_blend_of_the_cosine_facet_and_lexical_parts(
    catalog: Library,
) -> None:
    found = catalog.facet_similar.similar_by_facet(QUERY, "method", limit=10)
    parts = [entry.hit.components for entry in found.hits]  # every candidate of the catalog
    cosines = np.array([part["cosine"] for part in parts])
    facet = np.array([part.get("facet", part["cosine"]) for part in parts])
    lexical = np.array([part["lexical"] for part in parts])
    assert all(0.0 <= value <= 1.0 + 1e-9 for value in lexical) and lexical.max() > 0
    expected = blend(cosines, facet, lexical)
    assert [entry.hit.score for entry in found.hits] == pytest.approx(expected.tolist())


def test_with_a_classifier_for_the_model_a_sentence_whose_facet_came_second_takes_part(
    catalog: Library, tmp_path: Path
) -> None:
    # Zero weights: every sentence ranks other > result > the rest by the bias alone, so
    # "result" is every sentence's runner-up and the result facet takes all three sentences.
    labels = ("background", "objective", "method", "result", "other")
    dimension = len(catalog.embedding.get().embed_query("x"))
    weights = np.zeros((3 * dimension + 5, len(labels)), dtype=np.float32)
    bias = np.array([0.0, 0.0, 0.0, 1.0, 2.0], dtype=np.float32)
    model_id = catalog.embedding.get().model_id
    path = tmp_path / "classifier.json"
    classifier = SentenceClassifier(model_id, labels, weights, bias)
    path.write_text(json.dumps(classifier.to_json()), encoding="utf-8")
    sentences = SentenceService(
        SentenceRepository(catalog.store.engine), catalog.embedding, classifier_file=path
    )
    service = FacetSimilarService(
        catalog.similar, catalog.embedding, catalog.vectors, sentences, catalog.lexical
    )
    query_texts = ABSTRACTS[QUERY].replace(". ", ".\n").splitlines()
    found = service.similar_by_facet(QUERY, "result")
    assert found.query_sentences == query_texts and found.note is None
    plain = catalog.facet_similar.similar_by_facet(QUERY, "result")  # no classifier for the model
    assert plain.query_sentences == [query_texts[2]]
