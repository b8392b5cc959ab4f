"""Library part: search (filled in by its area)."""

from __future__ import annotations

from likewise.library_parts.base import LibraryBase


class SearchOps(LibraryBase):
    """Operations of the search area."""
