"""Field helpers shared by the record parsers: required text, ids, authors and categories.

Each raises RecordError with a message that names the field, so a rejected record says
exactly what was wrong with it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from likewise.ingest.authors import split_authors
from likewise.ingest.base import RecordError
from likewise.ingest.categories import normalise_categories
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


@lru_cache(maxsize=8192)
def _canonical(items: tuple[str, ...] | str) -> tuple[str, ...]:
    return tuple(normalise_categories(items))


def categories_of(value: Any) -> list[str]:
    """Categories from a list or a space-separated string, canonical and primary first."""
    if value is None:
        return []
    if isinstance(value, str | list):
        try:
            # Lists repeat (cs.CV, cs.CL ...), so the canonical form is cached per list.
            return list(_canonical(value if isinstance(value, str) else tuple(value)))
        except (TypeError, AttributeError):
            pass  # an item that is not a string
    raise RecordError(f"categories must be a list of names or a string, found {value!r}")


def authors_of(value: Any) -> list[str]:
    """Authors from a list of names or one arXiv-style string."""
    if value is None:
        return []
    if isinstance(value, str):
        return split_authors(value)
    if isinstance(value, list):
        names = []
        for item in value:
            if not isinstance(item, str):
                break
            name = collapse_whitespace(latex_to_unicode(item) if "\\" in item else item)
            if name:
                names.append(name)
        else:
            return names
    raise RecordError(f"authors must be a list of names or a string, found {value!r}")
