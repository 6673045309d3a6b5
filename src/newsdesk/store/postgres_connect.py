"""Opening a PostgreSQL store: one clear error when pgvector is missing, migrations, connection set-up."""

from __future__ import annotations

from typing import Any

import psycopg

from newsdesk.errors import StoreError
from newsdesk.store.pg_migrations import PG_MIGRATIONS

MIGRATION_LOCK = 0x6E657773  # advisory lock key serialising schema changes between processes


def safe_url(conninfo: str) -> str:
    """The URL without its password, for messages."""
    try:
        parts = psycopg.conninfo.conninfo_to_dict(conninfo)
    except psycopg.Error:
        return "the database"
    return f"postgresql://{parts.get('host', '')}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"


def one_line(exc: BaseException) -> str:
    """An exception's message on one line."""
    return " ".join(str(exc).split()) or type(exc).__name__


def bootstrap(conninfo: str) -> None:
    """Check pgvector is there (one clear error if not), create it, and apply pending migrations."""
    try:
        with psycopg.connect(conninfo, autocommit=True) as db:
            if db.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone() is None:
                server = db.execute("SHOW server_version").fetchone()
                raise StoreError(
                    f"PostgreSQL {server[0] if server else ''} at {safe_url(conninfo)} lacks the pgvector extension "
                    "that newsdesk needs for embeddings: install pgvector (package postgresql-NN-pgvector, or any "
                    "managed PostgreSQL) and run CREATE EXTENSION vector"
                )
            with db.transaction():
                db.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                db.execute("CREATE EXTENSION IF NOT EXISTS vector")
                db.execute("CREATE TABLE IF NOT EXISTS newsdesk_schema (version INTEGER NOT NULL)")
                row = db.execute("SELECT version FROM newsdesk_schema").fetchone()
                version = int(row[0]) if row else 0
                if row is None:
                    db.execute("INSERT INTO newsdesk_schema (version) VALUES (0)")
                if version > len(PG_MIGRATIONS):
                    raise StoreError(f"{safe_url(conninfo)} was written by a newer newsdesk (schema {version})")
                for number, script in enumerate(PG_MIGRATIONS[version:], start=version + 1):
                    db.execute(script.encode())
                    db.execute("UPDATE newsdesk_schema SET version = %s", (number,))
    except psycopg.Error as exc:
        raise StoreError(f"cannot open PostgreSQL database {safe_url(conninfo)}: {one_line(exc)}") from None


def configure(db: psycopg.Connection[Any]) -> None:
    """Set up a new pooled connection: vectors as numpy arrays, times in UTC."""
    from pgvector.psycopg import register_vector

    register_vector(db)
    db.execute("SET TIME ZONE 'UTC'")
