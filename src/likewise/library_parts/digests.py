"""Library part: digests (filled in by its area)."""

from __future__ import annotations

from likewise.library_parts.base import LibraryBase


class DigestOps(LibraryBase):
    """Operations of the digests area."""
