"""The near-duplicate labelled set (arxiv-daily-cs pairs judged by hand, docs/near_duplicates.md):
reading it, its fit / held-out split by pair, and precision and recall of a decision."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

from likewise.models import normalise_title
from likewise.rank.near_duplicates import Record

FIT, HELD_OUT = "fit", "held-out"


@dataclass(frozen=True, slots=True)
class LabelledPair:
    a: str
    b: str
    channel: str  # how the pair was gathered: title, abstract, admin-note, title-0.5-0.7
    duplicate: bool

    @property
    def split(self) -> str:
        return split_of(self.a, self.b)


@dataclass(frozen=True, slots=True)
class Scores:
    precision: float
    recall: float
    true_positives: int
    predicted: int
    positives: int

    def f_beta(self, beta: float) -> float:
        """F-beta: beta < 1 weighs precision more than recall."""
        total = beta * beta * self.precision + self.recall
        return (1 + beta * beta) * self.precision * self.recall / total if total else 0.0


def split_of(a: str, b: str) -> str:
    """Three pairs in five to fit, by a hash of the pair (not of either paper): the same pair
    always falls on the same side, whichever order it is named in."""
    first, second = sorted((a, b))
    digest = hashlib.sha256(f"{first} {second}".encode()).digest()
    return FIT if digest[0] % 5 < 3 else HELD_OUT


def labelled_pairs(path: Path | None = None) -> list[LabelledPair]:
    """The shipped labels (package data), or those in `path`."""
    if path is None:
        text = (
            resources.files("likewise.evaluate")
            .joinpath("data/near_duplicates/labels.jsonl")
            .read_text(encoding="utf-8")
        )
    else:
        text = path.read_text(encoding="utf-8")
    rows = (json.loads(line) for line in text.splitlines() if line.strip())
    return [LabelledPair(r["a"], r["b"], r["channel"], bool(r["duplicate"])) for r in rows]


def read_records(path: Path, wanted: Iterable[str]) -> dict[str, Record]:
    """The named papers of an arxiv-daily-cs papers.jsonl.gz as rule records."""
    ids = set(wanted)
    records: dict[str, Record] = {}
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            paper = json.loads(line)
            if paper["id"] in ids:
                listed = paper.get("first_listed")
                records[paper["id"]] = Record(
                    paper["id"],
                    paper["title"],
                    paper.get("abstract") or "",
                    tuple(paper.get("authors") or ()),
                    date.fromisoformat(listed[:10]) if listed else None,
                )
    return records


def score(
    pairs: Sequence[LabelledPair],
    records: dict[str, Record],
    decide: Callable[[Record, Record], bool],
) -> Scores:
    predicted = true_positives = 0
    for pair in pairs:
        if decide(records[pair.a], records[pair.b]):
            predicted += 1
            true_positives += pair.duplicate
    positives = sum(pair.duplicate for pair in pairs)
    return Scores(
        precision=true_positives / predicted if predicted else 0.0,
        recall=true_positives / positives if positives else 0.0,
        true_positives=true_positives,
        predicted=predicted,
        positives=positives,
    )


def same_normalised_title(a: Record, b: Record) -> bool:
    """The baseline: one work when the normalised titles are equal (what ingest matched on
    before near-duplicates)."""
    return normalise_title(a.title) == normalise_title(b.title)
