"""arXiv identifier rules: new and old style, versions, prefixes and URLs."""

from __future__ import annotations

import pytest

from likewise.ingest.ids import (
    InvalidArxivIdError,
    bare_arxiv_id,
    find_arxiv_id,
    is_arxiv_id,
    parse_arxiv_id,
)


@pytest.mark.parametrize(
    ("text", "bare", "version"),
    [
        ("2403.01234", "2403.01234", None),
        ("2403.01234v2", "2403.01234", 2),
        ("0704.0001", "0704.0001", None),
        ("1412.9999v12", "1412.9999", 12),
        ("hep-th/9901001", "hep-th/9901001", None),
        ("hep-th/9901001v3", "hep-th/9901001", 3),
        ("math.GT/0309136", "math/0309136", None),
        ("HEP-TH/9901001", "hep-th/9901001", None),
        ("arXiv:2403.01234v1", "2403.01234", 1),
        ("https://arxiv.org/abs/2403.01234v2", "2403.01234", 2),
        ("http://export.arxiv.org/abs/hep-th/9901001", "hep-th/9901001", None),
        ("https://arxiv.org/pdf/2403.01234v1.pdf", "2403.01234", 1),
        ("oai:arXiv.org:cs/0112017", "cs/0112017", None),
        ("  2403.01234  ", "2403.01234", None),
    ],
)
def test_parse_arxiv_id_gives_the_bare_id_and_version(
    text: str, bare: str, version: int | None
) -> None:
    parsed = parse_arxiv_id(text)
    assert (parsed.bare, parsed.version) == (bare, version)


@pytest.mark.parametrize(
    "text",
    ["", "foo", "2403.1234", "1412.00001", "2413.01234", "0612.0001", "2403.01234v0", "hep-th/99"],
)
def test_parse_arxiv_id_rejects_what_is_not_an_id(text: str) -> None:
    with pytest.raises(InvalidArxivIdError, match="arXiv"):
        parse_arxiv_id(text)
    assert not is_arxiv_id(text)


def test_old_style_ids_of_different_archives_are_different_papers() -> None:
    assert bare_arxiv_id("hep-th/9901001") != bare_arxiv_id("math/9901001")


def test_versions_of_one_paper_share_a_bare_id() -> None:
    assert bare_arxiv_id("2403.01234v1") == bare_arxiv_id("2403.01234v7") == "2403.01234"
    assert str(parse_arxiv_id("2403.01234v7")) == "2403.01234v7"
    assert parse_arxiv_id("hep-th/9901001").is_old_style


def test_find_arxiv_id_reads_ids_out_of_free_text() -> None:
    assert find_arxiv_id("arXiv preprint arXiv:1810.04805") == parse_arxiv_id("1810.04805")
    assert find_arxiv_id("see https://arxiv.org/abs/hep-th/9901001")
    assert find_arxiv_id("Bell System Technical Journal") is None
