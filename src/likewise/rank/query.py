"""Validation of search text before it reaches the index: clear errors, never stack traces.

Pasted abstracts keep their line breaks and tabs (folded into spaces); other control
characters, lone surrogates (undecodable bytes), empty text and over-long text are refused
with a message a person can act on.
"""

from __future__ import annotations

import re
import unicodedata

MAX_QUERY_CHARACTERS = 2_000
_WHITESPACE = re.compile(r"\s+")
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}
# New-style (2403.01234, optional version) and old-style (cs/0112017) arXiv identifiers.
_ARXIV_ID = re.compile(
    r"^(?:arxiv:\s*)?(?P<id>\d{4}\.\d{4,5}|[a-z][a-z.\-]*/\d{7})(?:v\d+)?$",
    re.IGNORECASE | re.ASCII,
)


class QueryError(ValueError):
    """The search text cannot be used; the message says why and what to do."""


def validate_query(text: str, *, max_characters: int = MAX_QUERY_CHARACTERS) -> str:
    """The query with whitespace folded, or QueryError for empty, over-long or control text."""
    if not isinstance(text, str):
        raise QueryError("the search text must be a string")
    if len(text) > max_characters * 4:
        # Refuse huge inputs before scanning them character by character.
        raise QueryError(
            f"the search text is {len(text):,} characters long; the limit is "
            f"{max_characters:,} (paste an abstract, not a whole paper)"
        )
    for position, character in enumerate(text):
        if character in _ALLOWED_CONTROLS:
            continue
        category = unicodedata.category(character)
        if category == "Cc":
            raise QueryError(
                f"the search text contains a control character (U+{ord(character):04X}) at "
                f"position {position + 1}; remove it and try again"
            )
        if category == "Cs":
            # A lone surrogate: bytes that were not UTF-8 (a shell argument in another
            # encoding); it cannot be printed or stored, so it is refused here.
            raise QueryError(
                f"the search text is not valid UTF-8 (U+{ord(character):04X} at position "
                f"{position + 1}); retype it and try again"
            )
    folded = _WHITESPACE.sub(" ", text).strip()
    if not folded:
        raise QueryError("the search text is empty; type a few words or paste an abstract")
    if len(folded) > max_characters:
        raise QueryError(
            f"the search text is {len(folded):,} characters long; the limit is "
            f"{max_characters:,} (paste an abstract, not a whole paper)"
        )
    return folded


def arxiv_id_in(query: str) -> str | None:
    """The bare arXiv id if the whole query is one (with or without version / prefix)."""
    match = _ARXIV_ID.match(query.strip())
    return match.group("id").lower() if match else None
