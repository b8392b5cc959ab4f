"""The near-duplicate tables as SQLAlchemy Core metadata; migration 0010 creates them.

`paper_bands` holds each paper's LSH band keys (rank/near_duplicates.py), `near_duplicate_pairs`
the pairs the rule judged one work (smaller key first; a work's group is the connected
component), and `near_duplicate_checks` the content hash each paper was last checked at.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, MetaData, String, Table

metadata = MetaData()


def _paper(name: str, primary_key: bool = True) -> Column[int]:
    return Column(
        name, Integer, ForeignKey("papers.key", ondelete="CASCADE"), primary_key=primary_key
    )


near_duplicate_checks = Table(
    "near_duplicate_checks",
    metadata,
    _paper("paper_key"),
    Column("content_hash", String(64), nullable=False),
)

paper_bands = Table(
    "paper_bands",
    metadata,
    _paper("paper_key"),
    Column("band", BigInteger, primary_key=True, autoincrement=False),
    sqlite_with_rowid=False,
)
Index("ix_paper_bands_band", paper_bands.c.band)

near_duplicate_pairs = Table(
    "near_duplicate_pairs",
    metadata,
    _paper("paper_key"),
    _paper("other_key"),
    sqlite_with_rowid=False,
)
Index("ix_near_duplicate_pairs_other_key", near_duplicate_pairs.c.other_key)
