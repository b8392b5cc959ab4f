"""Evaluation: collection loaders, significance testing and the Holm correction."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from likewise.evaluate.collections import (
    CollectionError,
    load_csfcube,
    load_file_collection,
    load_scifact,
    scifact_part,
)
from likewise.evaluate.runs import EvaluationError, load_vector_file, search_method
from likewise.settings import Settings


def test_configuration_names_map_to_search_methods() -> None:
    settings = Settings(fusion="convex")
    assert search_method("hybrid", settings) == "convex"
    assert search_method("hybrid-rrf", settings) == "rrf"
    assert search_method("bm25", settings) == "bm25"
    with pytest.raises(EvaluationError, match="unknown configuration"):
        search_method("splade", settings)


def test_scifact_qrels_come_from_cited_doc_ids(shared_data: Path) -> None:
    collection = load_scifact(shared_data / "scifact")
    assert len(collection.documents) == 5_183
    assert collection.qrels["0"] == {"31715818": 1}
    assert collection.queries["0"].startswith("0-dimensional biomaterials")


def test_scifact_fit_and_heldout_parts_split_the_claims(shared_data: Path) -> None:
    fit = load_scifact(shared_data / "scifact", "fit")
    heldout = load_scifact(shared_data / "scifact", "heldout")
    everything = load_scifact(shared_data / "scifact")
    assert not set(fit.queries) & set(heldout.queries)
    assert set(fit.queries) | set(heldout.queries) == set(everything.queries)
    assert all(scifact_part(int(q)) == "heldout" for q in heldout.queries)


def test_csfcube_has_the_dev_half_with_pools(shared_data: Path) -> None:
    collection = load_csfcube(shared_data / "csfcube")
    assert len(collection.queries) == 24
    paper, facet, pool = collection.queries["11310392_method"]
    assert (paper, facet) == ("11310392", "method")
    assert set(collection.qrels["11310392_method"]) <= set(pool) | {paper}
    assert all(candidate in collection.documents for candidate in pool)


def _write_files(folder: Path) -> tuple[Path, Path, Path]:
    corpus = folder / "corpus.jsonl"
    corpus.write_text(
        json.dumps({"doc_id": "d1", "title": "Graph networks", "abstract": "On graphs."})
        + "\n"
        + json.dumps({"id": "d2", "title": "Speech", "abstract": "On audio."})
        + "\n"
    )
    queries = folder / "queries.tsv"
    queries.write_text("q1\tgraph networks\nq2\taudio\nq3\tnothing judged\n")
    qrels = folder / "qrels.trec"
    qrels.write_text("q1 0 d1 1\nq2 0 d2 2\nq3 0 d1 0\n")
    return corpus, queries, qrels


def test_file_collections_accept_doc_id_or_id_and_drop_unjudged_queries(tmp_path: Path) -> None:
    collection = load_file_collection(*_write_files(tmp_path))
    assert [d.doc_id for d in collection.documents] == ["d1", "d2"]
    assert collection.queries == {"q1": "graph networks", "q2": "audio"}
    assert collection.qrels["q2"] == {"d2": 2}


def test_a_malformed_qrels_line_is_reported_with_its_place(tmp_path: Path) -> None:
    corpus, queries, qrels = _write_files(tmp_path)
    qrels.write_text("q1 0 d1 1\nq2 d2\n")
    with pytest.raises(CollectionError, match=r"qrels.trec:2"):
        load_file_collection(corpus, queries, qrels)


def test_a_corpus_line_without_an_id_is_reported(tmp_path: Path) -> None:
    corpus, queries, qrels = _write_files(tmp_path)
    corpus.write_text(json.dumps({"title": "No id"}) + "\n")
    with pytest.raises(CollectionError, match=r"corpus.jsonl:1: .*doc_id"):
        load_file_collection(corpus, queries, qrels)


def test_vector_files_are_read_with_their_ids(shared_data: Path) -> None:
    ids, matrix = load_vector_file(shared_data / "embeddings-all-minilm-l6-v2" / "scifact.f16.npy")
    assert ids[:2] == ["4983", "5836"]
    assert matrix.shape == (5_183, 384) and matrix.dtype == np.float32


def test_eval_on_files_prints_json_metrics_without_touching_the_user_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from likewise.cli.main import main

    user_home = tmp_path / "user-home"
    monkeypatch.setenv("LIKEWISE_HOME", str(user_home))
    monkeypatch.setenv("LIKEWISE_EMBEDDER", "fake")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    corpus = tmp_path / "corpus.jsonl"
    rows = [
        ("d1", "Volcanic basalt geochemistry", "Lava samples."),
        ("d2", "Coral reef bleaching", "Ocean warming."),
        ("d3", "Glacier retreat measured by satellites", "Ice loss."),
        ("d4", "Urban traffic simulation", "Cars and roads."),
    ]
    corpus.write_text(
        "".join(json.dumps({"id": i, "title": t, "abstract": a}) + "\n" for i, t, a in rows)
    )
    (tmp_path / "queries.tsv").write_text("q1\tbasalt lava\nq2\tglacier ice satellites\n")
    (tmp_path / "qrels.trec").write_text("q1 0 d1 1\nq2 0 d3 1\n")
    arguments = ["eval", "--corpus", str(corpus), "--queries", str(tmp_path / "queries.tsv")]
    arguments += ["--qrels", str(tmp_path / "qrels.trec"), "--config", "bm25", "--json"]
    assert main(arguments) == 0
    figures = json.loads(capsys.readouterr().out)
    # Each query's one relevant document shares all its words and is the only one that does,
    # so BM25 ranks it first: DCG = IDCG (nDCG 1), recall 1/1, average precision 1/1.
    assert figures == {"bm25": {"ndcg@10": 1.0, "recall@100": 1.0, "map": 1.0}}
    assert not user_home.exists()


def test_eval_refuses_an_unknown_configuration_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from likewise.cli.main import main

    monkeypatch.setenv("LIKEWISE_EMBEDDER", "fake")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    corpus, queries, qrels = _write_files(tmp_path)
    with pytest.raises(SystemExit):
        main(
            [
                "eval",
                "--corpus",
                str(corpus),
                "--queries",
                str(queries),
                "--qrels",
                str(qrels),
                "--config",
                "splade",
            ]
        )
    error = capsys.readouterr().err
    assert "unknown configuration 'splade'" in error and "Traceback" not in error


def test_the_calibration_fit_tunes_alpha_and_fits_an_adapter_per_method() -> None:
    from likewise.embed.fake import FakeEmbedder
    from likewise.evaluate.collections import Document, RetrievalCollection
    from likewise.evaluate.cutoff import cutoff_reports, fit_relevance_calibration
    from likewise.evaluate.runs import throwaway_library
    from likewise.rank.search import METHODS

    topics = [
        "basalt lava volcano",
        "coral reef ocean",
        "glacier ice melt",
        "traffic cars roads",
        "wheat crop yield",
        "bird song migration",
        "solar panel efficiency",
        "bridge steel load",
        "vaccine antibody response",
        "galaxy dark matter",
        "river flood delta",
        "bee pollen hive",
    ]
    documents = [
        Document(f"d{n}", f"Study of {topic}", f"We measure {topic} carefully.")
        for n, topic in enumerate(topics)
    ]
    # "study" is in every title, so BM25 also retrieves non-relevant papers to learn from.
    queries = {f"q{n}": f"study {topic}" for n, topic in enumerate(topics)}
    qrels = {f"q{n}": {f"d{n}": 1} for n in range(len(topics))}
    collection = RetrievalCollection("toy", documents, queries, qrels)
    embedder = FakeEmbedder()
    vectors = embedder.embed_documents([document.text for document in documents])
    with throwaway_library(collection, Settings(embedder="fake"), embedder, vectors) as library:
        calibration, notes = fit_relevance_calibration(library, collection)
        reports = cutoff_reports(library, collection, calibration)
    assert calibration.model_id == embedder.model_id
    assert set(calibration.adapters) == set(METHODS)
    assert 0.0 <= calibration.convex_alpha <= 1.0
    assert notes[0].startswith("convex alpha")
    assert {report.method for report in reports} == set(METHODS)
    for report in reports:
        assert 0.0 <= report.precision <= 1.0 and 0.0 <= report.recall <= 1.0
        # One relevant paper in each query's candidates: 1 in 12 (the whole toy corpus).
        assert report.observed_rate == pytest.approx(1 / 12)
