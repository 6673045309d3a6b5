"""The scale-out store: PostgreSQL through psycopg 3 and a connection pool, pgvector for embeddings.

Same tables and behaviour as the SQLite store (store/sqlite.py), so both pass one contract suite.
What differs: story centroids are searched by pgvector's HNSW index instead of in memory, and
`exclusive()` is a PostgreSQL advisory lock, so workers on many machines can share one store.

Search: articles carry a generated `search` tsvector (title weighted A, English stemming) with a GIN
index. When the protocol gains its `search` method (SQLite FTS5 on the web branch), the PostgreSQL
side is one query: `WHERE search @@ websearch_to_tsquery('english', %s) ORDER BY ts_rank(search, q)`,
grouped by story.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from newsdesk.errors import NotFoundError, StoreError
from newsdesk.store.base import FetchOutcome, NearCopy, NewArticle, StoryCandidate, StoryPoint
from newsdesk.store.codec import decode_writing, encode_writing
from newsdesk.store.pg_migrations import PG_MIGRATIONS
from newsdesk.types import Article, RelatedStory, Source, Story, Writing

Row = dict[str, Any]

_MIGRATION_LOCK = 0x6E657773  # advisory lock key serialising schema changes between processes
_HNSW_EF_SEARCH = 200  # candidates HNSW keeps per search; time-window filtering happens after it
_POOL_SIZE = 8  # connections per process; a worker uses one per thread plus one for a held lock

_STORY_COLUMNS = """
    s.id, s.created_at, s.updated_at, s.headline, s.standfirst, s.writing, s.topic,
    (SELECT COUNT(*) FROM articles a WHERE a.story_id = s.id) AS article_count,
    (SELECT COUNT(DISTINCT a.outlet) FROM articles a WHERE a.story_id = s.id) AS outlet_count
"""


def _record(kind: type[Any], row: Row) -> Any:
    """A record from the row's columns that are its fields (tables may grow columns it does not have)."""
    return kind(**{f.name: row[f.name] for f in dataclasses.fields(kind) if f.name in row})


def _vector(value: Any) -> np.ndarray:
    """float32 numpy array from a numpy array or a pgvector Vector."""
    if hasattr(value, "to_numpy"):
        value = value.to_numpy()
    return np.asarray(value, dtype=np.float32)


def _bootstrap(conninfo: str) -> None:
    """Check pgvector is there (one clear error if not), create it, and apply pending migrations."""
    try:
        with psycopg.connect(conninfo, autocommit=True) as db:
            found = db.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone()
            if found is None:
                server = db.execute("SHOW server_version").fetchone()
                raise StoreError(
                    f"PostgreSQL {server[0] if server else ''} at {_safe(conninfo)} lacks the pgvector extension "
                    "that newsdesk needs for embeddings: install pgvector (package postgresql-NN-pgvector, or any "
                    "managed PostgreSQL) and run CREATE EXTENSION vector"
                )
            with db.transaction():
                db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
                db.execute("CREATE EXTENSION IF NOT EXISTS vector")
                db.execute("CREATE TABLE IF NOT EXISTS newsdesk_schema (version INTEGER NOT NULL)")
                row = db.execute("SELECT version FROM newsdesk_schema").fetchone()
                version = int(row[0]) if row else 0
                if row is None:
                    db.execute("INSERT INTO newsdesk_schema (version) VALUES (0)")
                if version > len(PG_MIGRATIONS):
                    raise StoreError(f"{_safe(conninfo)} was written by a newer newsdesk (schema {version})")
                for number, script in enumerate(PG_MIGRATIONS[version:], start=version + 1):
                    db.execute(script.encode())
                    db.execute("UPDATE newsdesk_schema SET version = %s", (number,))
    except psycopg.Error as exc:
        raise StoreError(f"cannot open PostgreSQL database {_safe(conninfo)}: {_one_line(exc)}") from None


def _safe(conninfo: str) -> str:
    """The URL without its password, for messages."""
    try:
        parts = psycopg.conninfo.conninfo_to_dict(conninfo)
    except psycopg.Error:
        return "the database"
    return f"postgresql://{parts.get('host', '')}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _configure(db: psycopg.Connection[Any]) -> None:
    from pgvector.psycopg import register_vector

    register_vector(db)
    db.execute("SET TIME ZONE 'UTC'")
    db.execute(f"SET hnsw.ef_search = {_HNSW_EF_SEARCH}")


class PostgreSQLStore:
    """Store implementation over PostgreSQL with pgvector."""

    def __init__(self, url: str) -> None:
        self.url = url
        _bootstrap(url)
        try:
            self._pool: ConnectionPool[psycopg.Connection[Row]] = ConnectionPool(
                url,
                min_size=1,
                max_size=_POOL_SIZE,
                kwargs={"autocommit": True, "row_factory": dict_row},
                configure=_configure,
                open=True,
                timeout=30,
            )
            self._pool.wait(timeout=30)
        except (psycopg.Error, PoolTimeout) as exc:
            raise StoreError(f"cannot open PostgreSQL database {_safe(url)}: {_one_line(exc)}") from None
        self._indexed_dims: set[int] = set()
        self._index_lock = threading.Lock()

    # -- plumbing -------------------------------------------------------------
    @contextmanager
    def _tx(self) -> Iterator[psycopg.Connection[Row]]:
        try:
            with self._pool.connection() as db, db.transaction():
                yield db
        except psycopg.Error as exc:
            raise StoreError(f"database error: {_one_line(exc)}") from None

    def _rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Row]:
        try:
            with self._pool.connection() as db:
                return db.execute(sql.encode(), params).fetchall()
        except psycopg.Error as exc:
            raise StoreError(f"database error: {_one_line(exc)}") from None

    def _value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self._rows(sql, params)
        return next(iter(rows[0].values())) if rows else None

    def close(self) -> None:
        self._pool.close()

    def _ensure_vector_index(self, db: psycopg.Connection[Row], dim: int) -> None:
        """An HNSW index for centroids of this dimension (HNSW needs one fixed dimension per index)."""
        if dim in self._indexed_dims:
            return
        with self._index_lock:
            name = f"stories_centroid_hnsw_{dim}"
            if db.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", (name,)).fetchone() is None:
                db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
                db.execute(
                    f"CREATE INDEX IF NOT EXISTS {name} ON stories USING hnsw "
                    f"((centroid::vector({dim})) vector_cosine_ops) WHERE vector_dims(centroid) = {dim}".encode()
                )
            self._indexed_dims.add(dim)

    def reindex_vectors(self) -> None:
        """Make sure every centroid dimension present has its HNSW index (after a bulk copy)."""
        with self._tx() as db:
            for row in db.execute("SELECT DISTINCT vector_dims(centroid) AS dim FROM stories").fetchall():
                self._ensure_vector_index(db, int(row["dim"]))

    # -- sources --------------------------------------------------------------
    @staticmethod
    def _source(row: Row) -> Source:
        return _record(Source, row)

    def add_source(self, url: str, added_at: datetime) -> Source:
        with self._tx() as db:
            row = db.execute(
                "INSERT INTO sources (url, added_at) VALUES (%s, %s) ON CONFLICT (url) DO NOTHING RETURNING *",
                (url, added_at),
            ).fetchone()
        if row is None:
            raise StoreError(f"{url} is already a source")
        return self._source(row)

    def get_source(self, source_id: int) -> Source:
        rows = self._rows("SELECT * FROM sources WHERE id = %s", (source_id,))
        if not rows:
            raise NotFoundError(f"no source with id {source_id}")
        return self._source(rows[0])

    def find_source(self, url: str) -> Source | None:
        rows = self._rows("SELECT * FROM sources WHERE url = %s", (url,))
        return self._source(rows[0]) if rows else None

    def list_sources(self) -> list[Source]:
        return [self._source(r) for r in self._rows("SELECT * FROM sources ORDER BY id")]

    def remove_source(self, source_id: int) -> None:
        self.get_source(source_id)
        with self._tx() as db:
            db.execute("DELETE FROM sources WHERE id = %s", (source_id,))

    def record_fetch(self, source_id: int, outcome: FetchOutcome) -> None:
        when = outcome.attempted_at
        with self._tx() as db:
            if outcome.ok:
                db.execute(
                    """UPDATE sources SET last_attempt_at = %s, last_success_at = %s, last_error = NULL,
                       consecutive_failures = 0, etag = %s, last_modified = %s,
                       title = COALESCE(%s, title), articles_seen = articles_seen + %s WHERE id = %s""",
                    (when, when, outcome.etag, outcome.last_modified, outcome.title, outcome.new_articles, source_id),
                )
            else:
                db.execute(
                    """UPDATE sources SET last_attempt_at = %s, last_error = %s,
                       consecutive_failures = consecutive_failures + 1 WHERE id = %s""",
                    (when, outcome.error, source_id),
                )

    # -- articles -------------------------------------------------------------
    @staticmethod
    def _article(row: Row) -> Article:
        return _record(Article, row)

    _ARTICLE_COLUMNS = (
        "id, url, source_id, outlet, title, text, published, author, section, language, content_hash, "
        "copy_of, story_id, partial, fetched_at"
    )

    def has_article(self, article_id: str) -> bool:
        return bool(self._rows("SELECT 1 FROM articles WHERE id = %s", (article_id,)))

    def get_article(self, article_id: str) -> Article:
        rows = self._rows(f"SELECT {self._ARTICLE_COLUMNS} FROM articles WHERE id = %s", (article_id,))
        if not rows:
            raise NotFoundError(f"no article with id {article_id}")
        return self._article(rows[0])

    def find_original(self, content_hash: str) -> Article | None:
        rows = self._rows(
            f"SELECT {self._ARTICLE_COLUMNS} FROM articles WHERE content_hash = %s AND copy_of IS NULL "
            "ORDER BY published LIMIT 1",
            (content_hash,),
        )
        return self._article(rows[0]) if rows else None

    def add_article(self, new: NewArticle) -> bool:
        a = new.article
        with self._tx() as db:
            inserted = db.execute(
                f"""INSERT INTO articles ({self._ARTICLE_COLUMNS})
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                   ON CONFLICT (id) DO NOTHING RETURNING id""".encode(),
                (
                    a.id,
                    a.url,
                    a.source_id,
                    a.outlet,
                    a.title,
                    a.text,
                    a.published,
                    a.author,
                    a.section,
                    a.language,
                    a.content_hash,
                    a.copy_of,
                    a.story_id,
                    a.partial,
                    a.fetched_at,
                ),
            ).fetchone()
            if inserted is None:  # another worker (or an earlier try of this job) stored it first
                return False
            if new.vector is not None:
                db.execute(
                    "INSERT INTO embeddings (article_id, model, vector) VALUES (%s, %s, %s)",
                    (a.id, new.model, _vector(new.vector)),
                )
            if a.copy_of is None:
                terms = sorted(set(new.terms))  # a fixed order, so concurrent writers cannot deadlock
                if terms:
                    db.execute(
                        """INSERT INTO term_df (term, df) SELECT t, 1 FROM unnest(%s::text[]) AS t
                           ON CONFLICT (term) DO UPDATE SET df = term_df.df + 1""",
                        (terms,),
                    )
            if new.signature is not None:
                db.execute(
                    "INSERT INTO article_signatures (article_id, signature) VALUES (%s, %s)",
                    (a.id, np.asarray(new.signature, dtype=np.uint64).tobytes()),
                )
                db.execute(
                    """INSERT INTO article_bands (band_key, article_id) SELECT k, %s FROM unnest(%s::text[]) AS k
                       ON CONFLICT DO NOTHING""",
                    (a.id, list(new.band_keys)),
                )
        return True

    def near_copies(self, band_keys: Sequence[str]) -> list[NearCopy]:
        keys = list(band_keys)
        if not keys:
            return []
        rows = self._rows(
            """SELECT DISTINCT a.id, a.copy_of, s.signature FROM article_bands b
               JOIN articles a ON a.id = b.article_id JOIN article_signatures s ON s.article_id = a.id
               WHERE b.band_key = ANY(%s)""",
            (keys,),
        )
        return [NearCopy(r["id"], r["copy_of"], np.frombuffer(r["signature"], dtype=np.uint64)) for r in rows]

    def document_frequencies(self, terms: Iterable[str]) -> tuple[dict[str, int], int]:
        wanted = list(set(terms))
        rows = self._rows("SELECT term, df FROM term_df WHERE term = ANY(%s)", (wanted,)) if wanted else []
        total = int(self._value("SELECT COUNT(*) FROM articles WHERE copy_of IS NULL"))
        return {r["term"]: r["df"] for r in rows}, total

    def unassigned_articles(self) -> list[Article]:
        rows = self._rows(f"SELECT {self._ARTICLE_COLUMNS} FROM articles WHERE story_id IS NULL ORDER BY published, id")
        return [self._article(r) for r in rows]

    def unassigned_article_ids(self, source_id: int | None = None) -> list[str]:
        if source_id is None:
            rows = self._rows("SELECT id FROM articles WHERE story_id IS NULL ORDER BY published, id")
        else:
            rows = self._rows(
                "SELECT id FROM articles WHERE story_id IS NULL AND source_id = %s ORDER BY published, id",
                (source_id,),
            )
        return [r["id"] for r in rows]

    def articles_of_story(self, story_id: str) -> list[Article]:
        rows = self._rows(
            f"SELECT {self._ARTICLE_COLUMNS} FROM articles WHERE story_id = %s ORDER BY published, id", (story_id,)
        )
        return [self._article(r) for r in rows]

    def vectors(self, article_ids: Sequence[str]) -> dict[str, np.ndarray]:
        ids = list(article_ids)
        if not ids:
            return {}
        rows = self._rows("SELECT article_id, vector FROM embeddings WHERE article_id = ANY(%s)", (ids,))
        return {r["article_id"]: _vector(r["vector"]) for r in rows}

    def count_articles(self) -> int:
        return int(self._value("SELECT COUNT(*) FROM articles"))

    # -- stories --------------------------------------------------------------
    @staticmethod
    def _candidate(row: Row) -> StoryCandidate:
        return StoryCandidate(
            story_id=row["id"],
            centroid=_vector(row["centroid"]),
            updated_at=row["updated_at"],
            size=row["size"],
            terms=row.get("terms") or {},
        )

    def story_candidates(self, since: datetime) -> list[StoryCandidate]:
        rows = self._rows("SELECT id, centroid, updated_at, size FROM stories WHERE updated_at >= %s", (since,))
        return [self._candidate(r) for r in rows]

    def nearby_stories(
        self, vectors: Sequence[np.ndarray], times: Sequence[datetime], window: timedelta, k: int
    ) -> list[StoryCandidate]:
        found: dict[str, StoryCandidate] = {}
        try:
            with self._pool.connection() as db:
                for vector, at in zip(vectors, times, strict=True):
                    dim = len(vector)
                    rows = db.execute(
                        f"""SELECT id, centroid, updated_at, size FROM stories
                            WHERE vector_dims(centroid) = {dim} AND updated_at BETWEEN %s AND %s
                            ORDER BY centroid::vector({dim}) <=> %s::vector({dim}) LIMIT %s""".encode(),
                        (at - window, at + window, _vector(vector), k),
                    ).fetchall()
                    found.update((r["id"], self._candidate(r)) for r in rows)
        except psycopg.Error as exc:
            raise StoreError(f"database error: {_one_line(exc)}") from None
        return list(found.values())

    def story_terms(self, story_ids: Sequence[str]) -> dict[str, dict[str, float]]:
        ids = list(story_ids)
        if not ids:
            return {}
        return {r["id"]: r["terms"] for r in self._rows("SELECT id, terms FROM stories WHERE id = ANY(%s)", (ids,))}

    def story_state(self, story_id: str) -> StoryCandidate:
        rows = self._rows("SELECT id, centroid, updated_at, size, terms FROM stories WHERE id = %s", (story_id,))
        if not rows:
            raise NotFoundError(f"no story with id {story_id}")
        return self._candidate(rows[0])

    def assign_article(self, article_id: str, story_id: str, candidate: StoryCandidate) -> None:
        with self._tx() as db:
            row = db.execute("SELECT published FROM articles WHERE id = %s", (article_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"no article with id {article_id}")
            self._ensure_vector_index(db, len(candidate.centroid))
            db.execute(
                """INSERT INTO stories (id, created_at, updated_at, centroid, size, terms, dirty)
                   VALUES (%s, %s, %s, %s, %s, %s::jsonb, TRUE)
                   ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at,
                   centroid = excluded.centroid, size = excluded.size, terms = excluded.terms, dirty = TRUE""",
                (
                    story_id,
                    row["published"],
                    candidate.updated_at,
                    _vector(candidate.centroid),
                    candidate.size,
                    json.dumps(candidate.terms),
                ),
            )
            db.execute("UPDATE articles SET story_id = %s WHERE id = %s", (story_id, article_id))

    def merge_stories(self, from_id: str, into: StoryCandidate) -> None:
        with self._tx() as db:
            db.execute(
                """UPDATE stories SET updated_at = %s, centroid = %s, size = %s, terms = %s::jsonb, dirty = TRUE
                   WHERE id = %s""",
                (into.updated_at, _vector(into.centroid), into.size, json.dumps(into.terms), into.story_id),
            )
            db.execute("UPDATE articles SET story_id = %s WHERE story_id = %s", (into.story_id, from_id))
            db.execute("DELETE FROM related WHERE related_id = %s OR story_id = %s", (from_id, from_id))
            db.execute("DELETE FROM stories WHERE id = %s", (from_id,))
            db.execute("UPDATE story_redirects SET new_id = %s WHERE new_id = %s", (into.story_id, from_id))
            db.execute(
                """INSERT INTO story_redirects (old_id, new_id) VALUES (%s, %s)
                   ON CONFLICT (old_id) DO UPDATE SET new_id = excluded.new_id""",
                (from_id, into.story_id),
            )

    def resolve_story_id(self, story_id: str) -> str | None:
        if self._rows("SELECT 1 FROM stories WHERE id = %s", (story_id,)):
            return story_id
        rows = self._rows("SELECT new_id FROM story_redirects WHERE old_id = %s", (story_id,))
        return rows[0]["new_id"] if rows else None

    def dirty_stories(self) -> list[str]:
        return [r["id"] for r in self._rows("SELECT id FROM stories WHERE dirty ORDER BY created_at, id")]

    def save_writing(self, story_id: str, writing: Writing, topic: str) -> None:
        with self._tx() as db:
            cursor = db.execute(
                """UPDATE stories SET headline = %s, standfirst = %s, writing = %s, topic = %s, dirty = FALSE
                   WHERE id = %s""",
                (writing.headline, writing.standfirst_text, encode_writing(writing), topic, story_id),
            )
            if cursor.rowcount == 0:
                raise NotFoundError(f"no story with id {story_id}")

    def save_related(self, story_id: str, related: Sequence[RelatedStory]) -> None:
        with self._tx() as db:
            # one writer per story at a time: two relink jobs of one story would clash on (story_id, rank)
            db.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 1))", (f"related:{story_id}",))
            db.execute("DELETE FROM related WHERE story_id = %s", (story_id,))
            if related:
                db.cursor().executemany(
                    "INSERT INTO related (story_id, rank, related_id, score, label) VALUES (%s, %s, %s, %s, %s)",
                    [(story_id, rank, r.story_id, r.score, r.label) for rank, r in enumerate(related)],
                )

    def _stories(self, rows: list[Row]) -> list[Story]:
        ids = [r["id"] for r in rows]
        related: dict[str, list[RelatedStory]] = {i: [] for i in ids}
        if ids:
            for r in self._rows("SELECT * FROM related WHERE story_id = ANY(%s) ORDER BY story_id, rank", (ids,)):
                related[r["story_id"]].append(RelatedStory(r["related_id"], r["score"], r["label"]))
        return [
            Story(
                id=row["id"],
                created_at=row["created_at"],
                updated_at=row["updated_at"],
                headline=row["headline"],
                standfirst=row["standfirst"],
                writing=decode_writing(row["writing"]),
                article_count=row["article_count"],
                outlet_count=row["outlet_count"],
                topic=row["topic"],
                related=tuple(related[row["id"]]),
            )
            for row in rows
        ]

    def get_story(self, story_id: str) -> Story:
        rows = self._rows(f"SELECT {_STORY_COLUMNS} FROM stories s WHERE s.id = %s", (story_id,))
        if not rows:
            raise NotFoundError(f"no story with id {story_id}")
        return self._stories(rows)[0]

    def list_stories(self, limit: int = 50, offset: int = 0) -> list[Story]:
        rows = self._rows(
            f"SELECT {_STORY_COLUMNS} FROM stories s ORDER BY outlet_count DESC, s.updated_at DESC, s.id "
            "LIMIT %s OFFSET %s",
            (limit, offset),
        )
        return self._stories(rows)

    def count_stories(self) -> int:
        return int(self._value("SELECT COUNT(*) FROM stories"))

    def all_story_centroids(self) -> dict[str, np.ndarray]:
        return {r["id"]: _vector(r["centroid"]) for r in self._rows("SELECT id, centroid FROM stories")}

    def stories_near(self, story_id: str, k: int) -> list[StoryPoint]:
        rows = self._rows("SELECT id, centroid, topic FROM stories WHERE id = %s", (story_id,))
        if not rows:
            return []
        dim = len(_vector(rows[0]["centroid"]))
        rows += self._rows(
            f"""SELECT id, centroid, topic FROM stories WHERE vector_dims(centroid) = {dim} AND id <> %s
                ORDER BY centroid::vector({dim}) <=> %s::vector({dim}) LIMIT %s""",
            (story_id, _vector(rows[0]["centroid"]), k),
        )
        return [StoryPoint(r["id"], _vector(r["centroid"]), r["topic"]) for r in rows]

    # -- coordination ---------------------------------------------------------
    @contextmanager
    def exclusive(self, name: str, wait: bool = True) -> Iterator[bool]:
        # a session lock on a connection held for the block: released by PostgreSQL if the process dies
        try:
            with self._pool.connection() as db:
                if wait:
                    db.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (name,))
                else:
                    row = db.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0)) AS held", (name,))
                    if not row.fetchone()["held"]:  # type: ignore[index]
                        yield False
                        return
                try:
                    yield True
                finally:
                    db.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (name,))
        except psycopg.Error as exc:
            raise StoreError(f"database error: {_one_line(exc)}") from None
