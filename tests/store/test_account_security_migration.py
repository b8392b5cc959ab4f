"""Migration 0005: an existing catalog gains server-side sessions and verified addresses, and
loses the account-to-subscriber links that anyone could have made by typing an address."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import create_engine, text

from likewise.store.factory import open_store
from likewise.store.migrate import _config


def test_upgrading_from_0004_drops_unproven_links_and_keeps_accounts(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        config = _config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
        now = datetime(2026, 1, 5, tzinfo=UTC)
        connection.execute(
            text(
                "INSERT INTO users (username, username_normalised, email, password_hash, "
                "created_at) VALUES ('mallory', 'mallory', 'victim@example.org', 'x', :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO subscribers (email, confirmed, cadence, strictness, token, "
                "feed_token, user_id, created_at) VALUES ('victim@example.org', true, "
                "'daily', 'balanced', 't0123456789', 'f0123456789', 1, :now)"
            ),
            {"now": now},
        )
    engine.dispose()
    store = open_store(database_url)  # migrates to head
    try:
        with store.engine.connect() as connection:
            user_ids = connection.execute(text("SELECT user_id FROM subscribers")).all()
            verified = connection.execute(text("SELECT email_verified_at FROM users")).all()
            sessions = connection.execute(text("SELECT count(*) FROM account_sessions")).one()
        assert user_ids == [(None,)]
        assert verified == [(None,)]
        assert sessions == (0,)
    finally:
        store.close()
