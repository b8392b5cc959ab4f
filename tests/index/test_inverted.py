"""The in-process inverted index: FTS5-like terms, postings, incremental updates that score
like a fresh build, and files that are memory-mapped, shared and checked."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from likewise.index.inverted import InvertedIndex
from likewise.index.inverted_files import lexical_folder, load_index, read_stamp, save_index
from likewise.index.segments import PaperText, Segment, build_segment
from likewise.index.tokens import Tokeniser
from likewise.rank.bm25 import bm25_scores, bm25_top


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("Résumés of Networks", ["resum", "of", "network"]),
        ("technology possibly", ["technolog", "possibl"]),  # Porter's C release, as FTS5
        ("foo_bar x-ray", ["foo", "bar", "x", "rai"]),  # only letters and digits make words
        ("İbrahim ÇETİN", ["ibrahim", "cetin"]),
        ("as is", ["as", "is"]),  # under three bytes: not stemmed
    ],
)
def test_tokeniser_splits_folds_and_stems_like_the_fts5_table(text: str, terms: list[str]) -> None:
    assert Tokeniser().terms(text) == terms


def test_segment_postings_keep_frequencies_per_field() -> None:
    segment = build_segment(
        [
            PaperText(5, 0, "Graph graphs", "a graph", "Graph Author"),
            PaperText(8, 0, "Trees", "no match", "Someone"),
        ],
        Tokeniser(),
    )
    rows, frequencies = segment.postings("graph")
    assert rows.tolist() == [0]
    assert frequencies.tolist() == [[2, 1, 1]]
    assert segment.keys.tolist() == [5, 8]
    assert segment.lengths.tolist() == [[2, 2, 2], [1, 2, 1]]
    assert segment.terms == sorted(segment.terms)


def _corpus(generator: random.Random, keys: range, version: int = 0) -> list[PaperText]:
    vocabulary = [f"topic{number}" for number in range(60)] + ["common"] * 20
    return [
        PaperText(
            key,
            key * 1000 + version,
            " ".join(generator.choices(vocabulary, k=generator.randint(1, 6))),
            " ".join(generator.choices(vocabulary, k=generator.randint(5, 60))),
            f"Author{key % 7} Coauthor{version}",
        )
        for key in keys
    ]


def _scores_by_key(index: InvertedIndex, terms: list[str]) -> dict[int, float]:
    scores = bm25_scores(index, terms)
    live = index.live
    return dict(zip(index.keys[live].tolist(), scores[live].tolist(), strict=True))


@pytest.mark.parametrize("added", [5, 60])  # a small delta, and one that forces compaction
def test_incremental_updates_score_exactly_like_a_fresh_build(added: int) -> None:
    generator = random.Random(added)
    tokeniser = Tokeniser()
    papers = {paper.key: paper for paper in _corpus(generator, range(1, 201))}
    index = InvertedIndex.built(list(papers.values()), tokeniser)
    for step in range(3):
        new = _corpus(generator, range(1000 + step * added, 1000 + (step + 1) * added))
        changed = _corpus(generator, range(10 + step * 3, 13 + step * 3), version=step + 1)
        removed = [100 + step, 150 + step]
        for paper in new + changed:
            papers[paper.key] = paper
        for key in removed:
            del papers[key]
        index = index.updated(new + changed, removed, tokeniser)
    fresh = InvertedIndex.built(sorted(papers.values(), key=lambda p: p.key), tokeniser)
    assert len(index) == len(fresh) == len(papers)
    assert index.average_length == pytest.approx(fresh.average_length)
    if added == 60:
        assert index.delta.row_count == 0  # folded into the main segment
    else:
        assert index.delta.row_count > 0 and not index.main_live.all()
    for terms in (["topic1", "common"], ["topic7", "topic8", "coauthor2"], ["author3"]):
        ours, theirs = _scores_by_key(index, terms), _scores_by_key(fresh, terms)
        assert ours.keys() == theirs.keys()
        for key, score in theirs.items():
            assert ours[key] == pytest.approx(score, rel=1e-12, abs=1e-15)
        assert bm25_top(index, terms, 10) == bm25_top(fresh, terms, 10)
    assert index.live_fingerprints() == {key: paper.fingerprint for key, paper in papers.items()}


def test_a_saved_index_loads_memory_mapped_with_the_same_scores(tmp_path: Path) -> None:
    tokeniser = Tokeniser()
    generator = random.Random(1)
    index = InvertedIndex.built(_corpus(generator, range(1, 101)), tokeniser)
    index = index.updated(_corpus(generator, range(200, 203)), [5], tokeniser)
    save_index(tmp_path, index, None)
    opened = load_index(tmp_path)
    assert opened is not None
    loaded, stamp = opened
    assert isinstance(loaded.main.rows, np.memmap)
    assert stamp == read_stamp(tmp_path)
    terms = ["topic3", "common", "coauthor0"]
    assert bm25_top(loaded, terms, 20) == bm25_top(index, terms, 20)
    # Saving again after a small change keeps the main segment's files and drops the old delta.
    save_index(tmp_path, loaded.updated(_corpus(generator, range(300, 301)), [], tokeniser), stamp)
    folders = sorted(path.name.split("-")[0] for path in lexical_folder(tmp_path).iterdir())
    assert folders == ["delta", "main"]
    assert read_stamp(tmp_path)["main"] == stamp["main"]  # type: ignore[index]


def test_a_damaged_segment_file_is_not_loaded(tmp_path: Path) -> None:
    index = InvertedIndex.built(_corpus(random.Random(2), range(1, 51)), Tokeniser())
    save_index(tmp_path, index, None)
    stamp = read_stamp(tmp_path)
    assert stamp is not None
    rows = lexical_folder(tmp_path) / str(stamp["main"]) / "rows.npy"
    rows.write_bytes(rows.read_bytes()[:-40])  # truncated
    assert load_index(tmp_path) is None
    np.save(rows, np.full(10, 10**6, dtype=np.int32))  # readable, but wrong
    assert load_index(tmp_path) is None


def test_appending_new_papers_scores_like_a_fresh_build_without_compacting() -> None:
    generator = random.Random(7)
    tokeniser = Tokeniser()
    papers = _corpus(generator, range(1, 101))
    index = InvertedIndex.built(papers, tokeniser)
    index.published_main = "main-saved"
    added = _corpus(generator, range(101, 131))  # beyond the compaction share on purpose
    for start in (0, 15):
        index = index.appended(added[start : start + 15], tokeniser)
    fresh = InvertedIndex.built(papers + added, tokeniser)
    assert index.main.row_count == 100 and index.delta.row_count == 30
    assert index.published_main == "main-saved"  # saving it again reuses the main files
    for terms in (["topic1", "common"], ["author3", "topic9"]):
        assert bm25_top(index, terms, 15) == bm25_top(fresh, terms, 15)
    with pytest.raises(ValueError, match="above the newest"):
        index.appended(_corpus(generator, range(130, 131)), tokeniser)


def test_a_row_number_out_of_range_is_caught_anywhere_in_the_postings() -> None:
    postings = 300_000  # far more than a sample of every hundred-thousandth row would read
    rows = np.zeros(postings, dtype=np.int32)
    segment = Segment(
        terms=["word"],
        offsets=np.asarray([0, postings], dtype=np.int64),
        rows=rows,
        frequencies=np.ones((postings, 3), dtype=np.uint16),
        keys=np.asarray([1], dtype=np.int64),
        lengths=np.ones((1, 3), dtype=np.int32),
        fingerprints=np.zeros(1, dtype=np.uint64),
        names=np.asarray([b"2501.00001"]),
    )
    segment.check()
    rows[postings // 2 + 1] = 1
    with pytest.raises(ValueError, match="inconsistent"):
        segment.check()
