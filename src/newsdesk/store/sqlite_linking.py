"""The linking part of the SQLite store: entities, story link profiles and same-event flags."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from newsdesk.errors import NotFoundError
from newsdesk.store.base import StoryProfile
from newsdesk.store.codec import decode_time, decode_vector, encode_time, encode_vector
from newsdesk.types import Entity, StoryEntity

_ARTICLE_COUNT = "(SELECT COUNT(*) FROM articles a WHERE a.story_id = s.id)"


class LinkingTables:
    """Mixed into SQLiteStore, which provides the transaction and query helpers."""

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        raise NotImplementedError

    def _rows_in(self, sql: str, values: Iterable[Any]) -> list[sqlite3.Row]:
        raise NotImplementedError

    def stale_profiles(self) -> list[str]:
        rows = self._rows(
            f"""SELECT s.id FROM stories s LEFT JOIN story_profiles p ON p.story_id = s.id
                WHERE p.story_id IS NULL OR p.article_count != {_ARTICLE_COUNT} ORDER BY s.created_at, s.id"""
        )
        return [r[0] for r in rows]

    def save_profile(self, profile: StoryProfile) -> None:
        with self._tx() as db:
            cursor = db.execute("UPDATE stories SET topic = ? WHERE id = ?", (profile.topic, profile.story_id))
            if cursor.rowcount == 0:
                raise NotFoundError(f"no story with id {profile.story_id}")
            db.execute(
                """INSERT INTO story_profiles (story_id, article_count, lead, whole, terms) VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT(story_id) DO UPDATE SET article_count = excluded.article_count,
                   lead = excluded.lead, whole = excluded.whole, terms = excluded.terms""",
                (
                    profile.story_id,
                    profile.article_count,
                    encode_vector(profile.lead),
                    encode_vector(profile.whole),
                    json.dumps(profile.terms),
                ),
            )
            db.execute("DELETE FROM story_entities WHERE story_id = ?", (profile.story_id,))
            db.executemany(
                """INSERT INTO entities (slug, name, kind) VALUES (?, ?, ?)
                   ON CONFLICT(slug) DO UPDATE SET name = excluded.name, kind = excluded.kind""",
                [(e.entity.slug, e.entity.name, e.entity.kind) for e in profile.entities],
            )
            db.executemany(
                "INSERT INTO story_entities (story_id, entity_slug, salience) VALUES (?, ?, ?)",
                [(profile.story_id, e.entity.slug, e.salience) for e in profile.entities],
            )

    def _entities_by_story(self, since: str) -> dict[str, list[StoryEntity]]:
        found: dict[str, list[StoryEntity]] = defaultdict(list)
        rows = self._rows(
            """SELECT se.story_id, se.salience, e.slug, e.name, e.kind FROM story_entities se
               JOIN entities e ON e.slug = se.entity_slug JOIN stories s ON s.id = se.story_id
               WHERE s.updated_at >= ? ORDER BY se.story_id, se.salience DESC, e.name""",
            (since,),
        )
        for r in rows:
            found[r["story_id"]].append(StoryEntity(Entity(r["slug"], r["name"], r["kind"]), r["salience"]))
        return found

    def story_profiles(self, since: datetime | None = None) -> list[StoryProfile]:
        stamp = encode_time(since) or ""
        entities = self._entities_by_story(stamp)
        rows = self._rows(
            """SELECT p.*, s.topic, s.created_at, s.updated_at FROM story_profiles p
               JOIN stories s ON s.id = p.story_id WHERE s.updated_at >= ? ORDER BY s.created_at, s.id""",
            (stamp,),
        )
        return [
            StoryProfile(
                story_id=r["story_id"],
                article_count=r["article_count"],
                lead=decode_vector(r["lead"]),
                whole=decode_vector(r["whole"]),
                terms=json.loads(r["terms"]),
                entities=tuple(entities.get(r["story_id"], ())),
                topic=r["topic"],
                started=decode_time(r["created_at"]),
                updated=decode_time(r["updated_at"]),
            )
            for r in rows
        ]

    def story_entities(self, story_id: str) -> list[StoryEntity]:
        rows = self._rows(
            """SELECT se.salience, e.slug, e.name, e.kind FROM story_entities se
               JOIN entities e ON e.slug = se.entity_slug WHERE se.story_id = ? ORDER BY se.salience DESC, e.name""",
            (story_id,),
        )
        return [StoryEntity(Entity(r["slug"], r["name"], r["kind"]), r["salience"]) for r in rows]

    def list_entities(self) -> list[Entity]:
        return [Entity(r["slug"], r["name"], r["kind"]) for r in self._rows("SELECT * FROM entities ORDER BY slug")]

    def get_entity(self, slug: str) -> Entity:
        rows = self._rows("SELECT * FROM entities WHERE slug = ?", (slug,))
        if not rows:
            raise NotFoundError(f"no entity {slug}")
        return Entity(rows[0]["slug"], rows[0]["name"], rows[0]["kind"])

    def entity_stories(self, slug: str, limit: int = 50) -> list[tuple[str, float]]:
        rows = self._rows(
            """SELECT se.story_id, se.salience FROM story_entities se JOIN stories s ON s.id = se.story_id
               WHERE se.entity_slug = ? ORDER BY se.salience DESC, s.updated_at DESC, s.id LIMIT ?""",
            (slug, limit),
        )
        return [(r[0], r[1]) for r in rows]

    def entity_counts(self, slugs: Sequence[str] | None = None, limit: int = 200) -> list[tuple[Entity, int]]:
        # counted on the (entity, salience) index alone; rows of deleted stories go with them (ON DELETE CASCADE)
        sql = """SELECT e.slug, e.name, e.kind, c.stories FROM (
                     SELECT entity_slug, COUNT(*) AS stories FROM story_entities {}
                     GROUP BY entity_slug ORDER BY stories DESC, entity_slug LIMIT {}
                 ) c JOIN entities e ON e.slug = c.entity_slug"""
        if slugs is None:
            rows = self._rows(sql.format("", "?"), (limit,))
        else:
            rows = self._rows_in(sql.format("WHERE entity_slug IN ({})", int(limit)), slugs)
        rows.sort(key=lambda r: (-r["stories"], r["name"]))
        return [(Entity(r["slug"], r["name"], r["kind"]), r["stories"]) for r in rows[:limit]]

    def save_same_event(self, story_id: str, other_ids: Sequence[str]) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM same_event WHERE story_id = ?", (story_id,))
            db.executemany(
                "INSERT INTO same_event (story_id, other_id) VALUES (?, ?)",
                [(story_id, other) for other in sorted(set(other_ids)) if other != story_id],
            )

    def same_event_pairs(self) -> list[tuple[str, str]]:
        rows = self._rows("SELECT story_id, other_id FROM same_event")
        return sorted({(min(r[0], r[1]), max(r[0], r[1])) for r in rows})
