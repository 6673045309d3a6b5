"""The scale-out store: PostgreSQL through psycopg 3 and a connection pool, pgvector for vectors.

Same tables and behaviour as the SQLite store (store/sqlite.py), so both pass one contract suite; linking
and publishing queries are in postgres_linking.py and postgres_publish.py. What differs: story centroids
carry an HNSW index, search is PostgreSQL full text, and `lock()` is an advisory lock, so workers on many
machines can share one store.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import numpy as np
import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolTimeout

from newsdesk.errors import NotFoundError, StoreError
from newsdesk.store.base import FetchOutcome, NearCopy, NewArticle, StoryCandidate
from newsdesk.store.codec import decode_terms, decode_writing, encode_terms, encode_writing
from newsdesk.store.postgres_connect import MIGRATION_LOCK, bootstrap, configure, one_line, safe_url
from newsdesk.store.postgres_linking import PostgreSQLLinking, lock_story, vector
from newsdesk.store.postgres_publish import INDEX_STORIES, PostgreSQLPublishing
from newsdesk.types import Article, RelatedStory, Source, Story, StoryVersion, Writing

Row = dict[str, Any]
Connection = psycopg.Connection[Row]

_POOL_SIZE = 8  # connections per process; a worker uses one per thread plus one for a held lock
_EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")  # when an earlier writing's time was never recorded
_ARTICLE_COLUMNS = (
    "id, url, source_id, outlet, title, text, published, author, section, language, content_hash, "
    "copy_of, story_id, partial, fetched_at, updated, image_url"
)
_STORY_COLUMNS = "s.id, s.created_at, s.updated_at, s.headline, s.standfirst, s.writing, s.topic, "
_STORY_COLUMNS += "s.article_count, s.outlet_count"
# per-story counts, kept by the store (SQLite keeps them by triggers)
_RECOUNT = """UPDATE stories s SET article_count = c.n, outlet_count = c.outlets
    FROM (SELECT i.id, COUNT(a.id) AS n, COUNT(DISTINCT a.outlet) AS outlets FROM unnest(%s::text[]) AS i(id)
          LEFT JOIN articles a ON a.story_id = i.id GROUP BY i.id) c WHERE s.id = c.id"""
# the columns a story's engine state fills (terms: the JSON of rows written before migration 2, {} since)
_STATE_COLUMNS = ("updated_at", "centroid", "size", "terms", "term_names", "term_weights", "sections")
_STATE = ", ".join(f"{c} = %s" for c in _STATE_COLUMNS) + ", dirty = TRUE"
_STATE_INSERT = (
    f"INSERT INTO stories (id, created_at, {', '.join(_STATE_COLUMNS)}, dirty) "
    f"VALUES (%s, %s, {', '.join(['%s'] * len(_STATE_COLUMNS))}, TRUE)"
)
_STATE_UPSERT = (
    f"ON CONFLICT (id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _STATE_COLUMNS)}, dirty = TRUE"
)


def _terms(row: Row) -> dict[str, float]:
    """A story's summed terms (rows written before migration 2 keep them as JSONB in `terms`)."""
    return decode_terms(row["term_names"], row["term_weights"], row["terms"])


def _record(kind: type[Any], row: Row) -> Any:
    """A record from the row's columns that are its fields."""
    return kind(**{f.name: row[f.name] for f in dataclasses.fields(kind) if f.name in row})


class PostgreSQLStore(PostgreSQLLinking, PostgreSQLPublishing):
    """Store implementation over PostgreSQL with pgvector."""

    def __init__(self, url: str) -> None:
        self.url = url
        bootstrap(url)
        try:
            self._pool: ConnectionPool[Connection] = ConnectionPool(
                url,
                min_size=1,
                max_size=_POOL_SIZE,
                kwargs={"autocommit": True, "row_factory": dict_row},
                configure=configure,
                open=True,
                timeout=30,
            )
            self._pool.wait(timeout=30)
        except (psycopg.Error, PoolTimeout) as exc:
            raise StoreError(f"cannot open PostgreSQL database {safe_url(url)}: {one_line(exc)}") from None
        self._local = threading.local()  # the connection of this thread's open batch, if any
        self._indexed_dims: set[int] = set()

    # -- plumbing -------------------------------------------------------------
    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        held = getattr(self._local, "db", None)
        if held is not None:  # inside batch(): read and write on the batch's transaction
            yield held
            return
        with self._pool.connection() as db:
            yield db

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        try:
            with self._connection() as db, db.transaction():
                yield db
        except psycopg.Error as exc:
            raise StoreError(f"database error: {one_line(exc)}") from None

    @contextmanager
    def batch(self) -> Iterator[None]:
        if getattr(self._local, "db", None) is not None:
            yield
            return
        with self._tx() as db:
            self._local.db = db
            try:
                yield
            finally:
                self._local.db = None

    @contextmanager
    def lock(self, name: str) -> Iterator[None]:
        # a session lock on a connection held for the block: PostgreSQL releases it if the process dies
        try:
            with self._pool.connection() as db:
                db.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (name,))
                try:
                    yield
                finally:
                    db.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (name,))
        except psycopg.Error as exc:
            raise StoreError(f"database error: {one_line(exc)}") from None

    def _rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Row]:
        try:
            with self._connection() as db:
                return db.execute(sql.encode(), params).fetchall()
        except psycopg.Error as exc:
            raise StoreError(f"database error: {one_line(exc)}") from None

    def _value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self._rows(sql, params)
        return next(iter(rows[0].values())) if rows else None

    def close(self) -> None:
        self._pool.close()

    def _ensure_vector_index(self, db: Connection, dim: int) -> None:
        """An HNSW index for centroids of this dimension (HNSW needs one fixed dimension per index)."""
        if dim in self._indexed_dims:
            return
        name = f"stories_centroid_hnsw_{dim}"
        if db.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", (name,)).fetchone() is None:
            db.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            db.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON stories USING hnsw "
                f"((centroid::vector({dim})) vector_cosine_ops) WHERE vector_dims(centroid) = {dim}".encode()
            )
        self._indexed_dims.add(dim)

    def reindex(self) -> None:
        """Vector indexes for every centroid dimension present, and the search text of every written story
        (after a bulk copy)."""
        with self._tx() as db:
            for row in db.execute("SELECT DISTINCT vector_dims(centroid) AS dim FROM stories").fetchall():
                self._ensure_vector_index(db, int(row["dim"]))
            ids = [r["id"] for r in db.execute("SELECT id FROM stories WHERE headline <> ''").fetchall()]
            db.execute(INDEX_STORIES.encode(), (ids,))

    # -- sources --------------------------------------------------------------
    def add_source(self, url: str, added_at: datetime, kind: str = "feed") -> Source:
        with self._tx() as db:
            row = db.execute(
                "INSERT INTO sources (url, added_at, kind) VALUES (%s, %s, %s) ON CONFLICT (url) DO NOTHING "
                "RETURNING *",
                (url, added_at, kind),
            ).fetchone()
        if row is None:
            raise StoreError(f"{url} is already a source")
        return _record(Source, row)

    def get_source(self, source_id: int) -> Source:
        rows = self._rows("SELECT * FROM sources WHERE id = %s", (source_id,))
        if not rows:
            raise NotFoundError(f"no source with id {source_id}")
        return _record(Source, rows[0])

    def find_source(self, url: str) -> Source | None:
        rows = self._rows("SELECT * FROM sources WHERE url = %s", (url,))
        return _record(Source, rows[0]) if rows else None

    def list_sources(self) -> list[Source]:
        return [_record(Source, r) for r in self._rows("SELECT * FROM sources ORDER BY id")]

    def remove_source(self, source_id: int) -> None:
        self.get_source(source_id)
        with self._tx() as db:
            db.execute("DELETE FROM sources WHERE id = %s", (source_id,))

    def record_fetch(self, source_id: int, outcome: FetchOutcome) -> None:
        when, due = outcome.attempted_at, outcome.next_attempt_at
        with self._tx() as db:
            if outcome.ok:
                db.execute(
                    """UPDATE sources SET last_attempt_at = %s, last_success_at = %s, last_error = NULL,
                       consecutive_failures = 0, etag = %s, last_modified = %s,
                       title = COALESCE(%s, title), articles_seen = articles_seen + %s, next_attempt_at = %s,
                       interval_minutes = COALESCE(%s, interval_minutes), last_warning = %s WHERE id = %s""",
                    (
                        when,
                        when,
                        outcome.etag,
                        outcome.last_modified,
                        outcome.title,
                        outcome.new_articles,
                        due,
                        outcome.interval_minutes,
                        outcome.warning,
                        source_id,
                    ),
                )
            else:
                db.execute(
                    """UPDATE sources SET last_attempt_at = %s, last_error = %s,
                       consecutive_failures = consecutive_failures + 1, next_attempt_at = %s,
                       disabled = disabled OR %s WHERE id = %s""",
                    (when, outcome.error, due, outcome.disable, source_id),
                )

    def enable_source(self, source_id: int) -> Source:
        self.get_source(source_id)
        with self._tx() as db:
            db.execute(
                "UPDATE sources SET disabled = FALSE, consecutive_failures = 0, next_attempt_at = NULL WHERE id = %s",
                (source_id,),
            )
        return self.get_source(source_id)

    # -- articles -------------------------------------------------------------
    def has_article(self, article_id: str) -> bool:
        return bool(self._rows("SELECT 1 FROM articles WHERE id = %s", (article_id,)))

    def get_article(self, article_id: str) -> Article:
        rows = self._rows(f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id = %s", (article_id,))
        if not rows:
            raise NotFoundError(f"no article with id {article_id}")
        return _record(Article, rows[0])

    def find_original(self, content_hash: str) -> Article | None:
        rows = self._rows(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE content_hash = %s AND copy_of IS NULL "
            "ORDER BY published LIMIT 1",
            (content_hash,),
        )
        return _record(Article, rows[0]) if rows else None

    def add_article(self, new: NewArticle) -> bool:
        a = new.article
        values = [getattr(a, name.strip()) for name in _ARTICLE_COLUMNS.split(",")]
        with self._tx() as db:
            inserted = db.execute(
                f"""INSERT INTO articles ({_ARTICLE_COLUMNS}) VALUES ({", ".join(["%s"] * len(values))})
                    ON CONFLICT (id) DO NOTHING RETURNING id""".encode(),
                values,
            ).fetchone()
            if inserted is None:  # another worker (or an earlier try of this job) stored it first
                return False
            if new.vector is not None:
                db.execute(
                    "INSERT INTO embeddings (article_id, model, vector) VALUES (%s, %s, %s)",
                    (a.id, new.model, vector(new.vector)),
                )
            if a.copy_of is None:
                # the row for the empty term counts original articles; a fixed order, so writers cannot deadlock
                db.execute(
                    """INSERT INTO term_df (term, df) SELECT t, 1 FROM unnest(%s::text[]) AS t ORDER BY t
                       ON CONFLICT (term) DO UPDATE SET df = term_df.df + 1""",
                    (sorted({*new.terms, ""}),),
                )
                db.execute(
                    """INSERT INTO article_keywords (term, article_id) SELECT k, %s FROM unnest(%s::text[]) AS k
                       ON CONFLICT DO NOTHING""",
                    (a.id, list(new.keywords)),
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
            if a.story_id is not None:
                db.execute(_RECOUNT.encode(), ([a.story_id],))
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
        wanted = list({*terms, ""})
        found = {r["term"]: r["df"] for r in self._rows("SELECT term, df FROM term_df WHERE term = ANY(%s)", (wanted,))}
        total = found.pop("", 0)
        return found, int(total)

    def stories_by_keywords(self, keywords: Sequence[str], since: datetime, limit: int) -> list[str]:
        terms = [t for t in dict.fromkeys(keywords) if t]
        if not terms:
            return []
        rows = self._rows(
            """SELECT a.story_id FROM article_keywords k JOIN articles a ON a.id = k.article_id
               WHERE k.term = ANY(%s) AND a.published >= %s AND a.story_id IS NOT NULL
               GROUP BY a.story_id ORDER BY COUNT(*) DESC, MAX(a.published) DESC LIMIT %s""",
            (terms, since, limit),
        )
        return [r["story_id"] for r in rows]

    def unassigned_articles(self) -> list[Article]:
        rows = self._rows(f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE story_id IS NULL ORDER BY published, id")
        return [_record(Article, r) for r in rows]

    def articles_of_story(self, story_id: str) -> list[Article]:
        rows = self._rows(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE story_id = %s ORDER BY published, id", (story_id,)
        )
        return [_record(Article, r) for r in rows]

    def vectors(self, article_ids: Sequence[str]) -> dict[str, np.ndarray]:
        ids = list(article_ids)
        if not ids:
            return {}
        rows = self._rows("SELECT article_id, vector FROM embeddings WHERE article_id = ANY(%s)", (ids,))
        return {r["article_id"]: vector(r["vector"]) for r in rows}

    def count_articles(self) -> int:
        return int(self._value("SELECT COUNT(*) FROM articles"))

    # -- stories --------------------------------------------------------------
    @staticmethod
    def _candidate(row: Row) -> StoryCandidate:
        return StoryCandidate(
            story_id=row["id"],
            centroid=vector(row["centroid"]),
            updated_at=row["updated_at"],
            size=row["size"],
            terms=_terms(row) if "terms" in row else {},
            sections=row["sections"],
        )

    def story_candidates(self, since: datetime) -> list[StoryCandidate]:
        sql = "SELECT id, centroid, updated_at, size, sections FROM stories WHERE updated_at >= %s"
        return [self._candidate(r) for r in self._rows(sql, (since,))]

    def story_terms(self, story_ids: Sequence[str]) -> dict[str, dict[str, float]]:
        ids = list(story_ids)
        if not ids:
            return {}
        rows = self._rows("SELECT id, terms, term_names, term_weights FROM stories WHERE id = ANY(%s)", (ids,))
        return {r["id"]: _terms(r) for r in rows}

    def story_state(self, story_id: str) -> StoryCandidate:
        columns = "id, centroid, updated_at, size, sections, terms, term_names, term_weights"
        rows = self._rows(f"SELECT {columns} FROM stories WHERE id = %s", (story_id,))
        if not rows:
            raise NotFoundError(f"no story with id {story_id}")
        return self._candidate(rows[0])

    @staticmethod
    def _state_values(story: StoryCandidate) -> tuple[Any, ...]:
        """The values of _STATE_COLUMNS: the columns a story's engine state fills."""
        names, weights = encode_terms(story.terms)
        return story.updated_at, vector(story.centroid), story.size, Jsonb({}), names, weights, Jsonb(story.sections)

    def assign_article(self, article_id: str, story_id: str, candidate: StoryCandidate) -> None:
        with self._tx() as db:
            row = db.execute("SELECT published, story_id FROM articles WHERE id = %s", (article_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"no article with id {article_id}")
            self._ensure_vector_index(db, len(candidate.centroid))
            db.execute(
                f"{_STATE_INSERT} {_STATE_UPSERT}".encode(),
                (story_id, row["published"], *self._state_values(candidate)),
            )
            db.execute("UPDATE articles SET story_id = %s WHERE id = %s", (story_id, article_id))
            db.execute(_RECOUNT.encode(), ([i for i in {story_id, row["story_id"]} if i],))

    def merge_stories(self, from_id: str, into: StoryCandidate) -> None:
        with self._tx() as db:
            db.execute(f"UPDATE stories SET {_STATE} WHERE id = %s", (*self._state_values(into), into.story_id))
            db.execute("UPDATE articles SET story_id = %s WHERE story_id = %s", (into.story_id, from_id))
            db.execute("DELETE FROM related WHERE related_id = %s OR story_id = %s", (from_id, from_id))
            db.execute("DELETE FROM stories WHERE id = %s", (from_id,))
            db.execute("UPDATE story_redirects SET new_id = %s WHERE new_id = %s", (into.story_id, from_id))
            db.execute(
                """INSERT INTO story_redirects (old_id, new_id) VALUES (%s, %s)
                   ON CONFLICT (old_id) DO UPDATE SET new_id = excluded.new_id""",
                (from_id, into.story_id),
            )
            db.execute(_RECOUNT.encode(), ([into.story_id],))

    def split_story(self, kept: StoryCandidate, moved: Sequence[str], new: StoryCandidate) -> None:
        ids = list(moved)
        with self._tx() as db:
            first = db.execute("SELECT MIN(published) AS first FROM articles WHERE id = ANY(%s)", (ids,)).fetchone()
            db.execute(
                _STATE_INSERT.encode(),
                (new.story_id, first["first"] if first else None, *self._state_values(new)),
            )
            db.execute(
                "UPDATE articles SET story_id = %s WHERE id = ANY(%s) OR copy_of = ANY(%s)", (new.story_id, ids, ids)
            )
            db.execute(f"UPDATE stories SET {_STATE} WHERE id = %s", (*self._state_values(kept), kept.story_id))
            db.execute(_RECOUNT.encode(), ([kept.story_id, new.story_id],))

    def resolve_story_id(self, story_id: str) -> str | None:
        if self._rows("SELECT 1 FROM stories WHERE id = %s", (story_id,)):
            return story_id
        rows = self._rows("SELECT new_id FROM story_redirects WHERE old_id = %s", (story_id,))
        return rows[0]["new_id"] if rows else None

    def dirty_stories(self) -> list[str]:
        return [r["id"] for r in self._rows("SELECT id FROM stories WHERE dirty ORDER BY created_at, id")]

    def save_writing(self, story_id: str, writing: Writing, topic: str, written_at: datetime | None = None) -> None:
        encoded = encode_writing(writing)
        with self._tx() as db:
            old = db.execute("SELECT writing, written_at FROM stories WHERE id = %s FOR UPDATE", (story_id,)).fetchone()
            if old is None:
                raise NotFoundError(f"no story with id {story_id}")
            stamp = old["written_at"] if old["writing"] == encoded else written_at
            if old["writing"] and old["writing"] != encoded:
                db.execute(
                    """INSERT INTO story_versions (story_id, number, written_at, writing)
                       SELECT %s, COUNT(*) + 1, %s, %s FROM story_versions WHERE story_id = %s""",
                    (story_id, old["written_at"] or written_at or _EPOCH, old["writing"], story_id),
                )
            db.execute(
                """UPDATE stories SET headline = %s, standfirst = %s, writing = %s, topic = %s, written_at = %s,
                   dirty = FALSE WHERE id = %s""",
                (writing.headline, writing.standfirst_text, encoded, topic, stamp, story_id),
            )
            db.execute(INDEX_STORIES.encode(), ([story_id],))

    def story_versions(self, story_id: str) -> list[StoryVersion]:
        rows = self._rows("SELECT * FROM story_versions WHERE story_id = %s ORDER BY number", (story_id,))
        return [StoryVersion(r["number"], r["written_at"], decode_writing(r["writing"])) for r in rows]  # type: ignore[arg-type]

    def save_related(self, story_id: str, related: Sequence[RelatedStory]) -> None:
        with self._tx() as db:
            lock_story(db, "related", story_id)
            db.execute("DELETE FROM related WHERE story_id = %s", (story_id,))
            if related:
                db.cursor().executemany(
                    """INSERT INTO related (story_id, rank, related_id, score, label, via)
                       VALUES (%s, %s, %s, %s, %s, %s)""",
                    [
                        (story_id, rank, r.story_id, r.score, r.label, json.dumps(r.via))
                        for rank, r in enumerate(related)
                    ],
                )

    def _stories(self, rows: list[Row]) -> list[Story]:
        ids = [r["id"] for r in rows]
        related: dict[str, list[RelatedStory]] = {i: [] for i in ids}
        if ids:
            for r in self._rows("SELECT * FROM related WHERE story_id = ANY(%s) ORDER BY story_id, rank", (ids,)):
                via = tuple(json.loads(r["via"] or "[]"))
                related[r["story_id"]].append(RelatedStory(r["related_id"], r["score"], r["label"], via))
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
        return {r["id"]: vector(r["centroid"]) for r in self._rows("SELECT id, centroid FROM stories")}
