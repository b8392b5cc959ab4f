"""The near-duplicate rule, its MinHash band keys and the groups, on hand-made record pairs."""

from __future__ import annotations

from datetime import date

from likewise.evaluate.near_duplicates import (
    FIT,
    HELD_OUT,
    LabelledPair,
    labelled_pairs,
    same_normalised_title,
    score,
    split_of,
)
from likewise.models import AlsoAs
from likewise.rank.near_duplicates import (
    DEFAULT_RULE,
    Record,
    author_keys,
    band_keys,
    features_of,
    groups_of,
    title_markers,
)
from likewise.services.near_duplicates import collapse_groups

ABSTRACT = (
    "Federated continual learning offers an emerging pattern to facilitate the applicability "
    "of federated learning in real-world scenarios, where tasks evolve dynamically and "
    "asynchronously across clients, especially in medical scenarios."
)
AUTHORS = ("Xiaoming Qi", "Jingyang Zhang", "Huazhu Fu", "Guanyu Yang")


def _record(arxiv_id: str, title: str, **fields: object) -> Record:
    values: dict[str, object] = {
        "abstract": ABSTRACT,
        "authors": AUTHORS,
        "listed": date(2025, 3, 24),
    }
    values.update(fields)
    return Record(arxiv_id, title, **values)  # type: ignore[arg-type]


def _same(a: Record, b: Record) -> bool:
    return DEFAULT_RULE.is_duplicate(features_of(a, b))


def test_a_resubmission_with_the_acronym_spelled_out_is_one_work() -> None:
    a = _record("2503.18064", "Dynamic Allocation Hypernetwork with Model Recalibration for FCL")
    b = _record(
        "2503.20808",
        "Dynamic Allocation Hypernetwork with Model Recalibration for Federated Continual Learning",
        listed=date(2025, 3, 27),
    )
    assert _same(a, b)


def test_a_bibtex_entry_without_abstract_matches_its_paper_on_the_title() -> None:
    paper = _record("2506.06035", "HAVIR: Hierarchical Vision to Image Reconstruction Using CLIP")
    entry = Record(
        "local:0123456789abcdef",
        "HAVIR: hierarchical vision-to-image reconstruction using CLIP",
        "",
        ("X. Qi", "J. Zhang"),
    )
    assert entry.is_local
    features = features_of(paper, entry)
    assert features.abstract is None and features.days_apart is None
    assert _same(paper, entry)


def test_initials_and_full_first_names_are_the_same_author() -> None:
    assert author_keys(["Jungyeon Park", "J. Park", "Park"]) == {"j park", "park"}


def test_a_new_edition_of_the_title_is_never_one_work() -> None:
    a = _record("2506.02751", "RobustSplat: Decoupling Densification and Dynamics for 3DGS")
    b = _record("2512.04815", "RobustSplat++: Decoupling Densification and Dynamics for 3DGS")
    assert title_markers(b.title) == {"robustsplat++"}
    assert features_of(a, b).marker_conflict
    assert not _same(a, b)
    assert not _same(
        _record("1", "NTIRE 2025 Challenge on X"), _record("2", "NTIRE 2026 Challenge on X")
    )


def test_the_same_title_by_other_authors_is_not_one_work() -> None:
    a = _record("2505.10740", "Multilingual and Crosslingual Fact-Checked Claim Retrieval")
    b = _record(
        "2508.09517",
        "Multilingual and Crosslingual Fact-Checked Claim Retrieval",
        authors=("Ladislav Lenc", "Daniel Cifka"),
    )
    assert not _same(a, b)


def test_one_abstract_pasted_into_two_same_week_papers_does_not_merge_them() -> None:
    a = _record("2509.13879", "Combining Evidence and Reasoning for Biomedical Fact-Checking")
    b = _record(
        "2509.13888",
        "Evidence-based Verification of Biomedical Claims",
        listed=date(2025, 3, 25),
    )
    assert features_of(a, b).abstract == 1.0
    assert not _same(a, b)
    later = _record(b.arxiv_id, b.title, listed=date(2025, 9, 1))
    assert _same(a, later)  # months apart, the same abstract is a retitled re-submission


def test_band_keys_are_stable_and_close_titles_share_one() -> None:
    title = "Score-Based Turbo Message Passing for Plug-and-Play Compressive Image Recovery"
    keys = band_keys(title, ABSTRACT)
    assert keys == band_keys(title, ABSTRACT)
    assert len(keys) == 16 and all(-(2**63) <= key < 2**63 for key in keys)
    near = band_keys(title.replace("Recovery", "Reconstruction"), ABSTRACT)
    assert set(keys) & set(near)
    other = band_keys("Acquiescence Bias in Large Language Models", "Agreeing with surveys.")
    assert not set(keys) & set(other)
    assert len(band_keys(title, "Too short.")) == 8  # no abstract bands for a stub abstract


def test_groups_are_connected_components_of_the_pairs() -> None:
    found = groups_of([("a", "b"), ("c", "b"), ("d", "e")])
    assert sorted(map(sorted, found)) == [["a", "b", "c"], ["d", "e"]]


def test_collapsing_keeps_each_work_at_its_best_placed_record() -> None:
    groups = {
        "b": [AlsoAs("d", "D")],
        "d": [AlsoAs("b", "B")],
    }
    kept, also = collapse_groups(["a", "d", "c", "b"], lambda x: x, groups)
    assert kept == ["a", "d", "c"]
    assert also == {"d": [AlsoAs("b", "B")]}


def test_the_split_is_by_pair_and_does_not_depend_on_order() -> None:
    assert split_of("2503.18064", "2503.20808") == split_of("2503.20808", "2503.18064")
    sides = [split_of(f"2501.{n:05d}", "2502.00001") for n in range(400)]
    assert {FIT, HELD_OUT} == set(sides)
    assert 0.5 < sides.count(FIT) / len(sides) < 0.7


def test_the_shipped_labels_cover_both_sides_and_both_answers() -> None:
    pairs = labelled_pairs()
    assert len(pairs) >= 200 and len({(p.a, p.b) for p in pairs}) == len(pairs)
    for side in (FIT, HELD_OUT):
        answers = {p.duplicate for p in pairs if p.split == side}
        assert answers == {True, False}


def test_precision_and_recall_count_what_was_predicted() -> None:
    records = {
        "1": _record("1", "Same Title"),
        "2": _record("2", "Same title"),
        "3": _record("3", "Different"),
        "4": _record("4", "Same Title"),
    }
    pairs = [
        LabelledPair("1", "2", "title", True),
        LabelledPair("1", "3", "title", True),
        LabelledPair("2", "4", "title", False),
    ]
    result = score(pairs, records, same_normalised_title)
    assert (result.true_positives, result.predicted, result.positives) == (1, 2, 2)
    assert result.precision == 0.5 and result.recall == 0.5
    assert result.f_beta(1.0) == 0.5
