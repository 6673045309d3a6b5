"""The PostgreSQL store beyond the contract: pgvector at start-up, migrations, HNSW, search, the demo."""

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
from newsdesk.demo.check import check_demo
from newsdesk.demo.server import DemoServer
from newsdesk.errors import StoreError
from newsdesk.settings import Settings
from newsdesk.store import Store, open_store
from newsdesk.store.pg_migrations import PG_MIGRATIONS
from newsdesk.store.pglocal import LocalPostgres
from newsdesk.types import StoryFilter

SYSTEM_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"  # the machine's PostgreSQL 15, without pgvector


def partition(store: Store) -> set[frozenset[str]]:
    """The stories as sets of article ids (what must agree between stores and runs)."""
    return {frozenset(a.id for a in store.articles_of_story(s.id)) for s in store.list_stories(limit=10_000)}


@pytest.fixture(scope="module")
def pg_demo(pg_server: LocalPostgres, demo_server: DemoServer) -> Iterator[Desk]:
    """The demo ingested into PostgreSQL through the embedded pipeline, as `newsdesk demo` would."""
    url = pg_server.create_database("demo_embedded")
    with open_desk(url, Settings(allow_private_addresses=True)) as desk:
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


def test_story_terms_written_as_json_before_migration_2_still_read(pg_url: str) -> None:
    store = open_store(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as db:
        db.execute(
            """INSERT INTO stories (id, created_at, updated_at, centroid, size, terms)
               VALUES ('s1', now(), now(), '[1,0]', 1, '{"vote": 0.1, "count": 0.7}')"""
        )
    assert store.story_state("s1").terms == {"vote": 0.1, "count": 0.7}  # JSONB keeps no key order
    assert store.story_terms(["s1"]) == {"s1": {"vote": 0.1, "count": 0.7}}
    store.close()


def test_demo_on_postgres_gives_the_stories_of_sqlite(pg_demo: Desk, demo_desk: Desk) -> None:
    assert pg_demo.store.count_articles() == demo_desk.store.count_articles()
    assert partition(pg_demo.store) == partition(demo_desk.store)
    check = check_demo(pg_demo.store)
    assert check.events == 25 and len(check.mixed) <= 1
    pg_stories = {s.id: s for s in pg_demo.stories(limit=1000)}
    for story in demo_desk.stories(limit=1000):
        assert pg_stories[story.id].standfirst == story.standfirst
        assert pg_stories[story.id].topic == story.topic
        assert pg_stories[story.id].related == story.related
    assert pg_demo.store.topic_counts() == demo_desk.store.topic_counts()
    assert pg_demo.store.same_event_pairs() == demo_desk.store.same_event_pairs()


def test_search_on_postgres_finds_what_sqlite_finds(pg_demo: Desk, demo_desk: Desk) -> None:
    for query in ("floods", "Belkirk", "election results", "strike"):
        found = {h.story_id for h in pg_demo.store.search_stories(query, StoryFilter(), 10)}
        expected = {h.story_id for h in demo_desk.store.search_stories(query, StoryFilter(), 10)}
        assert found == expected, query
    fused = [r.story.id for r in pg_demo.search("Varna floods", limit=5)]
    assert fused and fused == [r.story.id for r in demo_desk.search("Varna floods", limit=5)]


def test_story_centroids_have_an_hnsw_index(pg_demo: Desk) -> None:
    store = pg_demo.store
    dim = len(next(iter(store.all_story_centroids().values())))
    with psycopg.connect(store.url) as db:  # type: ignore[attr-defined]
        assert db.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", (f"stories_centroid_hnsw_{dim}",)).fetchone()
        db.execute("SET enable_seqscan = off")  # a small table would be scanned; the query must fit the index
        plan = db.execute(
            f"""EXPLAIN SELECT id FROM stories WHERE vector_dims(centroid) = {dim}
                ORDER BY centroid::vector({dim}) <=> %s::vector({dim}) LIMIT 5""".encode(),
            ("[" + ",".join(["1"] * dim) + "]",),
        ).fetchall()
    assert f"stories_centroid_hnsw_{dim}" in " ".join(r[0] for r in plan)


def test_migrate_store_copies_everything(demo_desk: Desk, pg_url: str, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    with sqlite3.connect(demo_desk.store.path) as live, sqlite3.connect(copy) as target:  # type: ignore[attr-defined]
        live.backup(target)
    assert main(["migrate-store", "--from", f"sqlite:///{copy}", "--to", pg_url]) == 0
    before, after = open_store(f"sqlite:///{copy}"), open_store(pg_url)
    try:
        assert after.list_sources() == before.list_sources()
        assert after.list_stories(limit=1000) == before.list_stories(limit=1000)  # writing, counts, related
        story_ids = [s.id for s in before.list_stories(limit=1000)]
        for story_id in story_ids:
            assert after.articles_of_story(story_id) == before.articles_of_story(story_id)
            assert after.story_versions(story_id) == before.story_versions(story_id)
            assert after.story_entities(story_id) == before.story_entities(story_id)
            old, new = before.story_state(story_id), after.story_state(story_id)
            assert (new.terms, new.sections, new.size) == (old.terms, old.sections, old.size)
            assert np.allclose(new.centroid, old.centroid)
        ids = [a.id for s in story_ids for a in before.articles_of_story(s)]
        assert all(np.array_equal(after.vectors(ids)[i], before.vectors(ids)[i]) for i in ids)
        terms = ["flood", "election", "strike", "nothing-like-this"]
        assert after.document_frequencies(terms) == before.document_frequencies(terms)
        assert after.stale_profiles() == before.stale_profiles() == []
        profiles = {p.story_id: p for p in before.story_profiles()}
        for profile in after.story_profiles():
            assert (
                profile.terms == profiles[profile.story_id].terms and profile.topic == profiles[profile.story_id].topic
            )
            assert np.allclose(profile.whole, profiles[profile.story_id].whole)
        assert after.list_entities() == before.list_entities() and after.same_event_pairs() == before.same_event_pairs()
        assert after.topic_counts() == before.topic_counts() and after.outlet_names() == before.outlet_names()
        everything = StoryFilter()
        assert after.latest_stories(everything, 500) == before.latest_stories(everything, 500)
        for query in ("floods", "strike"):  # the search documents are rebuilt from the copied stories
            assert {h.story_id for h in after.search_stories(query, everything, 10)} == {
                h.story_id for h in before.search_stories(query, everything, 10)
            }
        keywords = ["flood", "strike", "election"]
        since = min(a.published for s in story_ids for a in before.articles_of_story(s))
        assert after.stories_by_keywords(keywords, since, 5) == before.stories_by_keywords(keywords, since, 5)
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


def test_migrated_demo_serves_the_same_pages(demo_desk: Desk, pg_url: str, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from newsdesk.web.app import create_app

    copy = tmp_path / "copy.db"
    with sqlite3.connect(demo_desk.store.path) as live, sqlite3.connect(copy) as target:  # type: ignore[attr-defined]
        live.backup(target)
    assert main(["migrate-store", "--from", f"sqlite:///{copy}", "--to", pg_url]) == 0
    settings = Settings(allow_private_addresses=True)
    with open_desk(f"sqlite:///{copy}", settings) as lite, open_desk(pg_url, settings) as pg:
        story = lite.stories(limit=1)[0]
        entity = lite.store.list_entities()[0]
        paths = ["/", f"/story/{story.id}", "/topics", f"/entity/{entity.slug}", "/api/stories", "/feed.xml"]
        with TestClient(create_app(lite)) as one, TestClient(create_app(pg)) as other:
            for path in paths:
                expected, got = one.get(path), other.get(path)
                assert expected.status_code == got.status_code, path
                assert got.text == expected.text, path
            # search snippets come from each engine's own highlighter: compare the stories found
            found = [r["story"]["id"] for r in other.get("/api/search?q=floods").json()["results"]]
            assert found and found == [r["story"]["id"] for r in one.get("/api/search?q=floods").json()["results"]]
