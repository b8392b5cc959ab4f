"""Order-independent checksums of table rows, so a copied catalog can be verified against its
source whichever database and driver wrote each side (used by store/copy.py)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection, RowMapping

from likewise.store.base import StoreError

CHECKSUM_BITS = 128


class CopyError(StoreError):
    """The copy could not be made or did not verify; the target was left unchanged."""


def table_digest(connection: Connection, table: Table, columns: list[str]) -> tuple[int, int]:
    rows = digest_sum = 0
    for row in connection.execute(select(*(table.columns[name] for name in columns))).mappings():
        rows += 1
        digest_sum += row_digest(row, columns)
    return rows, digest_sum % (1 << CHECKSUM_BITS)


def verify_copy(
    connection: Connection, target: Table, columns: list[str], rows: int, checksum: int
) -> None:
    """Read the table back from the target and compare with what was read from the source."""
    found_rows = 0
    digest_sum = 0
    statement = select(*(target.columns[name] for name in columns))
    for row in connection.execute(statement).mappings():
        found_rows += 1
        digest_sum += row_digest(row, columns)
    found = digest_sum % (1 << CHECKSUM_BITS)
    if found_rows != rows:
        raise CopyError(f"table {target.name}: copied {rows} rows but the target has {found_rows}")
    if found != checksum:
        raise CopyError(
            f"table {target.name}: checksum differs after the copy "
            f"(source {checksum:032x}, target {found:032x})"
        )


def row_digest(row: Mapping[str, Any] | RowMapping, columns: list[str]) -> int:
    canonical = "\x1f".join(_canonical(row[name]) for name in columns)
    return int.from_bytes(hashlib.sha256(canonical.encode("utf-8")).digest()[:16], "big")


def as_utc(value: Any) -> Any:
    # SQLite keeps timestamps as naive UTC text; PostgreSQL's timestamptz needs the zone.
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _canonical(value: Any) -> str:
    """One spelling per value, whichever database and driver produced it."""
    if value is None:
        return "\x00"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        moment = value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
        return moment.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return "b:" + bytes(value).hex()
    if isinstance(value, float | Decimal):
        return repr(float(value))
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return str(value)
