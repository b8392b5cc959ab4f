"""Model upgrades on a real store: mapped queries are served while the catalog is re-embedded,
an interrupted re-embedding resumes where it stopped, the switch comes at the end, old vectors
stay until pruned, and bad requests are clear errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from likewise.embed.fake import FakeEmbedder
from likewise.library import Library
from likewise.models import Paper
from likewise.services import model_upgrade
from likewise.services.embedding import MappedEmbedder
from likewise.services.model_upgrade import UpgradeError
from likewise.settings import Settings

_VOCABULARY = (
    "graph neural network protein folding attention transformer retrieval dense sparse "
    "lexical ranking vision image segmentation speech audio robot control policy reward "
    "language translation parsing tagging entity relation knowledge reasoning logic proof "
    "theorem quantum circuit error code compiler kernel memory cache storage index query "
    "privacy security attack defense fairness bias causal inference bayesian sampling"
)
WORDS = _VOCABULARY.split()
OLD = FakeEmbedder().model_id
NEW = FakeEmbedder(rotation_seed=1).model_id


def _papers(count: int) -> list[Paper]:
    rng = np.random.default_rng(11)
    papers = []
    for number in range(count):
        title = " ".join(rng.choice(WORDS, 4, replace=False))
        abstract = " ".join(rng.choice(WORDS, 12))
        papers.append(Paper(arxiv_id=f"2403.{number:05d}", title=title, abstract=abstract))
    return papers


@pytest.fixture
def catalog(library: Library) -> Iterator[Library]:
    library.store.upsert_papers(_papers(150), source="test")
    library.vectors.update_vectors()
    library.lexical.update_lexical_index()
    yield library


def _dense_ids(library: Library, query: str) -> list[str]:
    result = library.search.search(query, limit=10, fusion="dense", apply_cutoff=False)
    return [hit.arxiv_id for hit in result.hits]


def _dense_scores(library: Library, query: str) -> list[float]:
    result = library.search.search(query, limit=10, fusion="dense", apply_cutoff=False)
    return [hit.score for hit in result.hits]


def _index_dimension(library: Library) -> int:
    """The width of the serving index's vectors (usearch and pgvector alike)."""
    key = library.store.paper_keys(["2403.00000"])["2403.00000"]
    vector = library.vectors.vector_index().vector(key)
    assert vector is not None
    return len(vector)


def test_mapped_queries_are_served_during_the_upgrade(catalog: Library) -> None:
    queries = ["protein folding attention", "quantum error code", "privacy attack defense"]
    before = [_dense_scores(catalog, query) for query in queries]
    old_vectors = [catalog.embedding.get().embed_query(query) for query in queries]

    upgrade = catalog.model_upgrade.start("fake-rotated", sample=150)

    assert upgrade.state == "running" and upgrade.alignment > 0.999
    query_embedder = catalog.embedding.query()
    assert isinstance(query_embedder, MappedEmbedder)
    assert isinstance(query_embedder.inner, FakeEmbedder)
    assert query_embedder.inner.model_id == NEW
    assert catalog.embedding.get().model_id == OLD  # the old index still serves
    # The rotation is recovered, so mapped queries land where the old model puts them (the
    # fake model's many tied cosines may swap places, so scores are compared, not ids).
    for query, old_vector in zip(queries, old_vectors, strict=True):
        assert np.allclose(query_embedder.embed_query(query), old_vector, atol=1e-4)
    during = [_dense_scores(catalog, query) for query in queries]
    assert np.allclose(during, before, atol=1e-4)


def test_an_interrupted_reembedding_resumes_where_it_stopped(
    catalog: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_upgrade, "EMBED_CHUNK", 20)
    catalog.model_upgrade.start("fake-rotated", sample=30)
    repository = catalog.model_upgrade.repository
    assert repository.fresh_vector_count(NEW) == 30  # the sample's vectors are kept

    def stop_after_two_chunks(done: int, total: int) -> None:
        if done >= 40:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        catalog.model_upgrade.run(stop_after_two_chunks)
    assert repository.fresh_vector_count(NEW) == 70
    running = repository.running()
    assert running is not None and running.worker is None  # the lease was given back

    seen: list[tuple[int, int]] = []
    switched = catalog.model_upgrade.run(lambda done, total: seen.append((done, total)))

    assert switched.state == "switched"
    assert seen[0] == (0, 80)  # the bar knows its length before the first chunk
    assert seen[-1] == (80, 80)  # only the 80 papers still missing were embedded
    assert repository.fresh_vector_count(NEW) == 150


def test_the_switch_at_the_end_serves_the_new_model_in_every_process(
    catalog: Library, settings: Settings, store: Any
) -> None:
    catalog.model_upgrade.start("fake-rotated", sample=50)
    catalog.model_upgrade.run()

    assert catalog.embedding.get().model_id == NEW
    assert not isinstance(catalog.embedding.query(), MappedEmbedder)
    assert len(catalog.vectors.vector_index()) == 150 and _index_dimension(catalog) == 64
    assert catalog.model_upgrade.status().vector_counts == {OLD: 150, NEW: 150}
    assert _dense_ids(catalog, "protein folding")  # searches the new index, unmapped
    # Sentences were stored under the new model too: evidence and facets keep working.
    assert catalog.sentences.missing() == []
    assert catalog.sentences.sentences_of(["2403.00000"])["2403.00000"].texts
    # Another process, whose environment still names the old model, serves the new one.
    other = Library(settings, store, FakeEmbedder())
    assert other.embedding.get().model_id == NEW
    # A paper ingested after the switch is embedded with the new model.
    late = Paper(arxiv_id="2403.99999", title="late paper", abstract="x")
    store.upsert_papers([late], source="t")
    assert other.vectors.update_vectors() == 1
    assert catalog.model_upgrade.repository.fresh_vector_count(NEW) == 151


def test_old_vectors_stay_until_pruned_and_the_serving_ones_cannot_be(catalog: Library) -> None:
    catalog.model_upgrade.start("fake-rotated", sample=50)
    with pytest.raises(UpgradeError, match="part of the running upgrade"):
        catalog.model_upgrade.prune_vectors(NEW)
    catalog.model_upgrade.run()

    with pytest.raises(UpgradeError, match="is the serving model"):
        catalog.model_upgrade.prune_vectors(NEW)
    assert catalog.model_upgrade.prune_vectors(OLD) == 150
    assert catalog.model_upgrade.status().vector_counts == {NEW: 150}
    with pytest.raises(UpgradeError, match="no vectors of"):
        catalog.model_upgrade.prune_vectors(OLD)


def test_an_upgrade_to_a_narrower_model_switches_to_its_own_index(catalog: Library) -> None:
    upgrade = catalog.model_upgrade.start("fake-32", sample=150)
    assert catalog.embedding.query().dimension == 64  # mapped into the old space
    assert _dense_ids(catalog, "graph neural network")
    assert 0.0 < upgrade.alignment < 1.0
    catalog.model_upgrade.run()
    assert _index_dimension(catalog) == 32
    assert _dense_ids(catalog, "graph neural network")


def test_bad_upgrade_requests_are_clear_errors(catalog: Library, tmp_path: Path) -> None:
    service = catalog.model_upgrade
    with pytest.raises(UpgradeError, match="unknown embedding model 'word2vec'; known: "):
        service.start("word2vec")
    with pytest.raises(UpgradeError, match="fake is already the catalog's embedding model"):
        service.start("fake")
    with pytest.raises(UpgradeError, match="no upgrade is running"):
        service.run()
    with pytest.raises(UpgradeError, match="no upgrade is running"):
        service.cancel()
    service.start("fake-rotated", sample=20)
    with pytest.raises(UpgradeError, match="an upgrade to fake-rotated is already running"):
        service.start("fake-32")
    assert service.start("fake-rotated").state == "running"  # the same model resumes
    # A second process while the first holds the lease.
    other = Library(catalog.settings, catalog.store, FakeEmbedder()).model_upgrade
    assert service.repository.claim(service.repository.running().id, "elsewhere", _now(), _lease())
    with pytest.raises(UpgradeError, match="being re-embedded by another process"):
        other.run()
    cancelled = service.cancel()
    assert cancelled.new_embedder == "fake-rotated"
    assert not isinstance(catalog.embedding.query(), MappedEmbedder)


def test_an_unembedded_catalog_is_told_to_embed_with_the_new_model_instead(
    library: Library,
) -> None:
    library.store.upsert_papers(_papers(5), source="test")
    with pytest.raises(UpgradeError, match="LIKEWISE_EMBEDDER=fake-rotated"):
        library.model_upgrade.start("fake-rotated")


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def _lease() -> Any:
    return model_upgrade.LEASE
