"""The Store contract: every implementation must pass these (parametrised over the stores we have)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from newsdesk.errors import NotFoundError, StoreError
from newsdesk.store import Store, open_store
from newsdesk.store.base import FetchOutcome, NewArticle, StoryCandidate
from newsdesk.store.migrations import SQLITE_MIGRATIONS
from newsdesk.types import Article, RelatedStory, Section, Sentence, Writing

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def sqlite_store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    return open_store(f"sqlite:///{tmp_path / 'contract.db'}")


def postgres_store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    return open_store(request.getfixturevalue("pg_url"))  # a new database on the session's PostgreSQL


STORES: dict[str, Callable[[pytest.FixtureRequest, Path], Store]] = {
    "sqlite": sqlite_store,
    "postgres": postgres_store,
}


@pytest.fixture(params=sorted(STORES))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    opened = STORES[request.param](request, tmp_path)
    yield opened
    opened.close()


def article(n: int, **changes: object) -> Article:
    fields: dict[str, object] = {
        "id": f"art{n}",
        "url": f"http://outlet.test/{n}",
        "source_id": None,
        "outlet": f"Outlet {n % 3}",
        "title": f"Title {n}",
        "text": f"Body of article {n}. It has words.",
        "published": T0 + timedelta(hours=n),
        "content_hash": f"hash{n}",
    }
    fields.update(changes)
    return Article(**fields)  # type: ignore[arg-type]


def unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_sources_lifecycle(store: Store) -> None:
    source = store.add_source("http://feeds.test/a.xml", T0)
    assert store.find_source("http://feeds.test/a.xml") == source
    with pytest.raises(StoreError, match="already a source"):
        store.add_source("http://feeds.test/a.xml", T0)
    store.record_fetch(source.id, FetchOutcome(T0, ok=False, error="HTTP 500"))
    store.record_fetch(source.id, FetchOutcome(T0, ok=False, error="HTTP 502"))
    failing = store.get_source(source.id)
    assert (failing.consecutive_failures, failing.last_error) == (2, "HTTP 502")
    store.record_fetch(source.id, FetchOutcome(T0, ok=True, title="A", etag='"e1"', new_articles=3))
    healthy = store.get_source(source.id)
    assert (healthy.consecutive_failures, healthy.last_error, healthy.etag) == (0, None, '"e1"')
    assert healthy.articles_seen == 3 and healthy.title == "A" and healthy.last_success_at == T0
    store.remove_source(source.id)
    assert store.list_sources() == []
    with pytest.raises(NotFoundError):
        store.get_source(source.id)


def test_add_article_is_idempotent_and_keeps_vector(store: Store) -> None:
    assert store.add_article(NewArticle(article(1), unit(1, 0), "m", ["body", "article"]))
    assert not store.add_article(NewArticle(article(1, title="changed"), unit(0, 1), "m", ["body"]))
    assert store.get_article("art1").title == "Title 1"
    assert np.allclose(store.vectors(["art1", "missing"])["art1"], unit(1, 0))
    assert store.count_articles() == 1
    df, n = store.document_frequencies(["body", "article", "other"])
    assert (df, n) == ({"body": 1, "article": 1}, 1)


def test_copies_do_not_count_as_documents(store: Store) -> None:
    store.add_article(NewArticle(article(1, content_hash="same"), unit(1, 0), "m", ["wire"]))
    store.add_article(NewArticle(article(2, content_hash="same", copy_of="art1"), unit(1, 0), "m", ["wire"]))
    assert store.find_original("same").id == "art1"  # type: ignore[union-attr]
    assert store.document_frequencies(["wire"]) == ({"wire": 1}, 1)


def test_assign_write_and_read_story(store: Store) -> None:
    store.add_article(NewArticle(article(1), unit(1, 0), "m"))
    store.add_article(NewArticle(article(2), unit(1, 0.1), "m"))
    state = StoryCandidate("s1", unit(1, 0), T0 + timedelta(hours=1), 1, {"body": 1.0})
    store.assign_article("art1", "s1", state)
    assert [a.id for a in store.unassigned_articles()] == ["art2"]
    assert store.dirty_stories() == ["s1"]
    grown = StoryCandidate("s1", unit(1, 0.05), T0 + timedelta(hours=2), 2, {"body": 2.0})
    store.assign_article("art2", "s1", grown)
    assert store.story_state("s1").size == 2 and store.story_state("s1").terms == {"body": 2.0}
    assert [c.story_id for c in store.story_candidates(T0)] == ["s1"]
    assert store.story_candidates(T0 + timedelta(days=1)) == []
    writing = Writing(
        headline="Title 1",
        standfirst=(Sentence("Body of article 1.", ("art1", "art2")),),
        briefing=(Section("Introduction", (Sentence("It has words.", ("art1",)),)),),
    )
    store.save_writing("s1", writing, "World")
    assert store.dirty_stories() == []
    story = store.get_story("s1")
    assert story.writing == writing and story.topic == "World" and story.standfirst == "Body of article 1."
    assert (story.article_count, story.outlet_count) == (2, 2)
    assert [a.id for a in store.articles_of_story("s1")] == ["art1", "art2"]
    with pytest.raises(NotFoundError):
        store.get_story("nope")


def test_related_and_merge_keep_old_ids_alive(store: Store) -> None:
    for n in (1, 2, 3):
        store.add_article(NewArticle(article(n), unit(1, n), "m"))
        store.assign_article(f"art{n}", f"s{n}", StoryCandidate(f"s{n}", unit(1, n), T0, 1, {}))
    store.save_related("s1", [RelatedStory("s2", 0.9, "same topic"), RelatedStory("s3", 0.5, "related")])
    assert [r.story_id for r in store.get_story("s1").related] == ["s2", "s3"]
    store.merge_stories("s2", StoryCandidate("s1", unit(1, 1), T0, 2, {}))
    assert store.resolve_story_id("s2") == "s1"
    assert [r.story_id for r in store.get_story("s1").related] == ["s3"]
    store.merge_stories("s1", StoryCandidate("s3", unit(1, 2), T0, 3, {}))
    assert store.resolve_story_id("s2") == "s3"  # redirects follow later merges
    assert store.resolve_story_id("s1") == "s3"
    assert store.resolve_story_id("never") is None
    assert {a.id for a in store.articles_of_story("s3")} == {"art1", "art2", "art3"}
    assert store.count_stories() == 1


def test_sqlite_migrations_are_applied_once(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    open_store(f"sqlite:///{path}").close()
    open_store(f"sqlite:///{path}").close()  # reopening does not re-run anything
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(SQLITE_MIGRATIONS)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_sqlite_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(SQLITE_MIGRATIONS) + 1}")
    with pytest.raises(StoreError, match="newer newsdesk"):
        open_store(f"sqlite:///{path}")


def test_near_copies_by_band_key(store: Store) -> None:
    sig = np.arange(8, dtype=np.uint64)
    store.add_article(NewArticle(article(1), unit(1, 0), "m", signature=sig, band_keys=("0:a", "1:b")))
    store.add_article(NewArticle(article(2, copy_of="art1"), unit(1, 0), "m", signature=sig, band_keys=("0:a", "1:c")))
    found = {c.article_id: c for c in store.near_copies(["0:a"])}
    assert set(found) == {"art1", "art2"} and found["art2"].copy_of == "art1"
    assert np.array_equal(found["art1"].signature, sig)
    assert [c.article_id for c in store.near_copies(["1:c", "9:z"])] == ["art2"]
    assert store.near_copies([]) == []


def test_unassigned_article_ids_by_source(store: Store) -> None:
    source = store.add_source("http://feeds.test/a.xml", T0)
    store.add_article(NewArticle(article(2, source_id=source.id), unit(1, 0), "m"))
    store.add_article(NewArticle(article(1, source_id=source.id), unit(1, 0), "m"))
    store.add_article(NewArticle(article(3), unit(1, 0), "m"))
    assert store.unassigned_article_ids() == ["art1", "art2", "art3"]  # oldest publication first
    assert store.unassigned_article_ids(source.id) == ["art1", "art2"]
    store.assign_article("art1", "s1", StoryCandidate("s1", unit(1, 0), T0, 1, {}))
    assert store.unassigned_article_ids(source.id) == ["art2"]


def test_nearby_stories_hold_the_nearest_in_the_window(store: Store) -> None:
    angles = {"east": 0.0, "north-east": 0.8, "north": 1.5, "west": 3.1}
    for n, (name, angle) in enumerate(angles.items(), start=1):
        store.add_article(NewArticle(article(n), unit(np.cos(angle), np.sin(angle)), "m"))
        state = StoryCandidate(name, unit(np.cos(angle), np.sin(angle)), T0, 1, {"w": 1.0})
        store.assign_article(f"art{n}", name, state)
    store.add_article(NewArticle(article(9), unit(1, 0), "m"))
    store.assign_article("art9", "old-east", StoryCandidate("old-east", unit(1, 0.01), T0 - timedelta(days=30), 1, {}))
    found = store.nearby_stories([unit(1, 0.1)], [T0], timedelta(days=1), 2)
    ids = {c.story_id for c in found}
    assert {"east", "north-east"} <= ids and "old-east" not in ids  # the nearest two, nothing outside the window
    east = next(c for c in found if c.story_id == "east")
    assert np.allclose(east.centroid, unit(1, 0)) and east.size == 1 and east.updated_at == T0
    both = {c.story_id for c in store.nearby_stories([unit(1, 0), unit(-1, 0)], [T0, T0], timedelta(days=1), 1)}
    assert {"east", "west"} <= both
    assert store.nearby_stories([], [], timedelta(days=1), 3) == []


def test_stories_near_give_the_story_and_its_neighbours(store: Store) -> None:
    for n, angle in enumerate((0.0, 0.3, 2.0, 3.0), start=1):
        store.add_article(NewArticle(article(n), unit(np.cos(angle), np.sin(angle)), "m"))
        state = StoryCandidate(f"s{n}", unit(np.cos(angle), np.sin(angle)), T0, 1, {})
        store.assign_article(f"art{n}", f"s{n}", state)
    store.save_writing("s2", Writing("h", (Sentence("x", ("art2",)),), ()), "Sports")
    points = {p.story_id: p for p in store.stories_near("s1", 1)}
    assert {"s1", "s2"} <= set(points) and points["s2"].topic == "Sports"
    assert np.allclose(points["s1"].centroid, unit(1, 0))
    assert store.stories_near("missing", 3) == []


def test_exclusive_lets_one_holder_in_at_a_time(store: Store) -> None:
    import threading
    import time

    inside: list[int] = []
    overlaps: list[int] = []

    def hold(n: int) -> None:
        with store.exclusive("contract"):
            inside.append(n)
            if len(inside) > 1:
                overlaps.append(n)
            time.sleep(0.05)
            inside.remove(n)

    threads = [threading.Thread(target=hold, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps == []
    with store.exclusive("a") as a, store.exclusive("b") as b:  # different names do not block each other
        assert a and b
        tried: list[bool] = []

        def try_a() -> None:
            with store.exclusive("a", wait=False) as held:
                tried.append(held)

        other = threading.Thread(target=try_a)
        other.start()
        other.join()
        assert tried == [False]  # held elsewhere: refused at once
    with store.exclusive("a", wait=False) as held:
        assert held
