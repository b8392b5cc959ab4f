"""Fuzzing the arXiv id parser: any text is an id or a named refusal, never a crash."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from likewise.ingest.ids import InvalidArxivIdError, find_arxiv_id, parse_arxiv_id
from likewise.rank.query import arxiv_id_in

MAX_VERSION = 9999  # the documented bound (ids.MAX_VERSION)

BOUNDED = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

_PIECES = st.sampled_from(
    [
        "2403.",
        "01234",
        "1234",
        "0704.0001",
        "hep-th/",
        "math.GT/",
        "9901001",
        "v",
        "v0",
        "v2",
        "v99999999999999999999",
        "arXiv:",
        "https://arxiv.org/abs/",
        "oai:arXiv.org:",
        ".pdf",
        "/",
        " ",
        "٢٤٠٣",
        "０１２３４",
        "ſ",
        "ı",
        "K",
        "\x00",
        "\ud800",
    ]
)
# Pieces of real ids glued at random reach the parser's branches far more often than
# arbitrary text; plain text covers everything else.
ID_LIKE = st.lists(_PIECES, max_size=8).map("".join) | st.text(max_size=60)


@BOUNDED
@given(ID_LIKE)
def test_any_text_is_an_ascii_id_that_reparses_or_a_named_refusal(text: str) -> None:
    try:
        parsed = parse_arxiv_id(text)
    except InvalidArxivIdError as error:
        assert "arXiv" in str(error) and len(str(error)) < 200
        return
    assert parsed.bare.isascii()
    assert parsed.version is None or 1 <= parsed.version <= MAX_VERSION
    assert parse_arxiv_id(str(parsed)) == parsed


@BOUNDED
@given(ID_LIKE)
def test_finding_an_id_in_free_text_never_raises(text: str) -> None:
    found = find_arxiv_id(f"see arXiv:{text} and {text}")
    assert found is None or found.bare.isascii()
    query_id = arxiv_id_in(text)
    assert query_id is None or query_id.isascii()


@BOUNDED
@given(
    st.integers(7, 14).map(lambda year: f"{year:02d}"),
    st.integers(1, 12),
    st.integers(0, 99999),
    st.none() | st.integers(1, MAX_VERSION),
)
def test_every_well_formed_new_style_id_parses_to_itself(
    year: str, month: int, number: int, version: int | None
) -> None:
    yymm = f"{year}{month:02d}"
    if yymm < "0704":
        yymm = "0704"
    digits = f"{number % 10000:04d}" if yymm < "1501" else f"{number:05d}"
    text = f"{yymm}.{digits}" + (f"v{version}" if version else "")
    parsed = parse_arxiv_id(f"arXiv:{text}")
    assert (parsed.bare, parsed.version) == (f"{yymm}.{digits}", version)


@pytest.mark.parametrize(
    "text",
    ["2403.01234v99999999999999999999", "hep-th/9901001v10000", "2403.01234v" + "9" * 5000],
)
def test_a_huge_version_is_a_named_refusal_not_an_overflow(text: str) -> None:
    with pytest.raises(
        InvalidArxivIdError, match=r"version out of range \(v1 to v9999\)"
    ) as raised:
        parse_arxiv_id(text)
    assert len(str(raised.value)) < 200
    found = find_arxiv_id(f"preprint arXiv:{text}")
    assert found is None or found.version is None


def test_leading_zeros_do_not_hide_a_version() -> None:
    assert parse_arxiv_id("2403.01234v" + "0" * 5000 + "3").version == 3
    with pytest.raises(InvalidArxivIdError, match="start at v1"):
        parse_arxiv_id("2403.01234v" + "0" * 50)


@pytest.mark.parametrize(
    "text",
    ["٢٤٠٣.٠١٢٣٤", "２４０３.０１２３４v2", "hep-tıh/9901001", "ſ/9901001", "hep-th/٩٩٠١٠٠١"],
)
def test_look_alike_digits_and_letters_are_not_arxiv_ids(text: str) -> None:
    with pytest.raises(InvalidArxivIdError):
        parse_arxiv_id(text)
    assert find_arxiv_id(f"arXiv:{text}") is None
    assert arxiv_id_in(text) is None
