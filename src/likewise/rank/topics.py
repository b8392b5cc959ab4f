"""Topic labels by similarity: one to three topics per paper from a documented topic list.

The similarity-based zero-shot classifier of Schopf, Braun and Matthes, "Evaluating
Unsupervised Text Classification: Zero-shot and Similarity-based Approaches" (2023): each
topic's description is embedded with the same model as the papers, and a paper takes the
topics whose cosine with its vector is highest. Here a paper keeps the best topic and up to
two more whose cosine is within `margin` of the best; none is kept below `floor`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

BUNDLED_TOPICS = Path(__file__).resolve().parent / "topic_data" / "topics.json"
MAX_TOPICS = 3
# The floor was fitted by bench/topics.py on the fit half of the judged arXiv slice; the
# margin was then chosen on judged chips of fit-half papers by right minus wrong chips per
# paper (bench/topic_chips.py, tests/data/topic_judged/; docs/topics.md).
DEFAULT_MARGIN = 0.03
DEFAULT_FLOOR = 0.15
_TOPIC_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,59}")


class TopicListError(ValueError):
    """A topic list that cannot be read or breaks its rules."""


@dataclass(frozen=True, slots=True)
class Topic:
    """One entry of the topic list; `kind` is "category" (an arXiv category) or "topic"."""

    id: str
    label: str
    description: str
    kind: str = "topic"


def load_topics(path: Path = BUNDLED_TOPICS) -> list[Topic]:
    """The topic list of a JSON file shaped like topic_data/topics.json."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["topics"]
        topics = [
            Topic(str(e["id"]), str(e["label"]), str(e["description"]), str(e["kind"]))
            for e in entries
        ]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise TopicListError(f"cannot read the topic list {path}: {error}") from error
    seen: set[str] = set()
    for topic in topics:
        if not _TOPIC_ID.fullmatch(topic.id) or topic.id in seen:
            raise TopicListError(f"{path}: topic id {topic.id!r} is malformed or repeated")
        if topic.kind not in ("category", "topic") or not topic.description.strip():
            raise TopicListError(f"{path}: topic {topic.id!r} needs a kind and a description")
        seen.add(topic.id)
    return topics


def is_topic_id(text: str) -> bool:
    return bool(_TOPIC_ID.fullmatch(text))


def topic_text(topic: Topic) -> str:
    """What is embedded for a topic: its label and its one-sentence description."""
    return f"{topic.label}. {topic.description}"


def topic_scores(
    paper_vectors: npt.NDArray[np.float32], topic_vectors: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """Cosines, shape (papers, topics); both sides are unit vectors, so inner products."""
    scores: npt.NDArray[np.float32] = (
        np.asarray(paper_vectors, dtype=np.float32) @ np.asarray(topic_vectors, dtype=np.float32).T
    )
    return scores


def choose_topics(
    scores: npt.NDArray[np.float32],
    *,
    margin: float = DEFAULT_MARGIN,
    floor: float = DEFAULT_FLOOR,
    limit: int = MAX_TOPICS,
) -> list[list[int]]:
    """For each row of cosines, the columns kept, best first: the best column when it reaches
    `floor`, then up to `limit - 1` more within `margin` of the best and at least `floor`."""
    chosen: list[list[int]] = []
    for row in np.asarray(scores, dtype=np.float32):
        if row.size == 0:
            chosen.append([])
            continue
        # A stable sort on the negated row: ties keep the topic list's order.
        order = np.argsort(-row, kind="stable")[:limit]
        best = float(row[order[0]])
        chosen.append(
            [
                int(column)
                for column in order
                if float(row[column]) >= floor and best - float(row[column]) <= margin
            ]
        )
    return chosen


def label_papers(
    paper_vectors: npt.NDArray[np.float32],
    topics: Sequence[Topic],
    topic_vectors: npt.NDArray[np.float32],
    *,
    margin: float = DEFAULT_MARGIN,
    floor: float = DEFAULT_FLOOR,
) -> list[list[Topic]]:
    """The topics of each paper vector (rows), best first, at most three."""
    if len(topics) != len(topic_vectors):
        raise ValueError("one topic vector per topic")
    if len(paper_vectors) == 0:
        return []
    rows = choose_topics(topic_scores(paper_vectors, topic_vectors), margin=margin, floor=floor)
    return [[topics[column] for column in row] for row in rows]
