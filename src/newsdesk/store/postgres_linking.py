"""The linking part of the PostgreSQL store: entities, story link profiles and same-event flags."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

import numpy as np
from psycopg.types.json import Jsonb

from newsdesk.errors import NotFoundError
from newsdesk.store.base import StoryProfile
from newsdesk.types import Entity, StoryEntity


def vector(value: Any) -> np.ndarray:
    """float32 numpy array from a numpy array or a pgvector Vector."""
    return np.asarray(value.to_numpy() if hasattr(value, "to_numpy") else value, dtype=np.float32)


def lock_story(db: Any, table: str, story_id: str) -> None:
    """Hold, until the transaction ends, the right to replace one story's rows of a table: two workers
    replacing them at once (delete, then insert) would clash on the primary key."""
    db.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 1))", (f"{table}:{story_id}",))


class PostgreSQLLinking:
    """Mixed into PostgreSQLStore, which provides the transaction and query helpers."""

    def _tx(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        raise NotImplementedError

    def stale_profiles(self) -> list[str]:
        rows = self._rows(
            """SELECT s.id FROM stories s LEFT JOIN story_profiles p ON p.story_id = s.id
               WHERE p.story_id IS NULL OR p.article_count != s.article_count ORDER BY s.created_at, s.id"""
        )
        return [r["id"] for r in rows]

    def save_profile(self, profile: StoryProfile) -> None:
        with self._tx() as db:
            cursor = db.execute("UPDATE stories SET topic = %s WHERE id = %s", (profile.topic, profile.story_id))
            if cursor.rowcount == 0:
                raise NotFoundError(f"no story with id {profile.story_id}")
            db.execute(
                """INSERT INTO story_profiles (story_id, article_count, lead, whole, terms) VALUES (%s, %s, %s, %s, %s)
                   ON CONFLICT (story_id) DO UPDATE SET article_count = excluded.article_count,
                   lead = excluded.lead, whole = excluded.whole, terms = excluded.terms""",
                (
                    profile.story_id,
                    profile.article_count,
                    vector(profile.lead),
                    vector(profile.whole),
                    Jsonb(profile.terms),
                ),
            )
            lock_story(db, "story_entities", profile.story_id)
            db.execute("DELETE FROM story_entities WHERE story_id = %s", (profile.story_id,))
            entities = sorted({e.entity.slug: e for e in profile.entities}.values(), key=lambda e: e.entity.slug)
            if entities:  # sorted by slug, so that two writers lock entity rows in one order
                db.cursor().executemany(
                    """INSERT INTO entities (slug, name, kind) VALUES (%s, %s, %s)
                       ON CONFLICT (slug) DO UPDATE SET name = excluded.name, kind = excluded.kind""",
                    [(e.entity.slug, e.entity.name, e.entity.kind) for e in entities],
                )
                db.cursor().executemany(
                    "INSERT INTO story_entities (story_id, entity_slug, salience) VALUES (%s, %s, %s)",
                    [(profile.story_id, e.entity.slug, e.salience) for e in profile.entities],
                )

    def _entity_rows(self, where: str = "", params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        yield from self._rows(
            f"""SELECT se.story_id, se.salience, e.slug, e.name, e.kind FROM story_entities se
                JOIN entities e ON e.slug = se.entity_slug {where} ORDER BY se.story_id, se.salience DESC, e.name""",
            params,
        )

    def story_profiles(self, since: datetime | None = None) -> list[StoryProfile]:
        since = since or datetime(1, 1, 1, tzinfo=UTC)
        entities: dict[str, list[StoryEntity]] = defaultdict(list)
        window = "JOIN stories s ON s.id = se.story_id WHERE s.updated_at >= %s"
        for r in self._entity_rows(window, (since,)):
            entities[r["story_id"]].append(StoryEntity(Entity(r["slug"], r["name"], r["kind"]), r["salience"]))
        rows = self._rows(
            """SELECT p.*, s.topic, s.created_at, s.updated_at FROM story_profiles p
               JOIN stories s ON s.id = p.story_id WHERE s.updated_at >= %s ORDER BY s.created_at, s.id""",
            (since,),
        )
        return [
            StoryProfile(
                story_id=r["story_id"],
                article_count=r["article_count"],
                lead=vector(r["lead"]),
                whole=vector(r["whole"]),
                terms=r["terms"],
                entities=tuple(entities.get(r["story_id"], ())),
                topic=r["topic"],
                started=r["created_at"],
                updated=r["updated_at"],
            )
            for r in rows
        ]

    def story_entities(self, story_id: str) -> list[StoryEntity]:
        return [
            StoryEntity(Entity(r["slug"], r["name"], r["kind"]), r["salience"])
            for r in self._entity_rows("WHERE se.story_id = %s", (story_id,))
        ]

    def list_entities(self) -> list[Entity]:
        rows = self._rows("SELECT * FROM entities ORDER BY slug")
        return [Entity(r["slug"], r["name"], r["kind"]) for r in rows]

    def get_entity(self, slug: str) -> Entity:
        rows = self._rows("SELECT * FROM entities WHERE slug = %s", (slug,))
        if not rows:
            raise NotFoundError(f"no entity {slug}")
        return Entity(rows[0]["slug"], rows[0]["name"], rows[0]["kind"])

    def entity_stories(self, slug: str, limit: int = 50) -> list[tuple[str, float]]:
        rows = self._rows(
            """SELECT se.story_id, se.salience FROM story_entities se JOIN stories s ON s.id = se.story_id
               WHERE se.entity_slug = %s ORDER BY se.salience DESC, s.updated_at DESC, s.id LIMIT %s""",
            (slug, limit),
        )
        return [(r["story_id"], r["salience"]) for r in rows]

    def entity_counts(self, slugs: Sequence[str] | None = None, limit: int = 200) -> list[tuple[Entity, int]]:
        # counted on the (entity, salience) index; rows of deleted stories go with them (ON DELETE CASCADE)
        where, params = ("", []) if slugs is None else ("WHERE entity_slug = ANY(%s)", [list(slugs)])
        rows = self._rows(
            f"""SELECT e.slug, e.name, e.kind, c.stories FROM (
                    SELECT entity_slug, COUNT(*) AS stories FROM story_entities {where}
                    GROUP BY entity_slug ORDER BY stories DESC, entity_slug LIMIT %s
                ) c JOIN entities e ON e.slug = c.entity_slug ORDER BY c.stories DESC, e.name""",
            [*params, limit],
        )
        return [(Entity(r["slug"], r["name"], r["kind"]), int(r["stories"])) for r in rows]

    def save_same_event(self, story_id: str, other_ids: Sequence[str]) -> None:
        with self._tx() as db:
            lock_story(db, "same_event", story_id)
            db.execute("DELETE FROM same_event WHERE story_id = %s", (story_id,))
            others = [other for other in sorted(set(other_ids)) if other != story_id]
            if others:
                db.cursor().executemany(
                    "INSERT INTO same_event (story_id, other_id) VALUES (%s, %s)", [(story_id, o) for o in others]
                )

    def same_event_pairs(self) -> list[tuple[str, str]]:
        rows = self._rows("SELECT story_id, other_id FROM same_event")
        return sorted({(min(r["story_id"], r["other_id"]), max(r["story_id"], r["other_id"])) for r in rows})
