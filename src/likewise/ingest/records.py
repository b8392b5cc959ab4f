"""Field helpers shared by the record parsers: required text, ids, authors and categories.

Each raises RecordError with a message that names the field, so a rejected record says
exactly what was wrong with it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from likewise.ingest.authors import split_authors
from likewise.ingest.base import RecordError
from likewise.ingest.categories import normalise_categories, unknown_categories
from likewise.ingest.ids import ArxivId, InvalidArxivIdError, parse_arxiv_id
from likewise.ingest.text import clean_title, collapse_whitespace, latex_to_unicode


def shown(value: Any, room: int = 80) -> str:
    """A value quoted for a message, cut short (a bad field may be megabytes long)."""
    text = repr(value)
    return text if len(text) <= room else text[: room - 3] + "..."


def storable_text(value: str, field: str) -> str:
    """Text as both databases can hold it alike: NUL bytes dropped (PostgreSQL refuses them,
    SQLite keeps them), a lone surrogate (JSON ``\\ud800``, not a character) refused."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            code = ord(value[error.start])
            raise RecordError(
                f"{field} holds a lone surrogate \\u{code:04x}, which is not a character"
            ) from error
    return value


def required_id(value: Any) -> ArxivId:
    if not isinstance(value, str) or not value.strip():
        raise RecordError("record has no arXiv id")
    try:
        return parse_arxiv_id(value)
    except InvalidArxivIdError as error:
        raise RecordError(f"id: {error}") from error


def required_title(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RecordError("record has no title")
    return clean_title(storable_text(value, "title"))


def optional_text(value: Any, field: str = "value") -> str | None:
    """Free text (comment, journal ref): whitespace collapsed, accents decoded; None if empty."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"{field} must be text, found {shown(value)}")
    if "\x00" in value or not value.isascii():
        value = storable_text(value, field)
    cleaned = collapse_whitespace(latex_to_unicode(value))
    return cleaned or None


def abstract_text(value: Any, field: str = "abstract") -> str:
    return optional_text(value, field) or ""


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
    raise RecordError(f"categories must be a list of names or a string, found {shown(value)}")


@lru_cache(maxsize=8192)
def _left_out(items: tuple[str, ...] | str) -> tuple[str, ...]:
    return tuple(unknown_categories(items))


def categories_left_out(value: Any) -> tuple[str, ...]:
    """The items of a record's categories that are no arXiv category (reported, not stored)."""
    if not isinstance(value, str | list):
        return ()
    try:
        return _left_out(value if isinstance(value, str) else tuple(value))
    except (TypeError, AttributeError):  # an item that is not a string: categories_of says so
        return ()


def authors_of(value: Any, field: str = "authors") -> list[str]:
    """Authors from a list of names or one arXiv-style string."""
    if value is None:
        return []
    if isinstance(value, str):
        return split_authors(storable_text(value, field))
    if isinstance(value, list):
        names = []
        for item in value:
            if not isinstance(item, str):
                break
            name = collapse_whitespace(latex_to_unicode(item) if "\\" in item else item)
            if name:
                names.append(name)
        else:
            together = "".join(names)  # one check for all names: the common case is clean
            if "\x00" in together or not together.isascii():
                names = [name for name in (storable_text(n, field) for n in names) if name]
            return names
    raise RecordError(f"{field} must be a list of names or a string, found {shown(value)}")
