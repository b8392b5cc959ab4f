"""`likewise ingest vectors`: vectors embedded elsewhere are stored and searched like the
library's own, and a wrong file is one clear line, exit code 2, with nothing stored."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from likewise.cli.main import main
from likewise.embed.fake import FakeEmbedder
from likewise.library import Library
from likewise.models import Paper
from likewise.settings import load_settings

MODEL = FakeEmbedder().model_id
IDS = ["2403.00001", "2403.00002", "2403.00003"]
# Texts unlike the papers' own, so that finding a paper by one proves its imported vector is used.
FOREIGN_TEXTS = [
    "lattice quantum chromodynamics on supercomputers",
    "medieval manuscripts and parchment dating",
    "coral reef bleaching under ocean warming",
]


@pytest.fixture
def home(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("LIKEWISE_HOME", str(home))
    monkeypatch.setenv("LIKEWISE_EMBEDDER", "fake")
    monkeypatch.setenv("LIKEWISE_DATABASE_URL", database_url)
    papers = [
        Paper(arxiv_id=IDS[0], title="Graph neural networks", abstract="Message passing."),
        Paper(arxiv_id=IDS[1], title="Vision transformers", abstract="Patches and attention."),
        Paper(arxiv_id=IDS[2], title="Protein folding", abstract="Residue contact maps."),
    ]
    with Library.open(load_settings()) as library:
        library.store.upsert_papers(papers, source="test")
    return home


def _write(
    folder: Path, matrix: npt.NDArray[np.floating], ids: list[str], name: str = "vectors"
) -> list[str]:
    np.save(folder / f"{name}.npy", matrix)
    (folder / f"{name}.txt").write_text("".join(f"{arxiv_id}\n" for arxiv_id in ids))
    return [
        "ingest",
        "vectors",
        str(folder / f"{name}.npy"),
        "--ids",
        str(folder / f"{name}.txt"),
        "--model-id",
        MODEL,
    ]


def _foreign_vectors(count: int = 3) -> npt.NDArray[np.float32]:
    # Scaled by 3 so that the import has to normalise them.
    return 3.0 * FakeEmbedder().embed_documents(FOREIGN_TEXTS[:count])


def _stored_vector_count() -> int:
    with Library.open(load_settings()) as library:
        keys, _ = library.store.load_vectors(MODEL)
    return len(keys)


def test_imported_vectors_are_stored_normalised_and_need_no_embedding(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = _write(tmp_path, _foreign_vectors().astype(np.float16), IDS)
    assert main(arguments) == 0
    out = capsys.readouterr().out
    assert out.strip() == (
        f"stored 3 vectors of {MODEL} for 3 papers (3 rescaled to unit length); "
        "the index holds 3; 0 left to embed"
    )
    with Library.open(load_settings()) as library:
        vector = library.vectors.paper_vector(IDS[0])
    assert vector is not None
    expected = FakeEmbedder().embed_documents(FOREIGN_TEXTS[:1])[0]
    assert float(np.linalg.norm(vector)) == pytest.approx(1.0, abs=1e-3)
    assert float(vector @ expected) > 0.999
    assert main(["embed", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["embedded"] == 0


def test_search_finds_a_paper_by_its_imported_vector(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_write(tmp_path, _foreign_vectors(), IDS)) == 0
    capsys.readouterr()
    assert main(["search", FOREIGN_TEXTS[2], "--json", "--limit", "1"]) == 0
    hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [hit["id"] for hit in hits] == [IDS[2]]


def test_json_summary_counts_the_papers_still_left_to_embed(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = _write(tmp_path, _foreign_vectors(2), IDS[:2])
    assert main([*arguments, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary == {
        "model": MODEL,
        "stored": 2,
        "rescaled": 2,
        "indexed": 2,
        "left_to_embed": 1,
    }
    assert main(["embed", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["embedded"] == 1


def test_a_version_suffix_in_the_ids_file_names_the_stored_paper(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = [f"{IDS[0]}v2", f"arXiv:{IDS[1]}", IDS[2]]
    assert main(_write(tmp_path, _foreign_vectors(), ids)) == 0
    assert _stored_vector_count() == 3


Bad = Callable[[Path], list[str]]


def _wrong_dimension(folder: Path) -> list[str]:
    return _write(folder, np.ones((3, 32), dtype=np.float32), IDS)


def _wrong_model(folder: Path) -> list[str]:
    return [*_write(folder, _foreign_vectors(), IDS)[:-1], "all-MiniLM-L6-v2"]


def _unknown_id(folder: Path) -> list[str]:
    return _write(folder, _foreign_vectors(), [IDS[0], IDS[1], "2403.09999"])


def _count_mismatch(folder: Path) -> list[str]:
    return _write(folder, _foreign_vectors(), IDS[:2])


def _nan_row(folder: Path) -> list[str]:
    matrix = _foreign_vectors()
    matrix[1, 5] = np.nan
    return _write(folder, matrix, IDS)


def _zero_row(folder: Path) -> list[str]:
    matrix = _foreign_vectors()
    matrix[2] = 0.0
    return _write(folder, matrix, IDS)


def _one_dimensional(folder: Path) -> list[str]:
    return _write(folder, np.ones(64, dtype=np.float32), IDS[:1])


def _integers(folder: Path) -> list[str]:
    return _write(folder, np.ones((3, 64), dtype=np.int64), IDS)


def _duplicate_id(folder: Path) -> list[str]:
    return _write(folder, _foreign_vectors(), [IDS[0], IDS[1], IDS[0]])


def _not_npy(folder: Path) -> list[str]:
    arguments = _write(folder, _foreign_vectors(), IDS)
    Path(arguments[2]).write_text("not a numpy file")
    return arguments


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (_wrong_dimension, "shape (3, 32), but fake-hash-64 needs (3, 64)"),
        (_wrong_model, "'all-MiniLM-L6-v2' is not the configured model 'fake-hash-64'"),
        (_unknown_id, "1 of 3 ids are not stored papers: 2403.09999"),
        (_count_mismatch, "has 3 rows but"),
        (_nan_row, "1 rows hold NaN, infinity or only zeros: row 1 (2403.00002)"),
        (_zero_row, "row 2 (2403.00003)"),
        (_one_dimensional, "is not 2-D"),
        (_integers, "holds int64 values; give float16 or float32"),
        (_duplicate_id, "2403.00001 is listed twice (first on line 1)"),
        (_not_npy, "not a NumPy .npy file"),
    ],
)
def test_a_wrong_file_is_one_clear_line_and_stores_nothing(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: Bad, message: str
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(bad(tmp_path))
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("likewise: error: ")
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert _stored_vector_count() == 0


def test_a_failed_import_leaves_earlier_vectors_as_they_were(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["embed", "--json"]) == 0
    with Library.open(load_settings()) as library:
        before = library.store.load_vectors(MODEL)
    with pytest.raises(SystemExit):
        main(_nan_row(tmp_path))
    with Library.open(load_settings()) as library:
        after = library.store.load_vectors(MODEL)
    assert np.array_equal(before[0], after[0])
    assert np.array_equal(before[1], after[1])


def test_importing_again_replaces_the_vectors_that_search_uses(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_write(tmp_path, _foreign_vectors(), IDS)) == 0
    assert main(_write(tmp_path, _foreign_vectors()[::-1].copy(), IDS, name="again")) == 0
    capsys.readouterr()
    assert main(["search", FOREIGN_TEXTS[2], "--json", "--limit", "1"]) == 0
    hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [hit["id"] for hit in hits] == [IDS[0]]
    assert _stored_vector_count() == 3


def test_an_import_that_crosses_the_ann_threshold_is_searched_through_the_graph(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIKEWISE_ANN_THRESHOLD", "2")  # 3 vectors > 2: a graph
    assert main([*_write(tmp_path, _foreign_vectors(), IDS), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["indexed"] == 3
    with Library.open(load_settings()) as library:
        kind = type(library.vectors.vector_index()).__name__
    assert kind in {"UsearchIndex", "PgvectorIndex"}
    assert main(["search", FOREIGN_TEXTS[1], "--json", "--limit", "1"]) == 0
    hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [hit["id"] for hit in hits] == [IDS[1]]
