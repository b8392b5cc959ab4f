"""Query validation: bad search text gets a clear error."""

from __future__ import annotations

import pytest

from likewise.rank.query import MAX_QUERY_CHARACTERS, QueryError, arxiv_id_in, validate_query


@pytest.mark.parametrize("text", ["", "   ", "\n\t  \r\n"])
def test_empty_queries_are_refused_with_a_clear_message(text: str) -> None:
    with pytest.raises(QueryError, match="empty"):
        validate_query(text)


def test_a_hundred_kilobyte_query_is_refused_with_its_length() -> None:
    with pytest.raises(QueryError, match=r"102,400 characters long; the limit is 2,000"):
        validate_query("a" * 102_400)


def test_a_query_just_over_the_limit_is_refused() -> None:
    with pytest.raises(QueryError, match="limit"):
        validate_query("b" * (MAX_QUERY_CHARACTERS + 1))


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x07", "\x7f"])
def test_control_characters_are_refused_with_their_position(character: str) -> None:
    with pytest.raises(QueryError, match=r"control character .* position 6"):
        validate_query(f"graph{character} neural networks")


def test_pasted_abstracts_keep_their_words_and_lose_line_breaks() -> None:
    pasted = "We study\n\tsparse   attention.\r\nResults follow."
    assert validate_query(pasted) == "We study sparse attention. Results follow."


def test_non_ascii_letters_are_fine() -> None:
    assert validate_query("  Schrödinger équation  ") == "Schrödinger équation"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2403.01234", "2403.01234"),
        ("arXiv:2403.01234v3", "2403.01234"),
        ("cs/0112017", "cs/0112017"),
        ("2403.01234 transformers", None),
        ("attention is all you need", None),
    ],
)
def test_arxiv_ids_are_recognised_only_as_the_whole_query(text: str, expected: str | None) -> None:
    assert arxiv_id_in(text) == expected
