"""The PostgreSQL store beyond the contract: pgvector at start-up, migrations, HNSW search, the demo, migrate-store."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import psycopg
import pytest

from newsdesk import Desk, open_desk
from newsdesk.cli import main
from newsdesk.demo.check import check_demo, event_of
from newsdesk.demo.server import DemoServer
from newsdesk.errors import StoreError
from newsdesk.settings import Settings
from newsdesk.store import Store, open_store
from newsdesk.store.pg_migrations import PG_MIGRATIONS

SYSTEM_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"  # the machine's PostgreSQL 15, without pgvector


def partition(store: Store) -> set[frozenset[str]]:
    """The stories as sets of article ids (what must agree between stores and runs)."""
    return {frozenset(a.id for a in store.articles_of_story(s.id)) for s in store.list_stories(limit=10_000)}


@pytest.fixture(scope="module")
def pg_demo(pg_server, demo_server: DemoServer) -> Iterator[Desk]:  # type: ignore[no-untyped-def]
    """The demo ingested into PostgreSQL through the embedded pipeline, as `newsdesk demo` would."""
    url = pg_server.create_database("demo_batch")
    with open_desk(url, Settings()) as desk:
        for feed in demo_server.feed_urls:
            desk.add_source(feed)
        report = desk.refresh()
        assert not report.failed, report.failed
        yield desk


def test_a_database_without_pgvector_is_refused_at_start_up_in_one_line() -> None:
    with psycopg.connect(SYSTEM_POSTGRES, connect_timeout=5) as db:  # started by .ci/run when down
        assert db.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone() is None
    with pytest.raises(StoreError, match="lacks the pgvector extension") as caught:
        open_store(SYSTEM_POSTGRES)
    assert "\n" not in str(caught.value)


def test_cli_says_so_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database", SYSTEM_POSTGRES, "stories"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("newsdesk: error: PostgreSQL 15") and "pgvector" in err and "\n" not in err


def test_unreachable_database_is_one_clear_error() -> None:
    with pytest.raises(StoreError, match=re.escape("cannot open PostgreSQL database postgresql://127.0.0.1:1/")):
        open_store("postgresql://postgres@127.0.0.1:1/nothing?connect_timeout=2")


def test_migrations_run_once_and_a_newer_schema_is_refused(pg_url: str) -> None:
    open_store(pg_url).close()
    open_store(pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as db:
        assert db.execute("SELECT version FROM newsdesk_schema").fetchall() == [(len(PG_MIGRATIONS),)]
        db.execute("UPDATE newsdesk_schema SET version = version + 1")
    with pytest.raises(StoreError, match="newer newsdesk"):
        open_store(pg_url)


def test_demo_on_postgres_gives_the_stories_of_sqlite(pg_demo: Desk, demo_desk: Desk) -> None:
    assert pg_demo.store.count_articles() == demo_desk.store.count_articles() == 81
    assert partition(pg_demo.store) == partition(demo_desk.store)
    check = check_demo(pg_demo.store)
    assert check.events == 25 and len(check.mixed) <= 1
    pg_stories = {s.id: s for s in pg_demo.stories(limit=1000)}
    for story in demo_desk.stories(limit=1000):
        assert pg_stories[story.id].standfirst == story.standfirst
        assert pg_stories[story.id].related == story.related


def test_story_search_uses_the_hnsw_index(pg_demo: Desk) -> None:
    store = pg_demo.store
    dim = len(next(iter(store.all_story_centroids().values())))
    with psycopg.connect(store.url) as db:  # type: ignore[attr-defined]
        assert db.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", (f"stories_centroid_hnsw_{dim}",)).fetchone()
        db.execute("SET enable_seqscan = off")  # a 26-row table would be scanned; the query must fit the index
        plan = db.execute(
            f"""EXPLAIN SELECT id FROM stories WHERE vector_dims(centroid) = {dim}
                ORDER BY centroid::vector({dim}) <=> %s::vector({dim}) LIMIT 5""".encode(),
            ("[" + ",".join(["1"] * dim) + "]",),
        ).fetchall()
    assert f"stories_centroid_hnsw_{dim}" in " ".join(r[0] for r in plan)


def test_full_text_column_is_filled_for_search(pg_demo: Desk) -> None:
    with psycopg.connect(pg_demo.store.url) as db:  # type: ignore[attr-defined]
        hits = db.execute(
            """SELECT url FROM articles, websearch_to_tsquery('english', 'Varna floods Belkirk') AS q
               WHERE search @@ q ORDER BY ts_rank(search, q) DESC, id LIMIT 5"""
        ).fetchall()
    assert len(hits) >= 3 and {event_of(url) for (url,) in hits} == {"e06-varna-floods"}


def test_migrate_store_copies_everything(demo_desk: Desk, pg_url: str, tmp_path: Path) -> None:
    source_path = Path(demo_desk.store.path)  # type: ignore[attr-defined]
    copy = tmp_path / "copy.db"
    with sqlite3.connect(source_path) as live, sqlite3.connect(copy) as target:
        live.backup(target)
    assert main(["migrate-store", "--from", f"sqlite:///{copy}", "--to", pg_url]) == 0
    before, after = open_store(f"sqlite:///{copy}"), open_store(pg_url)
    try:
        assert after.list_sources() == before.list_sources()
        assert after.list_stories(limit=1000) == before.list_stories(limit=1000)
        for story in before.list_stories(limit=1000):
            assert after.articles_of_story(story.id) == before.articles_of_story(story.id)
            assert after.story_state(story.id).terms == before.story_state(story.id).terms
            assert np.allclose(after.story_state(story.id).centroid, before.story_state(story.id).centroid)
        ids = [a.id for s in before.list_stories(limit=1000) for a in before.articles_of_story(s.id)]
        assert all(np.array_equal(after.vectors(ids)[i], before.vectors(ids)[i]) for i in ids)
        terms = ["flood", "election", "strike", "nothing-like-this"]
        assert after.document_frequencies(terms) == before.document_frequencies(terms)
        with sqlite3.connect(copy) as lite:
            keys = [r[0] for r in lite.execute("SELECT band_key FROM article_bands ORDER BY band_key LIMIT 200")]
            redirects = lite.execute("SELECT old_id, new_id FROM story_redirects").fetchall()

        def near(store: Store) -> set[tuple[str, str | None, bytes]]:
            return {(c.article_id, c.copy_of, c.signature.tobytes()) for c in store.near_copies(keys)}

        assert keys and near(after) == near(before)
        assert all(after.resolve_story_id(old) == new for old, new in redirects)
        source = after.add_source("http://feeds.test/new.xml", before.list_sources()[0].added_at)
        assert source.id == max(s.id for s in before.list_sources()) + 1  # ids go on after the copied ones
    finally:
        before.close()
        after.close()
    assert main(["migrate-store", "--from", f"sqlite:///{copy}", "--to", pg_url]) == 1  # never into a full store
