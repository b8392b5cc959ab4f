"""Library part: catalog (filled in by its area)."""

from __future__ import annotations

from likewise.library_parts.base import LibraryBase


class CatalogOps(LibraryBase):
    """Operations of the catalog area."""
