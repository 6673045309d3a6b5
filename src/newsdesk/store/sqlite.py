"""The embedded default store: one SQLite file in WAL mode."""

from __future__ import annotations

import fcntl
import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from newsdesk.errors import NotFoundError, StoreError
from newsdesk.store.base import FetchOutcome, NearCopy, NewArticle, StoryCandidate
from newsdesk.store.codec import (
    decode_terms,
    decode_time,
    decode_vector,
    decode_writing,
    encode_terms,
    encode_time,
    encode_vector,
    encode_writing,
)
from newsdesk.store.migrations import SQLITE_MIGRATIONS, migration_statements
from newsdesk.store.sqlite_linking import LinkingTables
from newsdesk.store.sqlite_publish import SQLitePublishing
from newsdesk.types import Article, RelatedStory, Source, Story, StoryVersion, Writing

_EPOCH = "1970-01-01T00:00:00+00:00"  # when an earlier writing's time was never recorded
# the columns a story's engine state fills (terms: the JSON of rows written before migration 8, '{}' since)
_STATE_COLUMNS = ("updated_at", "centroid", "size", "terms", "term_names", "term_weights", "sections")
_STATE_INSERT = (
    f"INSERT INTO stories (id, created_at, {', '.join(_STATE_COLUMNS)}, dirty) "
    f"VALUES (?, ?, {', '.join('?' * len(_STATE_COLUMNS))}, 1)"
)
_STATE_UPDATE = f"UPDATE stories SET {', '.join(f'{c} = ?' for c in _STATE_COLUMNS)}, dirty = 1 WHERE id = ?"
_STATE_UPSERT = f"ON CONFLICT(id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _STATE_COLUMNS)}, dirty = 1"
_STORY_COLUMNS = """
    s.id, s.created_at, s.updated_at, s.headline, s.standfirst, s.writing, s.topic, s.article_count, s.outlet_count
"""


def _terms(row: sqlite3.Row) -> dict[str, float]:
    """A story's summed terms (rows written before migration 8 keep them as JSON in `terms`)."""
    return decode_terms(row["term_names"], row["term_weights"], row["terms"])


class SQLiteStore(LinkingTables, SQLitePublishing):
    """Store implementation over the standard library's sqlite3 (linking and publishing tables in sqlite_linking.py
    and sqlite_publish.py)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA synchronous=NORMAL")
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open SQLite database {self.path}: {exc}") from None
        self._lock = threading.RLock()
        self._batch_depth = 0
        self._pending_frequencies: Counter[str] = Counter()  # document frequencies added in the open transaction
        self._migrate()

    # -- plumbing -------------------------------------------------------------
    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._batch_depth:  # inside batch(): the batch commits or rolls back everything
                yield self._db
                return
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._flush_frequencies()
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise StoreError(f"database error: {exc}") from None
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        self._pending_frequencies.clear()
        self._db.execute("ROLLBACK")

    def _flush_frequencies(self) -> None:
        """Write the document frequencies the open transaction's articles added: once per term and transaction
        (a batch of 2,000 articles shares most of its terms), not once per article."""
        if self._pending_frequencies:
            self._db.executemany(
                "INSERT INTO term_df (term, df) VALUES (?, ?) ON CONFLICT(term) DO UPDATE SET df = df + excluded.df",
                self._pending_frequencies.items(),
            )
            self._pending_frequencies.clear()

    @contextmanager
    def batch(self) -> Iterator[None]:
        with self._lock, self._tx():
            self._batch_depth += 1
            try:
                yield
            finally:
                self._batch_depth -= 1

    @contextmanager
    def lock(self, name: str) -> Iterator[None]:
        # a file lock beside the database: the processes sharing a SQLite file share its folder
        with open(f"{self.path}.{name}.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _rows(self, sql: str, params: Sequence[Any] = (), plain: bool = False) -> list[Any]:
        """The rows of a query as sqlite3.Row, or with `plain` as tuples: for the queries the story engine makes
        of many rows, where building a Row for each and looking its columns up by name costs more than the query."""
        with self._lock:
            try:
                cursor = self._db.cursor()
                if plain:
                    cursor.row_factory = None
                return cursor.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"database error: {exc}") from None

    def _rows_in(self, sql: str, values: Iterable[Any], plain: bool = False) -> list[Any]:
        """Rows of `sql` whose `IN ({})` takes `values`, queried in chunks under SQLite's variable limit."""
        wanted = list(values)
        rows: list[Any] = []
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows.extend(self._rows(sql.format(",".join("?" * len(chunk))), chunk, plain))
        return rows

    def _migrate(self) -> None:
        with self._tx() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > len(SQLITE_MIGRATIONS):
                raise StoreError(f"{self.path} was written by a newer newsdesk (schema {version})")
            for number, script in enumerate(SQLITE_MIGRATIONS[version:], start=version + 1):
                for statement in migration_statements(script):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- sources --------------------------------------------------------------
    @staticmethod
    def _source(row: sqlite3.Row) -> Source:
        return Source(
            id=row["id"],
            url=row["url"],
            title=row["title"],
            added_at=decode_time(row["added_at"]),  # type: ignore[arg-type]
            etag=row["etag"],
            last_modified=row["last_modified"],
            last_attempt_at=decode_time(row["last_attempt_at"]),
            last_success_at=decode_time(row["last_success_at"]),
            last_error=row["last_error"],
            consecutive_failures=row["consecutive_failures"],
            articles_seen=row["articles_seen"],
            kind=row["kind"],
            next_attempt_at=decode_time(row["next_attempt_at"]),
            interval_minutes=row["interval_minutes"],
            disabled=bool(row["disabled"]),
            last_warning=row["last_warning"],
        )

    def add_source(self, url: str, added_at: datetime, kind: str = "feed") -> Source:
        if self.find_source(url) is not None:
            raise StoreError(f"{url} is already a source")
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO sources (url, added_at, kind) VALUES (?, ?, ?)", (url, encode_time(added_at), kind)
            )
            source_id = cursor.lastrowid
        assert source_id is not None
        return self.get_source(source_id)

    def get_source(self, source_id: int) -> Source:
        rows = self._rows("SELECT * FROM sources WHERE id = ?", (source_id,))
        if not rows:
            raise NotFoundError(f"no source with id {source_id}")
        return self._source(rows[0])

    def find_source(self, url: str) -> Source | None:
        rows = self._rows("SELECT * FROM sources WHERE url = ?", (url,))
        return self._source(rows[0]) if rows else None

    def list_sources(self) -> list[Source]:
        return [self._source(r) for r in self._rows("SELECT * FROM sources ORDER BY id")]

    def remove_source(self, source_id: int) -> None:
        self.get_source(source_id)
        with self._tx() as db:
            db.execute("DELETE FROM sources WHERE id = ?", (source_id,))

    def record_fetch(self, source_id: int, outcome: FetchOutcome) -> None:
        when = encode_time(outcome.attempted_at)
        due = encode_time(outcome.next_attempt_at)
        with self._tx() as db:
            if outcome.ok:
                db.execute(
                    """UPDATE sources SET last_attempt_at = ?, last_success_at = ?, last_error = NULL,
                       consecutive_failures = 0, etag = ?, last_modified = ?,
                       title = COALESCE(?, title), articles_seen = articles_seen + ?, next_attempt_at = ?,
                       interval_minutes = COALESCE(?, interval_minutes), last_warning = ? WHERE id = ?""",
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
                    """UPDATE sources SET last_attempt_at = ?, last_error = ?,
                       consecutive_failures = consecutive_failures + 1, next_attempt_at = ?,
                       disabled = CASE WHEN ? THEN 1 ELSE disabled END WHERE id = ?""",
                    (when, outcome.error, due, int(outcome.disable), source_id),
                )

    def enable_source(self, source_id: int) -> Source:
        self.get_source(source_id)
        with self._tx() as db:
            db.execute(
                "UPDATE sources SET disabled = 0, consecutive_failures = 0, next_attempt_at = NULL WHERE id = ?",
                (source_id,),
            )
        return self.get_source(source_id)

    # -- articles -------------------------------------------------------------
    @staticmethod
    def _article(row: sqlite3.Row) -> Article:
        return Article(
            id=row["id"],
            url=row["url"],
            source_id=row["source_id"],
            outlet=row["outlet"],
            title=row["title"],
            text=row["text"],
            published=decode_time(row["published"]),  # type: ignore[arg-type]
            author=row["author"],
            section=row["section"],
            language=row["language"],
            content_hash=row["content_hash"],
            copy_of=row["copy_of"],
            story_id=row["story_id"],
            partial=bool(row["partial"]),
            fetched_at=decode_time(row["fetched_at"]),
            updated=decode_time(row["updated"]),
            image_url=row["image_url"],
        )

    def has_article(self, article_id: str) -> bool:
        return bool(self._rows("SELECT 1 FROM articles WHERE id = ?", (article_id,)))

    def get_article(self, article_id: str) -> Article:
        rows = self._rows("SELECT * FROM articles WHERE id = ?", (article_id,))
        if not rows:
            raise NotFoundError(f"no article with id {article_id}")
        return self._article(rows[0])

    def find_original(self, content_hash: str) -> Article | None:
        rows = self._rows(
            "SELECT * FROM articles WHERE content_hash = ? AND copy_of IS NULL ORDER BY published LIMIT 1",
            (content_hash,),
        )
        return self._article(rows[0]) if rows else None

    def add_article(self, new: NewArticle) -> bool:
        article, vector = new.article, new.vector
        with self._tx() as db:
            if db.execute("SELECT 1 FROM articles WHERE id = ?", (article.id,)).fetchone():
                return False
            db.execute(
                """INSERT INTO articles (id, url, source_id, outlet, title, text, published, author, section,
                   language, content_hash, copy_of, story_id, partial, fetched_at, updated, image_url)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    article.id,
                    article.url,
                    article.source_id,
                    article.outlet,
                    article.title,
                    article.text,
                    encode_time(article.published),
                    article.author,
                    article.section,
                    article.language,
                    article.content_hash,
                    article.copy_of,
                    article.story_id,
                    int(article.partial),
                    encode_time(article.fetched_at),
                    encode_time(article.updated),
                    article.image_url,
                ),
            )
            if vector is not None:
                db.execute(
                    "INSERT INTO embeddings (article_id, model, vector) VALUES (?, ?, ?)",
                    (article.id, new.model, encode_vector(vector)),
                )
            if article.copy_of is None:
                # the row for the empty term counts original articles, so IDF needs no COUNT(*) per lookup
                self._pending_frequencies.update({*new.terms, ""})  # written when the transaction ends
                db.executemany(
                    "INSERT OR IGNORE INTO article_keywords (term, article_id) VALUES (?, ?)",
                    [(t, article.id) for t in new.keywords],
                )
            if new.signature is not None:
                db.execute(
                    "INSERT INTO article_signatures (article_id, signature) VALUES (?, ?)",
                    (article.id, np.asarray(new.signature, dtype=np.uint64).tobytes()),
                )
                db.executemany(
                    "INSERT OR IGNORE INTO article_bands (band_key, article_id) VALUES (?, ?)",
                    [(key, article.id) for key in new.band_keys],
                )
        return True

    def near_copies(self, band_keys: Sequence[str]) -> list[NearCopy]:
        keys = list(band_keys)
        if not keys:
            return []
        marks = ",".join("?" * len(keys))
        rows = self._rows(
            f"""SELECT DISTINCT a.id, a.copy_of, s.signature FROM article_bands b
                JOIN articles a ON a.id = b.article_id JOIN article_signatures s ON s.article_id = a.id
                WHERE b.band_key IN ({marks})""",
            keys,
        )
        return [NearCopy(r[0], r[1], np.frombuffer(r[2], dtype=np.uint64)) for r in rows]

    def document_frequencies(self, terms: Iterable[str]) -> tuple[dict[str, int], int]:
        with self._lock:  # inside a batch: what its articles added counts already
            self._flush_frequencies()
        sql = "SELECT term, df FROM term_df WHERE term IN ({})"
        found = {r[0]: r[1] for r in self._rows_in(sql, set(terms), plain=True)}
        total = self._rows("SELECT df FROM term_df WHERE term = ''")
        found.pop("", None)
        return found, int(total[0][0]) if total else 0

    def stories_by_keywords(self, keywords: Sequence[str], since: datetime, limit: int) -> list[str]:
        terms = [t for t in dict.fromkeys(keywords) if t]
        if not terms:
            return []
        marks = ",".join("?" * len(terms))
        rows = self._rows(
            f"""SELECT a.story_id FROM article_keywords k JOIN articles a ON a.id = k.article_id
                WHERE k.term IN ({marks}) AND a.published >= ? AND a.story_id IS NOT NULL
                GROUP BY a.story_id ORDER BY COUNT(*) DESC, MAX(a.published) DESC LIMIT ?""",
            [*terms, encode_time(since), limit],
            plain=True,
        )
        return [r[0] for r in rows]

    def unassigned_articles(self) -> list[Article]:
        rows = self._rows("SELECT * FROM articles WHERE story_id IS NULL ORDER BY published, id")
        return [self._article(r) for r in rows]

    def articles_of_story(self, story_id: str) -> list[Article]:
        rows = self._rows("SELECT * FROM articles WHERE story_id = ? ORDER BY published, id", (story_id,))
        return [self._article(r) for r in rows]

    def vectors(self, article_ids: Sequence[str]) -> dict[str, np.ndarray]:
        sql = "SELECT article_id, vector FROM embeddings WHERE article_id IN ({})"
        return {row[0]: decode_vector(row[1]) for row in self._rows_in(sql, article_ids, plain=True)}

    def count_articles(self) -> int:
        return int(self._rows("SELECT COUNT(*) FROM articles")[0][0])

    # -- stories --------------------------------------------------------------
    @staticmethod
    def _candidate(row: sqlite3.Row) -> StoryCandidate:
        return StoryCandidate(
            story_id=row["id"],
            centroid=decode_vector(row["centroid"]),
            updated_at=decode_time(row["updated_at"]),  # type: ignore[arg-type]
            size=row["size"],
            terms=_terms(row),
            sections=json.loads(row["sections"]),
        )

    def story_candidates(self, since: datetime) -> list[StoryCandidate]:
        sql = "SELECT id, centroid, updated_at, size, sections FROM stories WHERE updated_at >= ?"
        # the window's stories share a few dozen sections texts: each is decoded once (records never change them)
        sections: dict[str, dict[str, int]] = {}
        return [
            StoryCandidate(
                story_id,
                decode_vector(centroid),
                decode_time(updated_at),  # type: ignore[arg-type]
                size,
                {},
                sections[text] if text in sections else sections.setdefault(text, json.loads(text)),
            )
            for story_id, centroid, updated_at, size, text in self._rows(sql, (encode_time(since),), plain=True)
        ]

    def story_terms(self, story_ids: Sequence[str]) -> dict[str, dict[str, float]]:
        sql = "SELECT id, term_names, term_weights, terms FROM stories WHERE id IN ({})"
        return {row[0]: decode_terms(*row[1:]) for row in self._rows_in(sql, story_ids, plain=True)}

    def story_state(self, story_id: str) -> StoryCandidate:
        columns = "id, centroid, updated_at, size, sections, terms, term_names, term_weights"
        rows = self._rows(f"SELECT {columns} FROM stories WHERE id = ?", (story_id,))
        if not rows:
            raise NotFoundError(f"no story with id {story_id}")
        return self._candidate(rows[0])

    def assign_article(self, article_id: str, story_id: str, candidate: StoryCandidate) -> None:
        with self._tx() as db:
            row = db.execute("SELECT published, copy_of FROM articles WHERE id = ?", (article_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"no article with id {article_id}")
            db.execute(
                f"{_STATE_INSERT} {_STATE_UPSERT}",
                (story_id, row["published"], *self._state_values(candidate)),
            )
            db.execute("UPDATE articles SET story_id = ? WHERE id = ?", (story_id, article_id))

    def merge_stories(self, from_id: str, into: StoryCandidate) -> None:
        with self._tx() as db:
            db.execute(
                _STATE_UPDATE,
                (*self._state_values(into), into.story_id),
            )
            db.execute("UPDATE articles SET story_id = ? WHERE story_id = ?", (into.story_id, from_id))
            db.execute("DELETE FROM related WHERE related_id = ? OR story_id = ?", (from_id, from_id))
            db.execute("DELETE FROM stories WHERE id = ?", (from_id,))
            db.execute("UPDATE story_redirects SET new_id = ? WHERE new_id = ?", (into.story_id, from_id))
            db.execute(
                "INSERT OR REPLACE INTO story_redirects (old_id, new_id) VALUES (?, ?)", (from_id, into.story_id)
            )

    def split_story(self, kept: StoryCandidate, moved: Sequence[str], new: StoryCandidate) -> None:
        ids = list(moved)
        marks = ",".join("?" * len(ids))
        with self._tx() as db:
            first = db.execute(f"SELECT MIN(published) FROM articles WHERE id IN ({marks})", ids).fetchone()[0]
            db.execute(
                _STATE_INSERT,
                (new.story_id, first, *self._state_values(new)),
            )
            db.execute(
                f"UPDATE articles SET story_id = ? WHERE id IN ({marks}) OR copy_of IN ({marks})",
                [new.story_id, *ids, *ids],
            )
            db.execute(
                _STATE_UPDATE,
                (*self._state_values(kept), kept.story_id),
            )

    @staticmethod
    def _state_values(story: StoryCandidate) -> tuple[Any, ...]:
        """The values of _STATE_COLUMNS: the columns a story's engine state fills."""
        return (
            encode_time(story.updated_at),
            encode_vector(story.centroid),
            story.size,
            "{}",
            *encode_terms(story.terms),
            json.dumps(story.sections),
        )

    def resolve_story_id(self, story_id: str) -> str | None:
        if self._rows("SELECT 1 FROM stories WHERE id = ?", (story_id,)):
            return story_id
        rows = self._rows("SELECT new_id FROM story_redirects WHERE old_id = ?", (story_id,))
        return rows[0][0] if rows else None

    def dirty_stories(self) -> list[str]:
        return [r[0] for r in self._rows("SELECT id FROM stories WHERE dirty = 1 ORDER BY created_at, id")]

    def save_writing(self, story_id: str, writing: Writing, topic: str, written_at: datetime | None = None) -> None:
        encoded = encode_writing(writing)
        with self._tx() as db:
            old = db.execute("SELECT writing, written_at FROM stories WHERE id = ?", (story_id,)).fetchone()
            if old is None:
                raise NotFoundError(f"no story with id {story_id}")
            stamp = old["written_at"] if old["writing"] == encoded else encode_time(written_at)
            if old["writing"] and old["writing"] != encoded:
                number = db.execute("SELECT COUNT(*) FROM story_versions WHERE story_id = ?", (story_id,)).fetchone()
                db.execute(
                    "INSERT INTO story_versions (story_id, number, written_at, writing) VALUES (?, ?, ?, ?)",
                    (story_id, number[0] + 1, old["written_at"] or encode_time(written_at) or _EPOCH, old["writing"]),
                )
            db.execute(
                "UPDATE stories SET headline = ?, standfirst = ?, writing = ?, topic = ?, written_at = ?, dirty = 0 "
                "WHERE id = ?",
                (writing.headline, writing.standfirst_text, encoded, topic, stamp, story_id),
            )

    def story_versions(self, story_id: str) -> list[StoryVersion]:
        rows = self._rows("SELECT * FROM story_versions WHERE story_id = ? ORDER BY number", (story_id,))
        return [
            StoryVersion(r["number"], decode_time(r["written_at"]), decode_writing(r["writing"]))  # type: ignore[arg-type]
            for r in rows
        ]

    def save_related(self, story_id: str, related: Sequence[RelatedStory]) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM related WHERE story_id = ?", (story_id,))
            db.executemany(
                "INSERT INTO related (story_id, rank, related_id, score, label, via) VALUES (?, ?, ?, ?, ?, ?)",
                [(story_id, rank, r.story_id, r.score, r.label, json.dumps(r.via)) for rank, r in enumerate(related)],
            )

    def _story(self, row: sqlite3.Row) -> Story:
        related = tuple(
            RelatedStory(r["related_id"], r["score"], r["label"], tuple(json.loads(r["via"] or "[]")))
            for r in self._rows("SELECT * FROM related WHERE story_id = ? ORDER BY rank", (row["id"],))
        )
        return Story(
            id=row["id"],
            created_at=decode_time(row["created_at"]),  # type: ignore[arg-type]
            updated_at=decode_time(row["updated_at"]),  # type: ignore[arg-type]
            headline=row["headline"],
            standfirst=row["standfirst"],
            writing=decode_writing(row["writing"]),
            article_count=row["article_count"],
            outlet_count=row["outlet_count"],
            topic=row["topic"],
            related=related,
        )

    def get_story(self, story_id: str) -> Story:
        rows = self._rows(f"SELECT {_STORY_COLUMNS} FROM stories s WHERE s.id = ?", (story_id,))
        if not rows:
            raise NotFoundError(f"no story with id {story_id}")
        return self._story(rows[0])

    def list_stories(self, limit: int = 50, offset: int = 0) -> list[Story]:
        rows = self._rows(
            f"SELECT {_STORY_COLUMNS} FROM stories s ORDER BY outlet_count DESC, s.updated_at DESC, s.id "
            "LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [self._story(r) for r in rows]

    def count_stories(self) -> int:
        return int(self._rows("SELECT COUNT(*) FROM stories")[0][0])

    def all_story_centroids(self) -> dict[str, np.ndarray]:
        return {r["id"]: decode_vector(r["centroid"]) for r in self._rows("SELECT id, centroid FROM stories")}
