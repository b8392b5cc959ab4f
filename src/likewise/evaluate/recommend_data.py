"""The personal-feed evaluation set, built from authorship alone (no invented judgments):
an author's papers before a cut-off are their library; papers by them or their earlier
co-authors announced in the window after it are what they should be shown."""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt

from likewise.embed.base import Embedder


@dataclass(frozen=True, slots=True)
class FeedPaper:
    id: str
    title: str
    abstract: str
    authors: tuple[str, ...]
    first_listed: str

    @property
    def text(self) -> str:
        """What is embedded: title + ". " + abstract, as for catalog papers."""
        return f"{self.title}. {self.abstract}" if self.abstract else self.title


@dataclass(frozen=True, slots=True)
class Reader:
    """One author as a reader: profile rows (into the task's papers, newest first) and the
    candidate rows (into the task's candidates) that count as relevant."""

    author: str
    profile: tuple[int, ...]
    relevant: frozenset[int]


@dataclass(frozen=True, slots=True)
class FeedTask:
    """papers: every paper that is embedded (the readers' libraries, then the candidates);
    candidates: rows of papers announced in the window; background: extra earlier papers,
    lexical only (TF-IDF fitting and the SVM's negatives, as a catalog would hold them)."""

    cutoff: str
    window_days: int
    papers: tuple[FeedPaper, ...]
    candidates: tuple[int, ...]
    background: tuple[FeedPaper, ...]
    fit: tuple[Reader, ...]
    held_out: tuple[Reader, ...]


@dataclass(frozen=True, slots=True)
class Protocol:
    cutoff: str = "2026-04-01"
    window_days: int = 7
    min_papers: int = 8
    profile_size: int = 12
    readers: int = 400
    background: int = 8000
    seed: int = 12
    fit_share: float = 0.5
    # Every eligible author (the protocol), not only the sample: the sampled readers
    # keep their split (so what was chosen on the sample's fit readers never saw a held-out
    # one) and the others are split fit / held-out by the same seed.
    every_author: bool = True


def read_papers(path: Path) -> Iterator[FeedPaper]:
    """Papers of an arxiv-daily-cs style JSON-lines file (gzip or plain)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            record = json.loads(line)
            yield FeedPaper(
                id=str(record["id"]),
                title=str(record.get("title") or ""),
                abstract=str(record.get("abstract") or ""),
                authors=tuple(str(name) for name in record.get("authors") or ()),
                first_listed=str(record["first_listed"]),
            )


def build_task(papers: Iterable[FeedPaper], protocol: Protocol) -> FeedTask:
    """Samples readers with a fixed seed and splits them fit / held-out."""
    end = (date.fromisoformat(protocol.cutoff) + timedelta(days=protocol.window_days)).isoformat()
    before: list[FeedPaper] = []
    window: list[FeedPaper] = []
    for paper in papers:
        if paper.first_listed < protocol.cutoff:
            before.append(paper)
        elif paper.first_listed < end:
            window.append(paper)
    before.sort(key=lambda p: (p.first_listed, p.id))
    window.sort(key=lambda p: (p.first_listed, p.id))
    libraries: dict[str, list[FeedPaper]] = defaultdict(list)
    for paper in before:
        for author in paper.authors:
            libraries[author].append(paper)
    window_rows: dict[str, set[int]] = defaultdict(set)
    for row, paper in enumerate(window):
        for author in paper.authors:
            window_rows[author].add(row)
    eligible: list[tuple[str, frozenset[int]]] = []
    for author in sorted(libraries):
        library = libraries[author]
        if len(library) < protocol.min_papers:
            continue
        circle = {name for paper in library for name in paper.authors}
        relevant = frozenset().union(*(window_rows.get(name, set()) for name in circle))
        if relevant:
            eligible.append((author, relevant))
    generator = random.Random(protocol.seed)
    chosen = generator.sample(eligible, min(protocol.readers, len(eligible)))
    sampled = {author for author, _ in chosen}
    others = [item for item in eligible if item[0] not in sampled] if protocol.every_author else []
    generator.shuffle(others)
    row_of: dict[str, int] = {}
    embedded: list[FeedPaper] = []

    def embedded_row(paper: FeedPaper) -> int:
        if paper.id not in row_of:
            row_of[paper.id] = len(embedded)
            embedded.append(paper)
        return row_of[paper.id]

    def reader(author: str, relevant: frozenset[int]) -> Reader:
        newest = libraries[author][::-1][: protocol.profile_size]
        return Reader(author, tuple(embedded_row(p) for p in newest), relevant)

    readers = [reader(author, relevant) for author, relevant in chosen]
    extra = [reader(author, relevant) for author, relevant in others]
    candidates = tuple(embedded_row(paper) for paper in window)
    in_task = set(row_of)
    rest = [paper for paper in before if paper.id not in in_task]
    background = tuple(rest[-protocol.background :]) if protocol.background > 0 else ()
    cut = round(len(readers) * protocol.fit_share)
    extra_cut = round(len(extra) * protocol.fit_share)
    return FeedTask(
        cutoff=protocol.cutoff,
        window_days=protocol.window_days,
        papers=tuple(embedded),
        candidates=candidates,
        background=background,
        fit=tuple(readers[:cut] + extra[:extra_cut]),
        held_out=tuple(readers[cut:] + extra[extra_cut:]),
    )


def cached_vectors(
    papers: Sequence[FeedPaper], embedder: Embedder, cache_dir: Path
) -> npt.NDArray[np.float32]:
    """Unit vectors of the papers, one cache per model keyed by paper id: only papers not yet
    cached are embedded, and the cache is saved every CHECKPOINT of them, so a larger reader
    set or an interrupted run re-embeds nothing already done."""
    stem = cache_dir / f"vectors-{hashlib.sha256(embedder.model_id.encode()).hexdigest()[:20]}"
    known = _read_cache(stem, embedder.dimension)
    missing = sorted(
        {p.id: p for p in papers if p.id not in known}.values(), key=lambda p: len(p.text)
    )
    # Shortest texts first, so each batch pads little.
    for start in range(0, len(missing), CHECKPOINT):
        chunk = missing[start : start + CHECKPOINT]
        for offset in range(0, len(chunk), 128):
            batch = chunk[offset : offset + 128]
            vectors = embedder.embed_documents([paper.text for paper in batch])
            known.update((paper.id, vector) for paper, vector in zip(batch, vectors, strict=True))
        _write_cache(stem, known)
    if not papers:
        return np.zeros((0, embedder.dimension), dtype=np.float32)
    return np.stack([known[paper.id] for paper in papers]).astype(np.float32)


CHECKPOINT = 2048


def _read_cache(stem: Path, dimension: int) -> dict[str, npt.NDArray[np.float32]]:
    path = stem.with_suffix(".npz")
    if not path.is_file():
        return {}
    with np.load(path) as cache:
        ids, matrix = [str(i) for i in cache["ids"]], cache["vectors"].astype(np.float32)
    if matrix.shape != (len(ids), dimension):
        return {}  # a cache of another shape is rebuilt, never trusted
    return dict(zip(ids, matrix, strict=True))


def _write_cache(stem: Path, known: dict[str, npt.NDArray[np.float32]]) -> None:
    """Ids and vectors in one file, written to a temporary name and renamed: a cut run
    leaves the previous cache, never one whose rows and ids disagree."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    ids = list(known)
    temporary = stem.with_suffix(".tmp.npz")
    np.savez(temporary, ids=np.array(ids), vectors=np.stack([known[i] for i in ids]))
    temporary.replace(stem.with_suffix(".npz"))
