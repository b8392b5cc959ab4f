"""Papers to table rows and back, and the rule that merges a new record into a stored one.

Rows are tuples in schema.PAPER_COLUMNS order holding plain Python values (UTC-aware
datetimes, dates); the dialect-specific encoding for bulk writes lives in store/upsert.py.
"""

from __future__ import annotations

import hashlib
from dataclasses import fields
from datetime import UTC, date, datetime
from typing import Any

from likewise.models import Paper, Version, normalise_title
from likewise.store.schema import PAPER_COLUMNS

PaperRow = tuple[Any, ...]
_COLUMN_INDEX = {name: index for index, name in enumerate(PAPER_COLUMNS)}
_DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:")
# Fields a record may leave empty without erasing what is stored.
_MERGED_FIELDS = tuple(
    item.name
    for item in fields(Paper)
    if item.name not in {"arxiv_id", "latest_version", "versions", "announced", "record_modified"}
)


def utc(moment: datetime | None) -> datetime | None:
    """Naive datetimes are taken as UTC; every stored datetime is UTC-aware."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def normalise_doi(doi: str | None) -> str | None:
    if not doi:
        return None
    cleaned = doi.strip()
    lowered = cleaned.lower()
    for prefix in _DOI_PREFIXES:
        if lowered.startswith(prefix):
            cleaned = cleaned[len(prefix) :]
            break
    return cleaned.strip().lower() or None


def title_hash(title: str) -> int:
    """A signed 64-bit hash of the normalised title (collisions are checked by the caller)."""
    digest = hashlib.blake2b(normalise_title(title).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def encode_lines(values: list[str]) -> str:
    """Names (or categories) one per line; line breaks inside a value become spaces."""
    joined = "\n".join(values)
    if joined.count("\n") == max(len(values) - 1, 0):
        return joined
    return "\n".join(" ".join(value.split()) for value in values)


def decode_lines(text: str | None) -> list[str]:
    return text.split("\n") if text else []


def clean_categories(categories: list[str]) -> list[str]:
    """Categories as stored: each once, in order, without line breaks."""
    return list(dict.fromkeys(decode_lines(encode_lines(categories))))


def listed_day(paper: Paper) -> date | None:
    if paper.announced is not None:
        return paper.announced
    submitted = utc(paper.submitted)
    return submitted.date() if submitted else None


def paper_to_row(paper: Paper, source: str) -> PaperRow:
    """The papers-table row of a paper (without its key)."""
    categories = clean_categories(paper.categories)
    return (
        paper.arxiv_id,
        paper.title,
        title_hash(paper.title),
        paper.abstract or "",
        encode_lines(paper.authors),
        "\n".join(categories),
        categories[0] if categories else None,
        utc(paper.submitted),
        utc(paper.updated),
        paper.announced,
        paper.record_modified,
        listed_day(paper),
        paper.latest_version,
        paper.comment,
        paper.journal_ref,
        paper.doi,
        normalise_doi(paper.doi),
        paper.license,
        paper.source or source,
        paper.content_hash(),
    )


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def row_to_paper(row: Any, versions: list[Version] | None = None) -> Paper:
    """A Paper from a row that has the papers columns by name (as a Core select returns)."""
    mapping = row._mapping if hasattr(row, "_mapping") else row
    return Paper(
        arxiv_id=mapping["arxiv_id"],
        title=mapping["title"],
        abstract=mapping["abstract"],
        authors=decode_lines(mapping["authors"]),
        categories=decode_lines(mapping["categories"]),
        submitted=utc(mapping["submitted"]),
        updated=utc(mapping["updated"]),
        announced=_as_date(mapping["announced"]),
        record_modified=_as_date(mapping["record_modified"]),
        latest_version=mapping["latest_version"],
        versions=versions if versions is not None else [],
        comment=mapping["comment"],
        journal_ref=mapping["journal_ref"],
        doi=mapping["doi"],
        license=mapping["license"],
        source=mapping["source"],
    )


def with_version_history(paper: Paper) -> Paper:
    """A copy whose versions are sorted and carry the bare id; when the source listed no
    versions, the latest one is recorded if the paper's dates say when it was submitted."""
    latest = paper.latest_version
    by_number: dict[int, Version] = {}
    if paper.versions:
        for version in paper.versions:
            by_number[version.number] = Version(
                paper.arxiv_id, version.number, utc(version.submitted), version.size
            )
        latest = max(latest, *by_number)
    moment = paper.submitted if latest == 1 else paper.updated
    if latest not in by_number and moment is not None:
        by_number[latest] = Version(paper.arxiv_id, latest, utc(moment))
    return Paper(
        arxiv_id=paper.arxiv_id,
        title=paper.title,
        abstract=paper.abstract,
        authors=paper.authors,
        categories=paper.categories,
        submitted=paper.submitted,
        updated=paper.updated,
        announced=paper.announced,
        record_modified=paper.record_modified,
        latest_version=latest,
        versions=[by_number[number] for number in sorted(by_number)],
        comment=paper.comment,
        journal_ref=paper.journal_ref,
        doi=paper.doi,
        license=paper.license,
        source=paper.source,
    )


_TEXT_FIELDS = ("title", "abstract", "comment", "journal_ref", "doi", "license", "source")


def _has_nul(value: Any) -> bool:
    return isinstance(value, str) and "\x00" in value


def _drop_nul(value: Any) -> Any:
    return value.replace("\x00", "") if isinstance(value, str) else value


def without_nul(paper: Paper) -> Paper:
    """The paper with NUL bytes dropped from its text (PostgreSQL refuses them and SQLite
    keeps them; dropping them everywhere makes both hold the same); itself if it has none."""
    texts = [getattr(paper, name) for name in _TEXT_FIELDS]
    lists = [*paper.authors, *paper.categories, *(v.size for v in paper.versions)]
    if not any(_has_nul(value) for value in texts) and not any(map(_has_nul, lists)):
        return paper
    values: dict[str, Any] = {item.name: getattr(paper, item.name) for item in fields(Paper)}
    for name in _TEXT_FIELDS:
        values[name] = _drop_nul(values[name])
    values["authors"] = [_drop_nul(item) for item in paper.authors]
    values["categories"] = [_drop_nul(item) for item in paper.categories]
    values["versions"] = [
        Version(v.arxiv_id, v.number, v.submitted, _drop_nul(v.size)) for v in paper.versions
    ]
    return Paper(**values)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _earliest(first: date | None, second: date | None) -> date | None:
    if first is None or second is None:
        return first or second
    return min(first, second)


def _latest(first: date | None, second: date | None) -> date | None:
    if first is None or second is None:
        return first or second
    return max(first, second)


def is_newer(incoming: Paper, stored: Paper) -> bool:
    """A higher version; or the same version, not older by record-modified date (so a
    corrected record of the same version wins; an undated one loses only to a dated one)."""
    if incoming.latest_version != stored.latest_version:
        return incoming.latest_version > stored.latest_version
    if incoming.record_modified is None:
        return stored.record_modified is None
    return stored.record_modified is None or incoming.record_modified >= stored.record_modified


def merge_papers(stored: Paper, incoming: Paper) -> Paper:
    """One record from two: the newer one's fields win, neither erases what the other has."""
    winner, other = (incoming, stored) if is_newer(incoming, stored) else (stored, incoming)
    values: dict[str, Any] = {}
    for name in _MERGED_FIELDS:
        value = getattr(winner, name)
        values[name] = getattr(other, name) if _is_empty(value) else value
    versions: dict[int, Version] = {version.number: version for version in stored.versions}
    for version in incoming.versions:
        known = versions.get(version.number)
        if known is None:
            versions[version.number] = version
        else:
            versions[version.number] = Version(
                known.arxiv_id,
                known.number,
                known.submitted or version.submitted,
                known.size or version.size,
            )
    return Paper(
        arxiv_id=stored.arxiv_id,
        latest_version=max(stored.latest_version, incoming.latest_version),
        versions=[versions[number] for number in sorted(versions)],
        announced=_earliest(stored.announced, incoming.announced),
        record_modified=_latest(stored.record_modified, incoming.record_modified),
        **values,
    )


def column(row: PaperRow, name: str) -> Any:
    return row[_COLUMN_INDEX[name]]
