"""Library: the one facade that cli/, web/ and digest/ call.

It is assembled from one part per area of the product (library_parts/), each a mixin over
LibraryBase, so that every caller sees a single object with one coherent set of methods.
"""

from __future__ import annotations

from likewise.embed.base import Embedder
from likewise.services.catalog import CatalogOps
from likewise.services.digests import DigestOps
from likewise.services.lexical import LexicalOps
from likewise.services.search import SearchOps
from likewise.services.similar import SimilarOps
from likewise.services.site import SiteOps
from likewise.services.vectors import VectorOps
from likewise.settings import Settings
from likewise.store.base import CatalogStore


class Library(CatalogOps, VectorOps, LexicalOps, SearchOps, SimilarOps, SiteOps, DigestOps):
    """Everything likewise can do over one catalog."""

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        store: CatalogStore | None = None,
        embedder: Embedder | None = None,
    ) -> Library:
        """Open (creating and migrating if needed) the catalog the settings point at."""
        if store is None:
            from likewise.store.factory import open_store

            settings.home.mkdir(parents=True, exist_ok=True)
            store = open_store(settings.resolved_database_url)
        return cls(settings, store, embedder)

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
