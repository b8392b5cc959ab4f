"""Accounts on the catalog's engine: users, votes, collections, "not interested", log-in attempts.

SQLAlchemy Core only (no SQL from strings). Every write is one short transaction, and the
"one row per (account, paper)" rules are enforced by primary keys with ON CONFLICT DO NOTHING,
so several web workers can write at once without duplicates or lost updates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, and_, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from likewise.store.account_tables import (
    collection_items,
    collections,
    login_attempts,
    not_interested,
    users,
    votes,
)


class AccountError(ValueError):
    """An account operation cannot be done (name taken, unknown collection); says why."""


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    email: str | None
    created_at: datetime
    email_verified: bool = False  # the mailed link for `email` was opened


@dataclass(frozen=True, slots=True)
class Collection:
    id: int
    user_id: int
    name: str
    created_at: datetime
    size: int = 0


def _utc(value: datetime | None) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    if value is None:
        return datetime.fromtimestamp(0, UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _now() -> datetime:
    return datetime.now(UTC)


def user_from_row(row: Any) -> User:
    verified = row.email is not None and row.email_verified_at is not None
    return User(int(row.id), row.username, row.email, _utc(row.created_at), verified)


def normalise_username(name: str) -> str:
    return name.strip().casefold()


class AccountRepository:
    """Reads and writes account state; one instance per engine, safe to share across threads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _insert_ignoring_duplicates(
        self, connection: Connection, table: Table, values: dict[str, Any]
    ) -> bool:
        """Insert a row unless its primary key exists; True when a row was added."""
        if connection.dialect.name == "postgresql":
            statement: Any = postgresql.insert(table).values(**values).on_conflict_do_nothing()
        else:
            statement = sqlite.insert(table).values(**values).on_conflict_do_nothing()
        # SQLAlchemy reports -1 for an INSERT's rowcount on psycopg unless asked to keep it.
        statement = statement.execution_options(preserve_rowcount=True)
        return bool(connection.execute(statement).rowcount > 0)

    # -- users -------------------------------------------------------------------------------
    def create_user(self, username: str, password_hash: str, email: str | None = None) -> User:
        created = _now()
        try:
            with self.engine.begin() as connection:
                result = connection.execute(
                    users.insert().values(
                        username=username.strip(),
                        username_normalised=normalise_username(username),
                        email=email,
                        password_hash=password_hash,
                        created_at=created,
                    )
                )
                key = result.inserted_primary_key
        except IntegrityError as error:
            raise AccountError(f"the name {username.strip()!r} is already taken") from error
        assert key is not None
        return User(int(key[0]), username.strip(), email, created)

    def _user_from(self, row: Any) -> User:
        return user_from_row(row)

    def get_user(self, user_id: int) -> User | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(users).where(users.c.id == user_id)).first()
        return self._user_from(row) if row else None

    def find_login(self, username: str) -> tuple[User, str] | None:
        """The user with this name (case-insensitive) and their password hash."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(users).where(users.c.username_normalised == normalise_username(username))
            ).first()
        return (self._user_from(row), str(row.password_hash)) if row else None

    def users_with_email(self, email: str) -> list[User]:
        """The accounts whose address is `email` (case-insensitive), oldest first."""
        wanted = email.strip().casefold()
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(users).where(func.lower(users.c.email) == wanted).order_by(users.c.id)
            ).all()
        return [self._user_from(row) for row in rows]

    def find_by_email(self, email: str) -> User | None:
        """The account with this address (case-insensitive): the one that verified it most
        recently, else the oldest that gave it (addresses are not unique until verified)."""
        address = email.strip().lower()
        if not address:
            return None
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(users).where(func.lower(users.c.email) == address).order_by(users.c.id)
            ).all()
        verified = [row for row in rows if row.email_verified_at is not None]
        if verified:
            newest = max(verified, key=lambda row: (_utc(row.email_verified_at), row.id))
            return self._user_from(newest)
        return self._user_from(rows[0]) if rows else None

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                users.update().where(users.c.id == user_id).values(password_hash=password_hash)
            )

    # -- votes -------------------------------------------------------------------------------
    def add_vote(self, user_id: int, arxiv_id: str) -> bool:
        with self.engine.begin() as connection:
            return self._insert_ignoring_duplicates(
                connection, votes, {"user_id": user_id, "arxiv_id": arxiv_id, "created_at": _now()}
            )

    def remove_vote(self, user_id: int, arxiv_id: str) -> bool:
        with self.engine.begin() as connection:
            result = connection.execute(
                delete(votes).where(and_(votes.c.user_id == user_id, votes.c.arxiv_id == arxiv_id))
            )
        return bool(result.rowcount)

    def vote_counts(self, arxiv_ids: Sequence[str]) -> dict[str, int]:
        """Votes per paper for the given ids (papers without votes are absent)."""
        counts: dict[str, int] = {}
        with self.engine.connect() as connection:
            for chunk in _chunks(arxiv_ids, 500):
                rows = connection.execute(
                    select(votes.c.arxiv_id, func.count())
                    .where(votes.c.arxiv_id.in_(chunk))
                    .group_by(votes.c.arxiv_id)
                )
                counts.update({str(arxiv_id): int(count) for arxiv_id, count in rows})
        return counts

    def voted_by(self, user_id: int, arxiv_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        with self.engine.connect() as connection:
            for chunk in _chunks(arxiv_ids, 500):
                rows = connection.execute(
                    select(votes.c.arxiv_id).where(
                        and_(votes.c.user_id == user_id, votes.c.arxiv_id.in_(chunk))
                    )
                )
                found.update(str(row[0]) for row in rows)
        return found

    def votes_since(self, since: datetime) -> list[tuple[str, datetime]]:
        """(arxiv_id, time) of every vote cast at or after `since`."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(votes.c.arxiv_id, votes.c.created_at).where(votes.c.created_at >= since)
            )
            return [(str(arxiv_id), _utc(created)) for arxiv_id, created in rows]

    def count_votes(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(votes)).scalar_one())

    # -- not interested ----------------------------------------------------------------------
    def hide(self, user_id: int, arxiv_id: str) -> bool:
        with self.engine.begin() as connection:
            return self._insert_ignoring_duplicates(
                connection,
                not_interested,
                {"user_id": user_id, "arxiv_id": arxiv_id, "created_at": _now()},
            )

    def unhide(self, user_id: int, arxiv_id: str) -> bool:
        with self.engine.begin() as connection:
            result = connection.execute(
                delete(not_interested).where(
                    and_(
                        not_interested.c.user_id == user_id,
                        not_interested.c.arxiv_id == arxiv_id,
                    )
                )
            )
        return bool(result.rowcount)

    def hidden_ids(self, user_id: int) -> frozenset[str]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(not_interested.c.arxiv_id).where(not_interested.c.user_id == user_id)
            )
            return frozenset(str(row[0]) for row in rows)

    # -- collections -------------------------------------------------------------------------
    def create_collection(self, user_id: int, name: str) -> Collection:
        created = _now()
        try:
            with self.engine.begin() as connection:
                key = connection.execute(
                    collections.insert().values(user_id=user_id, name=name, created_at=created)
                ).inserted_primary_key
        except IntegrityError as error:
            raise AccountError(f"you already have a collection named {name!r}") from error
        assert key is not None
        return Collection(int(key[0]), user_id, name, created)

    def collection_by_name(self, user_id: int, name: str) -> Collection | None:
        for collection in self.collections_of(user_id):
            if collection.name == name:
                return collection
        return None

    def collections_of(self, user_id: int) -> list[Collection]:
        size = (
            select(func.count())
            .where(collection_items.c.collection_id == collections.c.id)
            .scalar_subquery()
        )
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(collections, size.label("size"))
                .where(collections.c.user_id == user_id)
                .order_by(collections.c.name)
            )
            return [
                Collection(int(r.id), int(r.user_id), r.name, _utc(r.created_at), int(r.size))
                for r in rows
            ]

    def get_collection(self, user_id: int, collection_id: int) -> Collection | None:
        """The collection if it exists and belongs to this user (others' are invisible)."""
        for collection in self.collections_of(user_id):
            if collection.id == collection_id:
                return collection
        return None

    def add_to_collection(self, collection_id: int, arxiv_id: str) -> bool:
        with self.engine.begin() as connection:
            return self._insert_ignoring_duplicates(
                connection,
                collection_items,
                {"collection_id": collection_id, "arxiv_id": arxiv_id, "added_at": _now()},
            )

    def remove_from_collection(self, collection_id: int, arxiv_id: str) -> bool:
        with self.engine.begin() as connection:
            result = connection.execute(
                delete(collection_items).where(
                    and_(
                        collection_items.c.collection_id == collection_id,
                        collection_items.c.arxiv_id == arxiv_id,
                    )
                )
            )
        return bool(result.rowcount)

    def delete_collection(self, collection_id: int) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                delete(collection_items).where(collection_items.c.collection_id == collection_id)
            )
            connection.execute(delete(collections).where(collections.c.id == collection_id))

    def collection_items(self, collection_id: int) -> list[str]:
        """Paper ids in the collection, most recently added first."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(collection_items.c.arxiv_id)
                .where(collection_items.c.collection_id == collection_id)
                .order_by(collection_items.c.added_at.desc(), collection_items.c.arxiv_id)
            )
            return [str(row[0]) for row in rows]

    def collections_holding(self, user_id: int, arxiv_id: str) -> set[int]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(collections.c.id)
                .join(collection_items, collection_items.c.collection_id == collections.c.id)
                .where(
                    and_(
                        collections.c.user_id == user_id,
                        collection_items.c.arxiv_id == arxiv_id,
                    )
                )
            )
            return {int(row[0]) for row in rows}

    # -- log-in attempts ---------------------------------------------------------------------
    def record_login_attempt(
        self, subjects: Iterable[str], succeeded: bool, at: datetime | None = None
    ) -> None:
        moment = at or _now()
        with self.engine.begin() as connection:
            for subject in subjects:
                connection.execute(
                    login_attempts.insert().values(
                        subject=subject[:200], attempted_at=moment, succeeded=succeeded
                    )
                )

    def prune_login_attempts(self, before: datetime) -> int:
        """Forget attempts older than `before` (no limit looks that far back)."""
        with self.engine.begin() as connection:
            result = connection.execute(
                delete(login_attempts).where(login_attempts.c.attempted_at < before)
            )
        return int(result.rowcount or 0)

    def failed_attempts_since(self, subject: str, since: datetime) -> int:
        """Failures for the subject since `since`, counting only those after its last success."""
        return self.failures_since(subject, since)[0]

    def failures_since(self, subject: str, since: datetime) -> tuple[int, datetime | None]:
        """(failures, time of the latest) for the subject since `since`, counting only those
        after its last success."""
        with self.engine.connect() as connection:
            last_success = connection.execute(
                select(func.max(login_attempts.c.attempted_at)).where(
                    and_(login_attempts.c.subject == subject, login_attempts.c.succeeded)
                )
            ).scalar_one()
            start = max(since, _utc(last_success)) if last_success is not None else since
            count, latest = connection.execute(
                select(func.count(), func.max(login_attempts.c.attempted_at)).where(
                    and_(
                        login_attempts.c.subject == subject,
                        login_attempts.c.attempted_at > start,
                        login_attempts.c.succeeded.is_(False),
                    )
                )
            ).one()
            return int(count), (_utc(latest) if latest is not None else None)


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
