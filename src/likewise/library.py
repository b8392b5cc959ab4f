"""Library: one catalog and the services over it, the object that cli/, web/ and digest/ call.

Each service (services/) takes what it uses in its constructor; this module builds them once,
in dependency order, and closes the store. See docs/architecture.md.
"""

from __future__ import annotations

from likewise.embed.base import Embedder
from likewise.services.account_mail import AccountMailService
from likewise.services.accounts import AccountService
from likewise.services.catalog import CatalogService
from likewise.services.digest_runs import DigestPlanner
from likewise.services.digests import DigestService, digest_repository
from likewise.services.embedding import EmbedderProvider
from likewise.services.evidence import EvidenceService
from likewise.services.facet_similar import FacetSimilarService
from likewise.services.lexical import LexicalIndexService
from likewise.services.library_import import LibraryImportService
from likewise.services.model_upgrade import ModelUpgradeService
from likewise.services.near_duplicates import NearDuplicateService
from likewise.services.outbox import OutboxService
from likewise.services.recommend import RecommendService
from likewise.services.recommend_feed import FeedLinks
from likewise.services.recommend_sources import EntriesOfModel, SignalGatherer
from likewise.services.search import SearchService
from likewise.services.sentences import SentenceService
from likewise.services.similar import SimilarService
from likewise.services.site import SiteService
from likewise.services.topics import TopicService
from likewise.services.vector_import import VectorImportService
from likewise.services.vectors import VectorService
from likewise.settings import Settings
from likewise.store.account_security import AccountSecurityRepository
from likewise.store.accounts import AccountRepository
from likewise.store.base import CatalogStore
from likewise.store.library_entries import LibraryEntryRepository
from likewise.store.model_upgrades import ModelUpgradeRepository
from likewise.store.near_duplicates import NearDuplicateRepository
from likewise.store.reader_signals import ReaderSignalRepository
from likewise.store.sentences import SentenceRepository


class Library:
    """Everything likewise can do over one catalog, one service per area."""

    def __init__(
        self, settings: Settings, store: CatalogStore, embedder: Embedder | None = None
    ) -> None:
        self.settings = settings
        self.store = store
        upgrade_rows = ModelUpgradeRepository(store.engine)
        self.embedding = EmbedderProvider(settings, embedder, upgrade_rows)
        self.lexical = LexicalIndexService(settings.home, store)
        self.sentences = SentenceService(SentenceRepository(store.engine), self.embedding)
        self.vectors = VectorService(settings, store, self.embedding, self.sentences)
        self.model_upgrade = ModelUpgradeService(
            settings, store, self.embedding, self.vectors, upgrade_rows, self.sentences
        )
        self.vector_import = VectorImportService(store, self.embedding, self.vectors)
        self.near_duplicates = NearDuplicateService(store, NearDuplicateRepository(store.engine))
        self.catalog = CatalogService(settings, store, self.lexical, self.near_duplicates)
        self.evidence = EvidenceService(self.sentences, self.lexical)
        self.search = SearchService(
            settings,
            store,
            self.embedding,
            self.vectors,
            self.lexical,
            self.evidence,
            self.near_duplicates,
        )
        self.similar = SimilarService(settings, store, self.embedding, self.vectors, self.lexical)
        self.facet_similar = FacetSimilarService(
            self.similar, self.embedding, self.vectors, self.sentences, self.lexical
        )
        account_rows = AccountRepository(store.engine)
        security_rows = AccountSecurityRepository(store.engine)
        self.accounts = AccountService(settings, account_rows, security_rows)
        library_entries = LibraryEntryRepository(store.engine)
        self.library_import = LibraryImportService(store, library_entries, self.embedding)
        self.topics = TopicService(store, self.embedding, self.vectors)
        self.site = SiteService(
            settings,
            store,
            account_rows,
            self.catalog,
            self.vectors,
            self.topics,
            self.near_duplicates,
        )
        reader_signals = ReaderSignalRepository(store.engine)
        own_entries = EntriesOfModel(library_entries, lambda: self.embedding.get().model_id)
        gatherer = SignalGatherer(store, account_rows, reader_signals, own_entries)
        self.recommend = RecommendService(
            settings,
            store,
            gatherer,
            security_rows,
            self.embedding,
            self.vectors,
            self.lexical,
            self.near_duplicates,
        )
        self.feed_links = FeedLinks(settings, reader_signals)
        digest_rows = digest_repository(settings, store)
        outbox = OutboxService(settings, digest_rows)
        self.account_mail = AccountMailService(
            settings, digest_rows, account_rows, security_rows, outbox
        )
        planner = DigestPlanner(
            settings,
            store,
            self.embedding,
            self.vectors,
            self.search,
            digest_rows,
            account_rows,
            self.recommend,
            self.near_duplicates,
            self.evidence,
        )
        self.digests = DigestService(
            settings, store, digest_rows, account_rows, planner, outbox, self.account_mail
        )

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

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
