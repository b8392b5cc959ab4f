"""Account security state on the catalog's engine: server-side sessions, verified addresses.

A session is known by the SHA-256 of the random id its cookie carries; deleting the row ends
it everywhere at once, whatever copies of the cookie exist. SQLAlchemy Core only.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlalchemy import and_, delete, func, select
from sqlalchemy.engine import Engine

from likewise.store.account_tables import account_sessions, users
from likewise.store.accounts import User, user_from_row


def session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


class AccountSecurityRepository:
    """Sessions and address verification; one instance per engine, safe across threads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- sessions ----------------------------------------------------------------------------
    def create_session(self, user_id: int, session_id: str, expires_at: datetime) -> None:
        now = _now()
        with self.engine.begin() as connection:
            # Expired rows of this account go when it signs in again: no table grows for ever.
            connection.execute(
                delete(account_sessions).where(
                    and_(
                        account_sessions.c.user_id == user_id,
                        account_sessions.c.expires_at < now,
                    )
                )
            )
            connection.execute(
                account_sessions.insert().values(
                    id_hash=session_hash(session_id),
                    user_id=user_id,
                    created_at=now,
                    expires_at=expires_at,
                )
            )

    def user_for_session(self, session_id: str) -> User | None:
        """The account a live session belongs to; None once it ended or expired."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(users)
                .join(account_sessions, account_sessions.c.user_id == users.c.id)
                .where(
                    and_(
                        account_sessions.c.id_hash == session_hash(session_id),
                        account_sessions.c.expires_at > _now(),
                    )
                )
            ).first()
        return user_from_row(row) if row else None

    def end_session(self, session_id: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                delete(account_sessions).where(
                    account_sessions.c.id_hash == session_hash(session_id)
                )
            )

    def end_all_sessions(self, user_id: int) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                delete(account_sessions).where(account_sessions.c.user_id == user_id)
            )

    def count_sessions(self, user_id: int) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.execute(
                    select(func.count()).where(
                        and_(
                            account_sessions.c.user_id == user_id,
                            account_sessions.c.expires_at > _now(),
                        )
                    )
                ).scalar_one()
            )

    # -- addresses ---------------------------------------------------------------------------
    def mark_email_verified(self, user_id: int, email: str) -> bool:
        """Record that the account's address was proven, if it is still `email`."""
        with self.engine.begin() as connection:
            result = connection.execute(
                users.update()
                .where(and_(users.c.id == user_id, func.lower(users.c.email) == email.lower()))
                .values(email_verified_at=_now())
            )
        return bool(result.rowcount)

    def verified_user_with_email(self, email: str) -> User | None:
        """The account that most recently proved this address, if any."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(users)
                .where(
                    and_(
                        func.lower(users.c.email) == email.strip().lower(),
                        users.c.email_verified_at.is_not(None),
                    )
                )
                .order_by(users.c.email_verified_at.desc(), users.c.id.desc())
            ).first()
        return user_from_row(row) if row else None
