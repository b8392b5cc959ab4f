"""Near-duplicate detection on the hand-labelled arxiv-daily-cs pairs: the rule's thresholds
chosen on the fit pairs, then precision and recall on the held-out pairs, against the
exact-normalised-title baseline scored in the same run (docs/near_duplicates.md).

    PYTHONPATH=src nice -n 10 python bench/near_duplicates.py [--data PATH] [--errors]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
from collections.abc import Callable
from pathlib import Path

from likewise.evaluate.near_duplicates import (
    FIT,
    HELD_OUT,
    LabelledPair,
    Scores,
    labelled_pairs,
    read_records,
    same_normalised_title,
    score,
)
from likewise.rank.near_duplicates import DEFAULT_RULE, Record, Rule, features_of

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "arxiv-daily-cs" / "papers.jsonl.gz"
THRESHOLDS = [round(0.5 + 0.05 * step, 2) for step in range(23)]  # 0.50 .. 1.60
TITLE_ONLY = [0.8, 0.85, 0.9, 0.95, 1.0]
ABSTRACT_WEIGHTS = [1.0, 1.5, 2.0, 3.0]
# F-beta with beta 0.5 weighs precision twice as much as recall: a false merge hides a
# distinct paper from every list and digest, a missed one only shows a work twice.
BETA = 0.5


def decide_with(rule: Rule) -> Callable[[Record, Record], bool]:
    return lambda a, b: rule.is_duplicate(features_of(a, b))


def choose_rule(pairs: list[LabelledPair], records: dict[str, Record]) -> tuple[Rule, Scores]:
    """Best F(0.5) on the pairs; ties go to the stricter rule (higher thresholds)."""
    best: tuple[tuple[float, ...], Rule, Scores] | None = None
    grid = itertools.product(THRESHOLDS, TITLE_ONLY, ABSTRACT_WEIGHTS)
    for threshold, title_only, weight in grid:
        rule = dataclasses.replace(
            DEFAULT_RULE, threshold=threshold, title_only=title_only, abstract_weight=weight
        )
        scores = score(pairs, records, decide_with(rule))
        key = (scores.f_beta(BETA), threshold, title_only, -weight)
        if best is None or key > best[0]:
            best = (key, rule, scores)
    assert best is not None
    return best[1], best[2]


def line(name: str, scores: Scores) -> str:
    return (
        f"  {name:<28} precision {scores.precision:.3f} ({scores.true_positives}/"
        f"{scores.predicted})  recall {scores.recall:.3f} ({scores.true_positives}/"
        f"{scores.positives})  F1 {scores.f_beta(1.0):.3f}  F0.5 {scores.f_beta(0.5):.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--errors", action="store_true", help="list the held-out mistakes")
    args = parser.parse_args()
    pairs = labelled_pairs()
    records = read_records(args.data, {p.a for p in pairs} | {p.b for p in pairs})
    fit = [p for p in pairs if p.split == FIT]
    held_out = [p for p in pairs if p.split == HELD_OUT]
    print(
        f"{len(pairs)} labelled pairs ({sum(p.duplicate for p in pairs)} duplicates): "
        f"{len(fit)} fit, {len(held_out)} held-out"
    )
    rule, fit_scores = choose_rule(fit, records)
    print(
        f"chosen on fit (best F{BETA}): threshold {rule.threshold}, title_only "
        f"{rule.title_only}, abstract_weight {rule.abstract_weight}"
    )
    print(line("rule (fit)", fit_scores))
    print("held-out:")
    chosen = score(held_out, records, decide_with(rule))
    baseline = score(held_out, records, same_normalised_title)
    print(line("rule, chosen thresholds", chosen))
    if rule != DEFAULT_RULE:
        shipped = score(held_out, records, decide_with(DEFAULT_RULE))
        print(line("rule, shipped (differs!)", shipped))
    print(line("baseline: same norm. title", baseline))
    if baseline.recall:
        print(f"recall ratio rule / baseline: {chosen.recall / baseline.recall:.2f}x")
    else:
        print("recall ratio rule / baseline: baseline finds none of the held-out duplicates")
    if baseline.f_beta(BETA):
        print(f"F0.5 ratio rule / baseline: {chosen.f_beta(BETA) / baseline.f_beta(BETA):.2f}x")
    if args.errors:
        decide = decide_with(rule)
        for pair in held_out:
            if decide(records[pair.a], records[pair.b]) != pair.duplicate:
                kind = "missed" if pair.duplicate else "false"
                features = features_of(records[pair.a], records[pair.b])
                print(f"  {kind}: {pair.a} {pair.b} {features}")


if __name__ == "__main__":
    main()
