"""Fuzzing the search-text parser: any text is a usable query or a QueryError saying why."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from likewise.ingest.ids import parse_arxiv_id
from likewise.rank.query import MAX_QUERY_CHARACTERS, QueryError, arxiv_id_in, validate_query

BOUNDED = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
_PIECES = st.sampled_from(
    [
        "graph ",
        "neural",
        "2403.01234",
        "v2",
        "arXiv:",
        "cs/0112017",
        " ",
        "\t",
        "\n",
        "\r\n",
        "\u2028",
        "\x00",
        "\x1b",
        "\x85",
        "\ud800",
        "\udcff",
        "\ufeff",
        "é",
        "\u0301",
        "<script>",
        "' OR 1=1 --",
        '"',
        "*",
        "NEAR(",
        "x" * 700,
    ]
)
QUERIES = st.lists(_PIECES, max_size=12).map("".join) | st.text(max_size=120)


@BOUNDED
@given(QUERIES)
def test_any_text_is_a_clean_query_or_a_refusal_that_says_why(text: str) -> None:
    try:
        folded = validate_query(text)
    except QueryError as error:
        message = str(error)
        assert message.startswith("the search text") and message.isprintable()
        return
    assert folded and folded == folded.strip() and len(folded) <= MAX_QUERY_CHARACTERS
    assert "  " not in folded
    assert not any(unicodedata.category(char) in ("Cc", "Cs") for char in folded)
    folded.encode("utf-8")  # printable, storable, sendable as it is


@BOUNDED
@given(QUERIES)
def test_a_query_taken_for_an_arxiv_id_is_one(text: str) -> None:
    found = arxiv_id_in(text)
    if found is not None:
        assert parse_arxiv_id(found).bare.lower() == found


@pytest.mark.parametrize("text", ["retrieval \udcff", "\ud800", "graph \udc80\udcff networks"])
def test_undecodable_bytes_are_refused_with_their_position(text: str) -> None:
    # A shell argument that was not UTF-8 arrives as lone surrogates; printing it back
    # ("No papers matched ...") raised UnicodeEncodeError on a UTF-8 terminal.
    with pytest.raises(
        QueryError, match=r"not valid UTF-8 \(U\+D[89A-F][0-9A-F]{2} at position \d+\)"
    ):
        validate_query(text)
