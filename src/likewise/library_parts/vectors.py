"""Library part: vectors (filled in by its area)."""

from __future__ import annotations

from likewise.library_parts.base import LibraryBase


class VectorOps(LibraryBase):
    """Operations of the vectors area."""
