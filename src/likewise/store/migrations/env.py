"""Alembic environment: runs migrations on the connection that store/migrate.py hands over.

There is no alembic.ini; store/migrate.py builds the configuration in code.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("likewise migrations run through likewise.store.migrate, not the CLI")

context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
