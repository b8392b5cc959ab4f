"""Queries that feed the in-process lexical index (index/inverted.py): each paper's indexed
text and a fingerprint that changes with it. SQLAlchemy Core, both dialects.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.engine import Connection

from likewise.store import schema
from likewise.store.base import StoredText
from likewise.store.upsert import chunks

papers = schema.papers


def text_fingerprint(content_hash: str, authors: str) -> int:
    """64 bits that change with the indexed text: the stored content hash covers title and
    abstract (what is embedded), the CRC the authors."""
    try:
        high = int(content_hash[:8], 16)
    except ValueError:
        high = zlib.crc32(content_hash.encode("utf-8"))
    return (high << 32) | zlib.crc32(authors.encode("utf-8"))


def paper_text_fingerprints(
    connection: Connection, after_key: int | None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint64]]:
    query = select(papers.c.key, papers.c.content_hash, papers.c.authors).order_by(papers.c.key)
    if after_key is not None:
        query = query.where(papers.c.key > after_key)
    keys: list[int] = []
    fingerprints: list[int] = []
    for key, content_hash, authors in connection.execute(query):
        keys.append(key)
        fingerprints.append(text_fingerprint(content_hash, authors))
    return np.asarray(keys, dtype=np.int64), np.asarray(fingerprints, dtype=np.uint64)


def paper_texts(
    connection: Connection, keys: Sequence[int] | None, after_key: int | None
) -> list[StoredText]:
    columns = (
        papers.c.key,
        papers.c.arxiv_id,
        papers.c.content_hash,
        papers.c.title,
        papers.c.abstract,
        papers.c.authors,
    )
    base = select(*columns).order_by(papers.c.key)
    if after_key is not None:
        base = base.where(papers.c.key > after_key)
    selections = (
        [base]
        if keys is None
        else [base.where(papers.c.key.in_(chunk)) for chunk in chunks([int(k) for k in keys])]
    )
    texts: list[StoredText] = []
    for selection in selections:
        for key, arxiv_id, content_hash, title, abstract, authors in connection.execute(selection):
            fingerprint = text_fingerprint(content_hash, authors)
            texts.append(StoredText(int(key), fingerprint, title, abstract, authors, arxiv_id))
    texts.sort(key=lambda text: text.key)
    return texts
