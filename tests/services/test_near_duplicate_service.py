"""Near-duplicates at ingest on a real catalog (both backends): new and changed papers are
checked, unchanged ones are not, groups read back, BibTeX `local:` entries join their paper."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from likewise.ingest.jsonl import JsonlSource
from likewise.library import Library

# Shortened from real arxiv-daily-cs records: a re-submission under a new id (2506.06035 and
# 2510.03122, same title and authors, abstract rewritten), a hard negative sharing most title
# words (Video-T1 / Stream-T1, other authors), and an unrelated paper.
HAVIR_TITLE = (
    "HAVIR: HierArchical Vision to Image Reconstruction using CLIP-Guided Versatile Diffusion"
)
HAVIR_AUTHORS = ["Shiyi Zhang", "Dong Liang", "Hairong Zheng", "Yihang Zhou"]
PAPERS: list[dict[str, Any]] = [
    {
        "id": "2506.06035",
        "title": HAVIR_TITLE,
        "authors": HAVIR_AUTHORS,
        "abstract": "Reconstructing visual information from brain activity bridges the gap "
        "between neuroscience and computer vision. We decode images from fMRI with a "
        "hierarchical model guided by CLIP and a versatile diffusion model.",
        "first_listed": "2025-06-09",
    },
    {
        "id": "2510.03122",
        "title": HAVIR_TITLE,
        "authors": HAVIR_AUTHORS,
        "abstract": "The reconstruction of visual information from brain activity fosters "
        "interdisciplinary integration between neuroscience and computer vision; existing "
        "methods struggle to recover complex visual stimuli.",
        "first_listed": "2025-10-06",
    },
    {
        "id": "2503.18942",
        "title": "Video-T1: Test-Time Scaling for Video Generation",
        "authors": ["Fangfu Liu", "Hanyang Wang", "Yimo Cai"],
        "abstract": "With the scale capability of increasing training data, model size and "
        "computational cost, video generation has achieved impressive results.",
        "first_listed": "2025-03-25",
    },
    {
        "id": "2605.04461",
        "title": "Stream-T1: Test-Time Scaling for Streaming Video Generation",
        "authors": ["Yijing Tu", "Shaojin Wu", "Mengqi Huang"],
        "abstract": "While test-time scaling offers a promising direction to enhance video "
        "generation without the surging costs of training, current methods are slow.",
        "first_listed": "2026-05-06",
    },
    {
        "id": "2509.08480",
        "title": "Acquiescence Bias in Large Language Models",
        "authors": ["Daniel Braun"],
        "abstract": "Acquiescence bias is the tendency to agree with statements in surveys.",
        "first_listed": "2025-09-11",
    },
]


def _write(path: Path, papers: list[dict[str, Any]]) -> Path:
    rows = [
        {
            "categories": ["cs.CV"],
            "comment": None,
            "last_listed": p["first_listed"],
            "n_listings": 1,
            **p,
        }
        for p in papers
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_ingest_groups_a_resubmission_and_not_a_look_alike_title(
    library: Library, tmp_path: Path
) -> None:
    library.catalog.ingest(JsonlSource(_write(tmp_path / "papers.jsonl", PAPERS)))
    groups = library.near_duplicates.also_as([p["id"] for p in PAPERS])
    assert {key: [a.arxiv_id for a in value] for key, value in groups.items()} == {
        "2506.06035": ["2510.03122"],
        "2510.03122": ["2506.06035"],
    }
    assert groups["2506.06035"][0].title == HAVIR_TITLE


def test_only_new_and_changed_papers_are_checked_again(library: Library, tmp_path: Path) -> None:
    library.catalog.ingest(JsonlSource(_write(tmp_path / "papers.jsonl", PAPERS)))
    assert library.near_duplicates.update().checked == 0
    changed = [dict(p) for p in PAPERS]
    changed[1]["title"] = "Decoding Dreams from the Visual Cortex"
    changed[1]["abstract"] = "We decode dreams recorded with EEG during sleep into images."
    changed[1]["first_listed"] = "2025-10-07"
    added = {
        "id": "2511.00001",
        "title": HAVIR_TITLE,
        "authors": HAVIR_AUTHORS[:3],
        "abstract": "A thesis version of HAVIR.",
        "first_listed": "2025-11-03",
    }
    calls: list[int] = []
    rows = library.near_duplicates._rows
    original = rows.unchecked

    def counted(limit: int) -> Any:
        found = original(limit)
        calls.append(len(found))
        return found

    rows.unchecked = counted  # type: ignore[method-assign]
    library.catalog.ingest(JsonlSource(_write(tmp_path / "more.jsonl", [*changed, added])))
    assert calls[0] == 2  # the changed paper and the new one, not the three unchanged
    groups = library.near_duplicates.also_as(["2506.06035", "2510.03122", "2511.00001"])
    assert [a.arxiv_id for a in groups["2506.06035"]] == ["2511.00001"]
    assert "2510.03122" not in groups


def test_a_bibtex_entry_with_a_reworded_title_joins_its_arxiv_paper(
    library: Library, tmp_path: Path
) -> None:
    library.catalog.ingest(JsonlSource(_write(tmp_path / "papers.jsonl", PAPERS)))
    bib = tmp_path / "mine.bib"
    bib.write_text(
        "@inproceedings{zhang2025havir,\n"
        "  title = {{HAVIR}: Hierarchical Vision to Image Reconstruction Using"
        " {CLIP}-Guided Versatile Diffusion Models},\n"
        "  author = {Zhang, Shiyi and Liang, Dong and Zheng, Hairong and Zhou, Yihang},\n"
        "  booktitle = {Proceedings of MICCAI},\n  year = {2025}\n}\n",
        encoding="utf-8",
    )
    summary = library.catalog.ingest(library.catalog.file_source(bib))
    assert summary.inserted == 1
    (local,) = [p for p in library.store.iter_papers() if p.is_local]
    groups = library.near_duplicates.also_as([local.arxiv_id])
    assert [a.arxiv_id for a in groups[local.arxiv_id]] == ["2506.06035", "2510.03122"]
