"""Field helpers shared by the record parsers: required text, ids, authors and categories.

Each raises RecordError with a message that names the field, so a rejected record says
exactly what was wrong with it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from likewise.ingest.authors import split_authors
from likewise.ingest.base import RecordError
from likewise.ingest.categories import InvalidCategoryError, normalise_categories
from likewise.ingest.ids import ArxivId, InvalidArxivIdError, parse_arxiv_id
from likewise.ingest.text import clean_title, collapse_whitespace, latex_to_unicode


def required_id(value: Any) -> ArxivId:
    if not isinstance(value, str) or not value.strip():
        raise RecordError("record has no arXiv id")
    try:
        return parse_arxiv_id(value)
    except InvalidArxivIdError as error:
        raise RecordError(str(error)) from error


def required_title(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RecordError("record has no title")
    return clean_title(value)


def optional_text(value: Any) -> str | None:
    """Free text (comment, journal ref): whitespace collapsed, accents decoded; None if empty."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"expected text, found {value!r}")
    cleaned = collapse_whitespace(latex_to_unicode(value))
    return cleaned or None


def abstract_text(value: Any) -> str:
    return optional_text(value) or ""


@lru_cache(maxsize=4096)
def _categories_from_text(text: str) -> tuple[str, ...]:
    return tuple(normalise_categories(text))


def categories_of(value: Any) -> list[str]:
    """Categories from a list or a space-separated string, canonical and primary first."""
    try:
        if isinstance(value, str):
            return list(_categories_from_text(value))
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return list(_categories_from_text(" ".join(value)))
    except InvalidCategoryError as error:
        raise RecordError(str(error)) from error
    if value is None:
        return []
    raise RecordError(f"categories must be a list or a string, found {value!r}")


def authors_of(value: Any) -> list[str]:
    """Authors from a list of names or one arXiv-style string."""
    if value is None:
        return []
    if isinstance(value, str):
        return split_authors(value)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        names = (collapse_whitespace(latex_to_unicode(item)) for item in value)
        return [name for name in names if name]
    raise RecordError(f"authors must be a list of names or a string, found {value!r}")
