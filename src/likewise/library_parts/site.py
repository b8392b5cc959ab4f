"""Library part: site (filled in by its area)."""

from __future__ import annotations

from likewise.library_parts.base import LibraryBase


class SiteOps(LibraryBase):
    """Operations of the site area."""
