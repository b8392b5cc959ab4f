"""The per-paper sentence table as SQLAlchemy Core metadata; migration 0006 creates it.

One row per (embedding model, paper): the abstract's sentence spans, their facet labels and
their vectors, valid for the paper text whose content hash the row carries.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, LargeBinary, MetaData, String, Table, Text

metadata = MetaData()

paper_sentences = Table(
    "paper_sentences",
    metadata,
    Column("model_id", Text, primary_key=True),
    Column(
        "paper_key",
        Integer,
        ForeignKey("papers.key", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("content_hash", String(64), nullable=False),
    Column("count", Integer, nullable=False),
    # JSON [[start, end], ...]: character spans into the paper's abstract.
    Column("spans", Text, nullable=False),
    # JSON ["method", ...], one label per span.
    Column("labels", Text, nullable=False),
    # float16, little-endian, count x dimension unit vectors.
    Column("vectors", LargeBinary, nullable=False),
)
