"""Topic chips as a reader sees them: precision of the chips shown and right minus wrong chips
per paper, for the topic list before (tests/data/topic_judged/topics-before.json) and the
bundled one, at several margins, on the judged papers of tests/data/topic_judged/ (grade of a
chip = the mean of its two judges). The margin is chosen on the fit papers; --held-out reports
the other half against the list and margin shipped before.

    PYTHONPATH=src nice -n 10 python bench/topic_chips.py [--held-out]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from likewise.embed.factory import make_embedder
from likewise.evaluate.runs import embed_texts_cached
from likewise.evaluate.significance import paired_randomization_test
from likewise.rank.topics import (
    BUNDLED_TOPICS,
    choose_topics,
    load_topics,
    topic_scores,
    topic_text,
)
from likewise.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from topics import CACHE, JUDGED, _slice_papers

DATA = JUDGED.parent / "topic_judged"
MARGINS = (0.0, 0.01, 0.02, 0.03, 0.05, 0.07)
BEFORE = ("before", 0.07)


def read_grades(path: Path) -> dict[tuple[str, str], float]:
    """(paper, topic) -> mean grade of the judges' columns."""
    grades = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        paper, topic, *marks = line.split("\t")
        grades[(paper, topic)] = float(np.mean([int(mark) for mark in marks]))
    return grades


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--held-out", action="store_true")
    arguments = parser.parse_args()
    grades = read_grades(DATA / ("heldout.tsv" if arguments.held_out else "fit.tsv"))
    judged = sorted({paper for paper, _ in grades})
    embedder = make_embedder(Settings(home=CACHE / "bench-home", database_url=""))
    papers = _slice_papers()
    vectors = embed_texts_cached(
        [paper.embedding_text() for paper in papers], embedder, CACHE, "first-run"
    )
    row_of = {paper.arxiv_id: row for row, paper in enumerate(papers)}
    judged_vectors = vectors[[row_of[paper] for paper in judged]]
    net: dict[tuple[str, float], list[float]] = {}
    part = "held-out" if arguments.held_out else "fit"
    print(f"{len(judged)} judged {part} papers, {len(grades)} judged chips")
    for name, path in (("before", DATA / "topics-before.json"), ("bundled", BUNDLED_TOPICS)):
        topics = load_topics(path)
        ids = [topic.id for topic in topics]
        scores = topic_scores(
            judged_vectors, embedder.embed_documents([topic_text(t) for t in topics])
        )
        for margin in MARGINS:
            chips = [[ids[c] for c in columns] for columns in choose_topics(scores, margin=margin)]
            shown = [
                grades[(p, t)] for p, chosen in zip(judged, chips, strict=True) for t in chosen
            ]
            net[(name, margin)] = [
                sum(2.0 * grades[(p, t)] - 1.0 for t in chosen)
                for p, chosen in zip(judged, chips, strict=True)
            ]
            print(
                f"{name:8s} margin {margin:.2f}: {len(shown) / len(judged):.2f} chips a paper, "
                f"precision {np.mean(shown):.3f}, right - wrong {np.mean(net[(name, margin)]):+.3f}"
            )
    shipped = ("bundled", 0.03)
    baseline = net[("before", 0.07)]
    best = max(net, key=lambda k: float(np.mean(net[k])))
    print(f"best by right - wrong on these papers: {best}")
    for key in (best, shipped):
        difference = float(np.mean(net[key]) - np.mean(baseline))
        p = paired_randomization_test(net[key], baseline)
        print(f"{key} against the list and margin before: {difference:+.3f} a paper, p {p:.4f}")


if __name__ == "__main__":
    main()
