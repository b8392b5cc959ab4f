"""Gathers the candidate pairs of the near-duplicate labelled set from the real catalog.

Reads ../shared/data/arxiv-daily-cs/papers.jsonl.gz and writes candidates.jsonl beside the
labels (src/likewise/evaluate/data/near_duplicates/): every pair that meets in a title or
abstract MinHash band with title word Jaccard >= 0.7 or abstract 3-shingle Jaccard >= 0.15,
every pair named by an "arXiv admin note: text overlap with arXiv:…" comment, and a fixed
sample of 80 pairs with title Jaccard in [0.5, 0.7) (mostly hard negatives). Labels are
added by hand in labels.jsonl (guidelines: docs/near_duplicates.md); this script only says
which pairs to read.

    nice -n 10 python bench/near_duplicates_gather.py [--data PATH]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
from collections import defaultdict
from pathlib import Path

from likewise.rank.near_duplicates import (
    TITLE_BANDS,
    abstract_shingles,
    band_keys,
    jaccard,
    title_words,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "arxiv-daily-cs" / "papers.jsonl.gz"
OUT = ROOT / "src" / "likewise" / "evaluate" / "data" / "near_duplicates" / "candidates.jsonl"
_NOTE = re.compile(r"text overlap with (.*)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    with gzip.open(args.data, "rt", encoding="utf-8") as lines:
        papers = [json.loads(line) for line in lines]
    index = {paper["id"]: i for i, paper in enumerate(papers)}
    titles = [title_words(p["title"]) for p in papers]
    buckets: dict[int, list[int]] = defaultdict(list)
    for i, paper in enumerate(papers):
        for key in band_keys(paper["title"], paper["abstract"]):
            buckets[key].append(i)
    met: set[tuple[int, int]] = set()
    for members in buckets.values():
        if len(members) > 50:  # a band shared by that many records says nothing about a pair
            continue
        met.update((a, b) for n, a in enumerate(members) for b in members[n + 1 :])
    chosen: dict[tuple[int, int], str] = {}
    middling: list[tuple[int, int]] = []
    abstracts: dict[int, frozenset[str]] = {}
    for a, b in sorted(met):
        title = jaccard(titles[a], titles[b])
        for i in (a, b):
            if i not in abstracts:
                abstracts[i] = abstract_shingles(papers[i]["abstract"])
        if title >= 0.7:
            chosen[(a, b)] = "title"
        elif jaccard(abstracts[a], abstracts[b]) >= 0.15:
            chosen[(a, b)] = "abstract"
        elif title >= 0.5:
            middling.append((a, b))
    for i, paper in enumerate(papers):
        for group in _NOTE.findall(paper.get("comment") or ""):
            for other in re.findall(r"arXiv:(\d{4}\.\d{4,5})", group):
                if other in index and other != paper["id"]:
                    pair = (min(i, index[other]), max(i, index[other]))
                    chosen.setdefault(pair, "admin-note")
    for pair in random.Random(14).sample(middling, min(80, len(middling))):
        chosen.setdefault(pair, "title-0.5-0.7")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8") as out:
        for (a, b), channel in sorted(chosen.items(), key=lambda item: papers[item[0][0]]["id"]):
            row = {"a": papers[a]["id"], "b": papers[b]["id"], "channel": channel}
            out.write(json.dumps(row) + "\n")
    counts: dict[str, int] = defaultdict(int)
    for channel in chosen.values():
        counts[channel] += 1
    print(f"{len(chosen)} pairs ({dict(counts)}); {TITLE_BANDS} title bands -> {OUT}")


if __name__ == "__main__":
    main()
