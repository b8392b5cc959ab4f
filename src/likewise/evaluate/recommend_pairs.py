"""Training pairs for rank/personal_linear_map.py from a FeedTask: two papers sharing an
author, both announced before the cut-off (never a window paper, so no judged paper)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import numpy.typing as npt

from likewise.evaluate.recommend_data import FeedTask


def training_rows(task: FeedTask) -> list[int]:
    """Rows of task.papers first listed before the cut-off and not among the candidates."""
    window = set(task.candidates)
    return [
        row
        for row, paper in enumerate(task.papers)
        if row not in window and paper.first_listed < task.cutoff
    ]


def author_pairs(task: FeedTask, per_paper: int = 2, seed: int = 3) -> npt.NDArray[np.int64]:
    """(n, 2) rows of task.papers: for each training paper, per_paper times, another training
    paper of one of its authors (drawn at random); papers with no such author give none."""
    rows = training_rows(task)
    papers_of: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        for author in dict.fromkeys(task.papers[row].authors):
            papers_of[author].append(row)
    generator = np.random.default_rng(seed)
    pairs: list[tuple[int, int]] = []
    for row in rows:
        shared = [a for a in dict.fromkeys(task.papers[row].authors) if len(papers_of[a]) > 1]
        if not shared:
            continue
        for _ in range(per_paper):
            others = papers_of[shared[int(generator.integers(len(shared)))]]
            other = others[int(generator.integers(len(others)))]
            while other == row:
                other = others[int(generator.integers(len(others)))]
            pairs.append((row, other))
    if not pairs:
        return np.zeros((0, 2), dtype=np.int64)
    return np.asarray(pairs, dtype=np.int64)
