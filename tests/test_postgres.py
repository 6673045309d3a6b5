"""The PostgreSQL store beyond the contract: pgvector at start-up, migrations, HNSW, search, the demo."""

from __future__ import annotations

import re
from collections.abc import Iterator

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
