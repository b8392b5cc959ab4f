"""The PostgreSQL catalog: a connection pool sized for several workers, and lexical search
ranked BM25-style over the weighted tsvector (title A, abstract B, authors C).

PostgreSQL's ts_rank has no inverse document frequency, so a common word counts as much as a
rare one. Here each query word is scored on its own with ts_rank (a saturating,
length-normalised term weight) and weighted by its Robertson/Sparck Jones IDF (Robertson &
Zaragoza, "The Probabilistic Relevance Framework: BM25 and Beyond", 2009). Document
frequencies come from the statistics ANALYZE keeps for the tsvector column (most common
lexemes and their frequencies), so they cost nothing to maintain.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, create_engine, func, literal, literal_column, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.url import URL

from likewise.store import schema
from likewise.store.catalog import SqlCatalogStore, join_tsqueries
from likewise.store.lexical import ParsedQuery

# Per worker process: a web worker serves a few requests at once; the digest and ingest
# runs use one or two connections. 4 workers x (5 + 5) stays under PostgreSQL's default 100.
POOL_SIZE = 5
MAX_OVERFLOW = 5
POOL_RECYCLE_SECONDS = 1800
# ts_rank weights for labels D, C, B, A: authors C, abstract B, title A (tuned on SciFact
# train claims, see docs/operations.md).
RANK_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"
# 1: divide by 1 + log(document length), so long abstracts do not win by length alone.
RANK_NORMALISATION = 1
# Words in more than this share of papers only rank, they do not select candidates: matching
# them would rank most of the catalog for little gain (0.05 measured best on SciFact, and it
# halves the latency against 0.2).
COMMON_SHARE = 0.05
# About this many candidate papers are ranked at most (before the fallback to every word):
# ranking costs one ts_rank per query word per candidate. Below ~100k papers it never binds.
CANDIDATE_BUDGET = 20_000
STATISTICS_SECONDS = 600.0
_TERM_LEXEMES = text(
    "SELECT word, ARRAY(SELECT lexeme FROM unnest(to_tsvector('english', word))) "
    "FROM unnest(CAST(:words AS text[])) AS word"
)
_COLUMN_STATISTICS = text(
    "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
    "WHERE schemaname = current_schema() AND tablename = 'papers' "
    "AND attname = 'search_vector'"
)


def create_postgres_engine(
    url: str | URL, *, pool_size: int = POOL_SIZE, max_overflow: int = MAX_OVERFLOW
) -> Engine:
    """An engine for one worker process: a bounded pool, dead connections replaced on checkout
    (a restarted server or a failover does not break the workers), connections renamed so
    that pg_stat_activity shows which are likewise's."""
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        pool_recycle=POOL_RECYCLE_SECONDS,
        pool_timeout=30,
        connect_args={"application_name": "likewise", "connect_timeout": 10},
    )


@dataclass(slots=True)
class TermStatistics:
    """Document frequencies (as shares of all papers) of the most common lexemes."""

    papers: float
    shares: dict[str, float] = field(default_factory=dict)
    # Lexemes not listed are rarer than the least common listed one.
    rare_share: float = 0.0
    loaded_at: float = 0.0

    def share(self, lexeme: str) -> float:
        return self.shares.get(lexeme, self.rare_share)

    def idf(self, lexeme: str) -> float:
        documents = self.share(lexeme) * self.papers
        return math.log(1.0 + (self.papers - documents + 0.5) / (documents + 0.5))


class PostgresCatalogStore(SqlCatalogStore):
    """The catalog in PostgreSQL (vectors for search live in pgvector, index/pgvector_index.py)."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._statistics: TermStatistics | None = None

    def term_statistics(self, connection: Connection) -> TermStatistics:
        """Cached for a few minutes: they only move with large ingests."""
        cached = self._statistics
        if cached is not None and time.monotonic() - cached.loaded_at < STATISTICS_SECONDS:
            return cached
        found = connection.execute(_COLUMN_STATISTICS).first()
        papers = int(connection.scalar(select(func.count()).select_from(schema.papers)) or 0)
        if found is None and papers:
            # Never analysed yet (a new catalog): autovacuum would do it later.
            connection.execute(text("ANALYZE papers (search_vector)"))
            found = connection.execute(_COLUMN_STATISTICS).first()
        statistics = TermStatistics(papers=float(max(papers, 1)), loaded_at=time.monotonic())
        if found is not None and found[0] is not None:
            lexemes, shares = found[0], found[1]
            # The last three shares are the minimum, the maximum and the null share.
            statistics.shares = dict(zip(lexemes, shares[: len(lexemes)], strict=True))
            statistics.rare_share = float(shares[-3]) / 2 if len(shares) >= 3 else 0.0
        self._statistics = statistics
        return statistics

    def _full_text(
        self,
        connection: Connection,
        parsed: ParsedQuery,
        limit: int,
        conditions: list[ColumnElement[bool]],
    ) -> list[tuple[str, float]]:
        words = list(dict.fromkeys([*parsed.words, *(w for p in parsed.phrases for w in p)]))
        lexemes = {
            word: list(found) for word, found in connection.execute(_TERM_LEXEMES, {"words": words})
        }
        statistics = self.term_statistics(connection)
        # Stop words have no lexeme and take no part; each other word is one scored term.
        terms = [(word, lexemes[word]) for word in words if lexemes.get(word)]
        if not terms:
            return []
        english: ColumnElement[Any] = literal_column("'english'::regconfig")
        vector: ColumnElement[Any] = literal_column("papers.search_vector")
        weights: ColumnElement[Any] = literal_column(f"'{RANK_WEIGHTS}'::float4[]")
        score: ColumnElement[Any] = literal(0.0)
        rare: list[tuple[float, Any]] = []
        for word, found in terms:
            query = func.plainto_tsquery(english, word)
            idf = sum(statistics.idf(lexeme) for lexeme in found) / len(found)
            score = score + literal(idf) * func.ts_rank(weights, vector, query, RANK_NORMALISATION)
            share = max(statistics.share(lexeme) for lexeme in found)
            if share <= COMMON_SHARE:
                rare.append((share, query))
        # Every candidate is ranked, so the rarest words select, up to a budget of papers.
        selecting: list[Any] = []
        expected = 0.0
        for share, query in sorted(rare, key=lambda item: item[0]):
            expected += share * statistics.papers
            if selecting and expected > CANDIDATE_BUDGET:
                break
            selecting.append(query)
        phrase_queries = [func.phraseto_tsquery(english, typed) for typed in parsed.phrase_texts]
        every_word = [func.plainto_tsquery(english, word) for word, _ in terms]
        if phrase_queries:
            attempts = [join_tsqueries(phrase_queries, "&&")]
        elif selecting and len(selecting) < len(every_word):
            # Rare words first; if they find too few papers, the common words select too.
            attempts = [join_tsqueries(selecting), join_tsqueries(every_word)]
        else:
            attempts = [join_tsqueries(every_word)]
        labelled = score.label("score")
        hits: list[tuple[str, float]] = []
        for matching in attempts:
            statement = (
                select(schema.papers.c.arxiv_id, labelled)
                .where(vector.op("@@")(matching), *conditions)
                .order_by(labelled.desc(), schema.papers.c.key)
                .limit(limit)
            )
            hits = [(arxiv_id, float(value)) for arxiv_id, value in connection.execute(statement)]
            if len(hits) >= limit:
                break
        return hits
