"""The linear map's training pairs: two papers of one author, both before the cut-off."""

from __future__ import annotations

from likewise.evaluate.recommend_data import FeedPaper, Protocol, build_task
from likewise.evaluate.recommend_pairs import author_pairs, training_rows


def _paper(pid: str, day: str, *authors: str) -> FeedPaper:
    return FeedPaper(pid, f"title {pid}", f"abstract {pid}", authors, day)


def _corpus() -> list[FeedPaper]:
    papers = [_paper(f"old{i}", f"2026-01-{i + 1:02d}", "Ada", "Bob") for i in range(8)]
    papers += [_paper(f"bob{i}", f"2026-01-{i + 10:02d}", "Bob", "Bob") for i in range(8)]
    papers += [
        _paper("new-ada", "2026-02-02", "Ada", "Bob"),
        _paper("new-bob", "2026-02-03", "Bob"),
        _paper("late", "2026-02-20", "Ada"),
    ]
    return papers


def test_training_rows_leave_out_every_window_paper_and_every_paper_after_the_cut_off() -> None:
    task = build_task(_corpus(), Protocol(cutoff="2026-02-01", profile_size=8, readers=10))
    rows = training_rows(task)
    assert rows
    assert not set(rows) & set(task.candidates)
    assert all(task.papers[row].first_listed < task.cutoff for row in rows)
    assert {task.papers[row].id for row in task.candidates} == {"new-ada", "new-bob"}


def test_author_pairs_join_two_different_earlier_papers_of_one_author() -> None:
    task = build_task(_corpus(), Protocol(cutoff="2026-02-01", profile_size=8, readers=10))
    pairs = author_pairs(task, per_paper=3, seed=1)
    allowed = set(training_rows(task))
    assert len(pairs) == 3 * len(allowed)
    for left, right in pairs.tolist():
        assert left != right
        assert {left, right} <= allowed
        first, second = task.papers[left], task.papers[right]
        assert set(first.authors) & set(second.authors)
        assert max(first.first_listed, second.first_listed) < task.cutoff
    ids = {task.papers[row].id for pair in pairs.tolist() for row in pair}
    assert not ids & {"new-ada", "new-bob", "late"}
