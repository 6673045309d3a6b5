"""`newsdesk migrate-store`: copy a SQLite store into PostgreSQL, every table, row for row.

Both schemas name their tables and columns alike, so the copy is generic: each SQLite table that the
PostgreSQL schema also has is copied (parents before children, following the foreign keys), and each
value is converted to its PostgreSQL column's type (ISO text to timestamptz, float32 bytes to vector,
0/1 to boolean, JSON text to jsonb). Tables added later by either schema are copied with no change
here, as long as both schemas give them the same name. SQLite's FTS5 tables have no PostgreSQL twin: the
search documents are rebuilt from the copied stories.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from newsdesk.errors import SettingsError, StoreError
from newsdesk.store import open_store
from newsdesk.store.codec import decode_time

Progress = Callable[[str], None]
_BATCH = 2000


def _convert(kind: str) -> Callable[[Any], Any]:
    """A converter from a SQLite value to a PostgreSQL column of type `kind` (its udt_name)."""

    def vector(value: Any) -> Any:
        return None if value is None else np.frombuffer(value, dtype=np.float32)

    def boolean(value: Any) -> Any:
        return None if value is None else bool(value)

    def jsonb(value: Any) -> Any:
        from psycopg.types.json import Jsonb

        return None if value is None else Jsonb(json.loads(value))

    converters: dict[str, Callable[[Any], Any]] = {
        "timestamptz": decode_time,
        "vector": vector,
        "bool": boolean,
        "jsonb": jsonb,
    }
    return converters.get(kind, lambda value: value)


def _tables_in_order(pg: Any) -> list[str]:
    """newsdesk's PostgreSQL tables, each after the tables its foreign keys point at."""
    names = [r[0] for r in pg.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()]
    parents: dict[str, set[str]] = {name: set() for name in names}
    for child, parent in pg.execute(
        """SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c
           WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace"""
    ).fetchall():
        if child != parent and child in parents:
            parents[child].add(parent)
    ordered: list[str] = []
    while parents:
        ready = sorted(name for name, needs in parents.items() if not needs - set(ordered))
        if not ready:
            raise StoreError(f"cannot order tables for copying: {sorted(parents)}")
        for name in ready:
            ordered.append(name)
            del parents[name]
    return ordered


def _self_parent_order(table: str, pg: Any) -> str:
    """ORDER BY that puts rows before the rows of the same table that point at them (articles.copy_of)."""
    columns = pg.execute(
        """SELECT a.attname FROM pg_constraint c JOIN pg_attribute a
           ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
           WHERE c.contype = 'f' AND c.conrelid = %s::regclass AND c.confrelid = c.conrelid""",
        (table,),
    ).fetchall()
    return " ORDER BY " + ", ".join(f'"{c[0]}" IS NOT NULL' for c in columns) if columns else ""


def _rows(source: sqlite3.Connection, sql: str) -> Iterator[list[tuple[Any, ...]]]:
    cursor = source.execute(sql)
    while batch := cursor.fetchmany(_BATCH):
        yield batch


def copy_store(from_url: str, to_url: str, progress: Progress = lambda _: None) -> dict[str, int]:
    """Copy every table of a SQLite store into an empty PostgreSQL store; returns rows copied per table."""
    import psycopg

    if not from_url.startswith("sqlite:///") or not to_url.startswith(("postgresql://", "postgres://")):
        raise SettingsError("migrate-store copies from sqlite:///... to postgresql://...")
    path = Path(from_url.removeprefix("sqlite:///"))
    if not path.is_file():
        raise SettingsError(f"no SQLite store at {path}")
    open_store(from_url).close()  # brings the SQLite schema up to date
    from newsdesk.store.postgres import PostgreSQLStore
    from newsdesk.store.postgres_connect import safe_url

    target = PostgreSQLStore(to_url)  # creates or updates the PostgreSQL schema
    if target.count_articles() or target.list_sources() or target.count_stories():
        target.close()
        raise StoreError(f"{safe_url(to_url)} already holds a store: migrate-store only copies into an empty one")
    copied: dict[str, int] = {}
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        with psycopg.connect(to_url) as pg, pg.transaction():
            from pgvector.psycopg import register_vector

            register_vector(pg)
            present = {r[0] for r in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            for table in _tables_in_order(pg):
                if table not in present:
                    continue
                pg_columns: dict[str, str] = dict(
                    pg.execute(
                        """SELECT column_name, udt_name FROM information_schema.columns
                           WHERE table_schema = 'public' AND table_name = %s AND is_generated = 'NEVER'""",
                        (table,),
                    ).fetchall()
                )
                lite_columns = [r[1] for r in source.execute(f'PRAGMA table_info("{table}")')]
                columns = [c for c in lite_columns if c in pg_columns]
                convert = [_convert(pg_columns[c]) for c in columns]
                names = ", ".join(f'"{c}"' for c in columns)
                select = f'SELECT {names} FROM "{table}"{_self_parent_order(table, pg)}'
                count = 0
                with pg.cursor().copy(f'COPY "{table}" ({names}) FROM STDIN'.encode()) as copy:
                    for batch in _rows(source, select):
                        for row in batch:
                            copy.write_row([f(v) for f, v in zip(convert, row, strict=True)])
                        count += len(batch)
                copied[table] = count
                progress(f"{table}: {count} rows")
                if "id" in pg_columns and pg_columns["id"] in {"int8", "int4"}:  # identity columns go on from the max
                    pg.execute(
                        f"""SELECT setval(pg_get_serial_sequence('"{table}"', 'id'),
                            GREATEST((SELECT MAX(id) FROM "{table}"), 1))""".encode()
                    )
        target.reindex()  # vector indexes, and the search documents SQLite keeps in its FTS5 tables
    except psycopg.Error as exc:
        raise StoreError(f"copying into PostgreSQL failed: {' '.join(str(exc).split())}") from None
    finally:
        source.close()
        target.close()
    return copied
