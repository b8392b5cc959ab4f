"""Durable state behind one protocol (store/base.py): SQLite and PostgreSQL."""
