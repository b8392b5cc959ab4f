"""A slice of the real arXiv listing file through the store: counts, re-ingest, search."""

from __future__ import annotations

import gzip
import json
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

from likewise.models import Paper, SearchFilters
from likewise.store.base import UpsertCounts

SLICE = 1500


def _papers(shared_data: Path) -> list[Paper]:
    path = shared_data / "arxiv-daily-cs" / "papers.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line in islice(lines, SLICE)]
    return [
        Paper(
            arxiv_id=record["id"],
            title=record["title"],
            abstract=record["abstract"],
            authors=record["authors"],
            categories=record["categories"],
            comment=record["comment"],
            announced=date.fromisoformat(record["first_listed"]),
        )
        for record in records
    ]


def test_a_real_slice_is_stored_once_and_reingesting_it_changes_nothing(
    store: Any, shared_data: Path
) -> None:
    papers = _papers(shared_data)
    counts = UpsertCounts()
    for start in range(0, len(papers), 500):
        batch = store.upsert_papers(
            papers[start : start + 500], source="file", checkpoint=str(start)
        )
        counts.inserted += batch.inserted
    store.refresh_search_index()
    again = store.upsert_papers(papers, source="file")

    assert counts.inserted == len({paper.arxiv_id for paper in papers}) == store.count_papers()
    assert again == UpsertCounts(unchanged=len(papers))
    sample = papers[len(papers) // 2]
    assert store.get_paper(sample.arxiv_id).authors == sample.authors
    assert store.lexical_search(f'"{sample.title}"', limit=3)[0][0] == sample.arxiv_id
    by_author = store.keys_matching(SearchFilters(authors=(sample.authors[0].upper(),)))
    assert store.paper_keys([sample.arxiv_id])[sample.arxiv_id] in by_author.tolist()
