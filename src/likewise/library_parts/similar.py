"""Library part: similar (filled in by its area)."""

from __future__ import annotations

from likewise.library_parts.base import LibraryBase


class SimilarOps(LibraryBase):
    """Operations of the similar area."""
