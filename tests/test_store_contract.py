"""The Store contract: every implementation must pass these (parametrised over the stores we have)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from newsdesk.errors import NotFoundError, StoreError
from newsdesk.store import Store, open_store
from newsdesk.store.base import FetchOutcome, NewArticle, StoryCandidate, StoryProfile
from newsdesk.store.codec import decode_terms, encode_terms, encode_vector
from newsdesk.store.migrations import SQLITE_MIGRATIONS, migration_statements
from newsdesk.types import (
    MATCH_END,
    MATCH_START,
    Article,
    Entity,
    RelatedStory,
    Section,
    Sentence,
    StoryEntity,
    StoryFilter,
    Writing,
)

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


def test_source_kind_schedule_and_health(store: Store) -> None:
    page = store.add_source("http://outlet.test/one-article", T0, kind="page")
    assert (page.kind, page.disabled, page.next_attempt_at, page.interval_minutes) == ("page", False, None, None)
    feed = store.add_source("http://feeds.test/b.xml", T0)
    assert feed.kind == "feed"
    later = T0 + timedelta(minutes=45)
    store.record_fetch(
        feed.id,
        FetchOutcome(T0, ok=True, next_attempt_at=later, interval_minutes=45, warning="1 repeated item skipped"),
    )
    healthy = store.get_source(feed.id)
    assert (healthy.next_attempt_at, healthy.interval_minutes) == (later, 45)
    assert healthy.last_warning == "1 repeated item skipped"
    store.record_fetch(feed.id, FetchOutcome(later, ok=True, next_attempt_at=later + timedelta(minutes=45)))
    assert store.get_source(feed.id).interval_minutes == 45  # an attempt that learnt nothing keeps the interval
    assert store.get_source(feed.id).last_warning is None
    store.record_fetch(
        feed.id, FetchOutcome(later, ok=False, error="HTTP 503", next_attempt_at=later + timedelta(hours=2))
    )
    store.record_fetch(feed.id, FetchOutcome(later, ok=False, error="HTTP 410 Gone", disable=True))
    gone = store.get_source(feed.id)
    assert (gone.disabled, gone.consecutive_failures, gone.last_error) == (True, 2, "HTTP 410 Gone")
    assert gone.interval_minutes == 45 and store.get_source(page.id).disabled is False
    again = store.enable_source(feed.id)
    assert (again.disabled, again.consecutive_failures, again.next_attempt_at) == (False, 0, None)
    with pytest.raises(NotFoundError):
        store.enable_source(9999)


def test_article_update_time_and_image_are_kept(store: Store) -> None:
    store.add_article(
        NewArticle(article(7, updated=T0 + timedelta(hours=9), image_url="http://outlet.test/7.jpg"), None, "m")
    )
    stored = store.get_article("art7")
    assert (stored.updated, stored.image_url) == (T0 + timedelta(hours=9), "http://outlet.test/7.jpg")
    assert store.get_article("art7").updated.tzinfo is not None  # type: ignore[union-attr]


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


def test_rewriting_a_story_keeps_its_earlier_versions(store: Store) -> None:
    store.add_article(NewArticle(article(1), unit(1, 0), "m"))
    store.assign_article("art1", "s1", StoryCandidate("s1", unit(1, 0), T0, 1, {}))
    first = Writing("Title 1", (Sentence("Body of article 1.", ("art1",)),), (), article_ids=("art1",))
    store.save_writing("s1", first, "World", T0)
    store.save_writing("s1", first, "World", T0 + timedelta(hours=1))  # the same text again is no new version
    assert store.story_versions("s1") == []
    second = Writing(
        "Title 2",
        (Sentence("Body of article 2.", ("art2",)),),
        (),
        whats_new=(Sentence("It has words.", ("art2",)),),
        article_ids=("art1", "art2"),
    )
    store.save_writing("s1", second, "World", T0 + timedelta(hours=2))
    third = Writing("Title 3", (Sentence("Body of article 3.", ("art3",)),), (), writer="llm")
    store.save_writing("s1", third, "World", T0 + timedelta(hours=3))
    versions = store.story_versions("s1")
    assert [(v.number, v.writing.headline) for v in versions] == [(1, "Title 1"), (2, "Title 2")]
    assert versions[0].written_at == T0 and versions[1].written_at == T0 + timedelta(hours=2)
    assert versions[1].writing == second and store.get_story("s1").writing == third
    assert store.story_versions("nope") == []
    with pytest.raises(NotFoundError):
        store.save_writing("nope", third, "World")


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


REYVIK = Entity("tomas-reyvik", "Tomas Reyvik", "person")
KESTRIA = Entity("kestria", "Kestria", "place")


def profile(story_id: str, count: int, *entities: StoryEntity, topic: str = "Politics") -> StoryProfile:
    return StoryProfile(story_id, count, unit(1, 0), unit(0, 1), {"vote": 2.0}, tuple(entities), topic)


def test_profiles_entities_and_staleness(store: Store) -> None:
    for n in (1, 2):
        store.add_article(NewArticle(article(n), unit(1, n), "m"))
        store.assign_article(f"art{n}", f"s{n}", StoryCandidate(f"s{n}", unit(1, n), T0 + timedelta(hours=n), 1, {}))
    assert store.stale_profiles() == ["s1", "s2"]
    store.save_profile(profile("s1", 1, StoryEntity(REYVIK, 2.6), StoryEntity(KESTRIA, 1.2)))
    store.save_profile(profile("s2", 1, StoryEntity(KESTRIA, 3.0), topic="World"))
    assert store.stale_profiles() == []
    saved = {p.story_id: p for p in store.story_profiles()}
    assert [p.story_id for p in store.story_profiles(since=T0 + timedelta(hours=2))] == ["s2"]
    assert store.story_profiles(since=T0 + timedelta(hours=3)) == []
    assert saved["s1"].terms == {"vote": 2.0} and np.allclose(saved["s1"].whole, unit(0, 1))
    assert saved["s1"].entities == (StoryEntity(REYVIK, 2.6), StoryEntity(KESTRIA, 1.2))
    assert saved["s2"].started == T0 + timedelta(hours=2) and saved["s2"].topic == "World"
    assert store.get_story("s2").topic == "World"
    assert store.story_entities("s1") == [StoryEntity(REYVIK, 2.6), StoryEntity(KESTRIA, 1.2)]
    assert store.entity_stories("kestria") == [("s2", 3.0), ("s1", 1.2)]
    assert store.get_entity("tomas-reyvik") == REYVIK and set(store.list_entities()) == {REYVIK, KESTRIA}
    assert store.entity_counts() == [(KESTRIA, 2), (REYVIK, 1)]
    assert store.entity_counts(limit=1) == [(KESTRIA, 2)]
    assert store.entity_counts(["tomas-reyvik", "nobody"]) == [(REYVIK, 1)]
    with pytest.raises(NotFoundError):
        store.get_entity("nobody")
    store.add_article(NewArticle(article(3), unit(1, 1), "m"))
    store.assign_article("art3", "s1", StoryCandidate("s1", unit(1, 1), T0 + timedelta(hours=3), 2, {}))
    assert store.stale_profiles() == ["s1"]  # a new article makes the profile stale
    store.save_profile(profile("s1", 2, StoryEntity(KESTRIA, 0.6)))  # entities are replaced, not added
    assert store.story_entities("s1") == [StoryEntity(KESTRIA, 0.6)]


def test_same_event_flags_and_related_reasons(store: Store) -> None:
    for n in (1, 2, 3):
        store.add_article(NewArticle(article(n), unit(1, n), "m"))
        store.assign_article(f"art{n}", f"s{n}", StoryCandidate(f"s{n}", unit(1, n), T0, 1, {}))
    store.save_same_event("s2", ["s1", "s2"])
    store.save_same_event("s1", ["s2"])
    assert store.same_event_pairs() == [("s1", "s2")]
    store.save_related("s1", [RelatedStory("s3", 0.4, "same people", ("Tomas Reyvik",))])
    assert store.get_story("s1").related == (RelatedStory("s3", 0.4, "same people", ("Tomas Reyvik",)),)
    store.save_profile(profile("s2", 1, StoryEntity(REYVIK, 1.0)))
    store.merge_stories("s2", StoryCandidate("s1", unit(1, 1), T0, 2, {}))
    assert store.same_event_pairs() == [] and store.story_entities("s2") == []  # gone with the merged story
    assert store.entity_stories("tomas-reyvik") == [] and store.entity_counts(["tomas-reyvik"]) == []


def test_sqlite_migrations_are_applied_once(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    open_store(f"sqlite:///{path}").close()
    open_store(f"sqlite:///{path}").close()  # reopening does not re-run anything
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(SQLITE_MIGRATIONS)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_sqlite_story_terms_written_as_json_before_step_8_still_read(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        for script in SQLITE_MIGRATIONS[:7]:
            for statement in migration_statements(script):
                db.execute(statement)
        db.execute(
            "INSERT INTO stories (id, created_at, updated_at, centroid, size, terms) VALUES (?, ?, ?, ?, 1, ?)",
            ("s1", T0.isoformat(), T0.isoformat(), encode_vector(unit(1, 0)), '{"vote": 0.1, "count": 0.7}'),
        )
        db.execute("PRAGMA user_version = 7")
    store = open_store(f"sqlite:///{path}")
    assert list(store.story_state("s1").terms.items()) == [("vote", 0.1), ("count", 0.7)]
    assert store.story_terms(["s1"]) == {"s1": {"vote": 0.1, "count": 0.7}}
    store.close()


def test_story_terms_keep_their_order_and_every_bit() -> None:
    terms = {"zed": 0.1 + 0.2, "alpha": 1 / 3, "mid": 2.0**-60, "": 1e300}
    decoded = decode_terms(*encode_terms(terms))
    assert list(decoded.items()) == list(terms.items())
    assert decode_terms(*encode_terms({})) == {}
    with pytest.raises(ValueError, match="line break"):
        encode_terms({"two\nlines": 1.0})


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


def written_story(store: Store, n: int, headline: str, body: str, topic: str, **changes: object) -> None:
    """Store article n as story s<n>, written with this headline, body sentence and topic."""
    store.add_article(NewArticle(article(n, title=headline, **changes), unit(1, n), "m"))
    store.assign_article(f"art{n}", f"s{n}", StoryCandidate(f"s{n}", unit(1, n), T0 + timedelta(hours=n), 1, {}))
    writing = Writing(
        headline, (Sentence(f"{headline}.", (f"art{n}",)),), (Section("Introduction", (Sentence(body, (f"art{n}",)),)),)
    )
    store.save_writing(f"s{n}", writing, topic)


def test_latest_stories_filter_and_page_by_keyset(store: Store) -> None:
    written_story(store, 1, "Harbour strike ends", "Dockers voted to return.", "Business", outlet="Harbor Wire")
    written_story(store, 2, "Flood waters rise", "Rain fell all week.", "World")
    written_story(store, 3, "Strike talks resume", "Unions met the port.", "Business")
    store.add_article(NewArticle(article(4), unit(1, 4), "m"))
    store.assign_article("art4", "s4", StoryCandidate("s4", unit(1, 4), T0 + timedelta(hours=9), 1, {}))  # unwritten
    everything = StoryFilter()
    assert [s.id for s in store.latest_stories(everything, 10)] == ["s3", "s2", "s1"]
    first = store.latest_stories(everything, 2)
    older = store.latest_stories(everything, 2, before=(first[-1].updated_at, first[-1].id))
    assert [s.id for s in first + older] == ["s3", "s2", "s1"]
    assert [s.id for s in store.latest_stories(StoryFilter(topic="Business"), 10)] == ["s3", "s1"]
    assert [s.id for s in store.latest_stories(StoryFilter(outlet="Harbor Wire"), 10)] == ["s1"]
    window = StoryFilter(since=T0 + timedelta(hours=2), until=T0 + timedelta(hours=3))
    assert [s.id for s in store.latest_stories(window, 10)] == ["s2"]
    assert [s.id for s in store.latest_stories(StoryFilter(story_ids=("s1", "s2", "nope")), 10)] == ["s2", "s1"]
    assert store.latest_stories(StoryFilter(story_ids=()), 10) == []
    top = store.latest_stories(everything, 1)[0]
    assert (top.headline, top.standfirst, top.topic, top.article_count, top.outlet_count) == (
        "Strike talks resume",
        "Strike talks resume.",
        "Business",
        1,
        1,
    )
    assert store.topic_counts() == {"Business": 2, "World": 1}
    assert "Harbor Wire" in store.outlet_names()


def test_counts_follow_articles_into_stories_and_merges(store: Store) -> None:
    written_story(store, 1, "One", "First.", "World")
    written_story(store, 2, "Two", "Second.", "World")
    store.add_article(NewArticle(article(3, outlet="Outlet 1"), unit(1, 3), "m"))  # same outlet as art1
    store.assign_article("art3", "s1", StoryCandidate("s1", unit(1, 1), T0 + timedelta(hours=3), 2, {}))
    assert [(s.article_count, s.outlet_count) for s in store.latest_stories(StoryFilter(story_ids=("s1",)), 1)] == [
        (2, 1)
    ]
    store.merge_stories("s2", StoryCandidate("s1", unit(1, 1), T0 + timedelta(hours=3), 3, {}))
    merged = store.get_story("s1")
    assert (merged.article_count, merged.outlet_count) == (3, 2)


def test_search_finds_words_marks_them_and_follows_rewrites_and_merges(store: Store) -> None:
    written_story(store, 1, "Harbour strike ends", "Dockers voted to return to work at the port.", "Business")
    written_story(store, 2, "Flood waters rise", "Rain fell on the port city all week.", "World")
    hits = store.search_stories("dockers", StoryFilter(), 10)
    assert [h.story_id for h in hits] == ["s1"]
    assert f"{MATCH_START}Dockers{MATCH_END}" in hits[0].snippet
    assert [h.story_id for h in store.search_stories("strikes", StoryFilter(), 10)] == ["s1"]  # stemmed
    port = store.search_stories("port", StoryFilter(), 10)
    assert {h.story_id for h in port} == {"s1", "s2"} and port[0].score >= port[1].score
    assert [h.story_id for h in store.search_stories("port", StoryFilter(topic="World"), 10)] == ["s2"]
    assert len(store.search_stories("port", StoryFilter(), 1, offset=1)) == 1
    assert [h.story_id for h in store.search_stories("dockers rain", StoryFilter(), 10)] != []  # any word
    for hostile in ('"', "headline: NEAR(", "AND OR NOT", "*", "'; DROP TABLE stories; --", ""):
        store.search_stories(hostile, StoryFilter(), 10)  # reader input is never query syntax
    rewritten = Writing("Harbour strike over", (Sentence("Harbour strike over.", ("art1",)),), ())
    store.save_writing("s1", rewritten, "Business")
    assert store.search_stories("dockers", StoryFilter(), 10) == []
    assert [h.story_id for h in store.search_stories("over", StoryFilter(), 10)] == ["s1"]
    store.merge_stories("s1", StoryCandidate("s2", unit(1, 2), T0, 2, {}))
    assert store.search_stories("over", StoryFilter(), 10) == []  # the merged-away story leaves the index
    store.save_writing("s2", Writing("Flood waters rise", (), ()), "World")  # the survivor is rewritten
    assert [h.story_id for h in store.search_stories("harbour", StoryFilter(), 10)] == ["s2"]  # its articles' titles


def test_keyword_index_finds_stories_of_recent_articles(store: Store) -> None:
    words = {1: ("strike", "anselm", "port"), 2: ("strike", "wages"), 3: ("film", "heron"), 4: ("strike", "port")}
    for n, keywords in words.items():
        store.add_article(NewArticle(article(n), unit(1, n), "m", ["x"], keywords=keywords))
    for n in (1, 2, 3):
        store.assign_article(f"art{n}", f"s{n}", StoryCandidate(f"s{n}", unit(1, n), T0, 1, {}))
    # most shared keywords first; art4 has no story yet, so it is not found
    assert store.stories_by_keywords(["strike", "port", "anselm"], T0, 10) == ["s1", "s2"]
    assert store.stories_by_keywords(["strike"], T0, 1) in (["s1"], ["s2"])
    assert store.stories_by_keywords(["strike"], T0 + timedelta(hours=2), 10) == ["s2"]  # art1 is older
    assert store.stories_by_keywords([], T0, 10) == []
    copy = NewArticle(article(5, copy_of="art1"), unit(1, 0), "m", ["x"], keywords=("strike",))
    store.add_article(copy)  # copies are not indexed: their original already is
    assert store.document_frequencies(["x"]) == ({"x": 4}, 4)
    # the index follows articles when their stories merge and split
    store.merge_stories("s2", StoryCandidate("s1", unit(1, 1), T0, 2, {}))
    assert store.stories_by_keywords(["wages"], T0, 10) == ["s1"]
    assert store.stories_by_keywords(["strike", "port", "anselm"], T0, 10) == ["s1"]
    store.split_story(
        StoryCandidate("s1", unit(1, 1), T0, 1, {}), ["art2"], StoryCandidate("s9", unit(1, 2), T0, 1, {})
    )
    assert store.stories_by_keywords(["wages"], T0, 10) == ["s9"]
    assert store.stories_by_keywords(["strike"], T0, 10) in (["s1", "s9"], ["s9", "s1"])


def test_story_sections_are_kept(store: Store) -> None:
    store.add_article(NewArticle(article(1), unit(1, 0), "m"))
    state = StoryCandidate("s1", unit(1, 0), T0, 1, {"body": 1.0}, {"Business": 2, "Technology": 1})
    store.assign_article("art1", "s1", state)
    assert store.story_state("s1").sections == {"Business": 2, "Technology": 1}
    assert store.story_candidates(T0)[0].sections == {"Business": 2, "Technology": 1}
    store.add_article(NewArticle(article(2), unit(1, 0), "m"))
    store.assign_article("art2", "s2", StoryCandidate("s2", unit(1, 0), T0, 1, {}, {"World": 1}))
    store.merge_stories("s2", StoryCandidate("s1", unit(1, 0), T0, 2, {}, {"Business": 2, "World": 1}))
    assert store.story_state("s1").sections == {"Business": 2, "World": 1}


def test_split_moves_articles_and_copies_to_a_new_story(store: Store) -> None:
    for n in (1, 2, 3, 4):
        store.add_article(NewArticle(article(n), unit(1, n), "m"))
        store.assign_article(f"art{n}", "s1", StoryCandidate("s1", unit(1, 1), T0 + timedelta(hours=n), n, {}))
    store.add_article(NewArticle(article(5, copy_of="art4"), unit(1, 4), "m"))
    store.assign_article("art5", "s1", StoryCandidate("s1", unit(1, 1), T0 + timedelta(hours=5), 4, {}))
    store.save_writing("s1", Writing("Title 1", (), ()), "World")
    kept = StoryCandidate("s1", unit(1, 1), T0 + timedelta(hours=2), 2, {"a": 2.0}, {"World": 2})
    new = StoryCandidate("s9", unit(1, 4), T0 + timedelta(hours=4), 2, {"b": 2.0}, {"Business": 2})
    store.split_story(kept, ["art3", "art4"], new)
    assert [a.id for a in store.articles_of_story("s1")] == ["art1", "art2"]
    assert [a.id for a in store.articles_of_story("s9")] == ["art3", "art4", "art5"]  # the copy follows
    assert store.resolve_story_id("s1") == "s1" and store.resolve_story_id("s9") == "s9"
    assert store.story_state("s1").terms == {"a": 2.0} and store.story_state("s9").sections == {"Business": 2}
    assert store.get_story("s9").created_at == T0 + timedelta(hours=3)
    assert set(store.dirty_stories()) == {"s1", "s9"}  # both are written again


def test_a_batch_keeps_all_its_writes_or_none(store: Store) -> None:
    with store.batch():
        store.add_article(NewArticle(article(1), unit(1, 0), "m", ["strike"]))
        store.assign_article("art1", "s1", StoryCandidate("s1", unit(1, 0), T0, 1, {}))
    assert store.get_article("art1").story_id == "s1"
    with pytest.raises(RuntimeError), store.batch():
        store.add_article(NewArticle(article(2), unit(1, 0), "m", ["strike"]))
        raise RuntimeError("crash mid-pass")
    assert not store.has_article("art2") and store.document_frequencies(["strike"]) == ({"strike": 1}, 1)


def test_document_frequencies_inside_a_batch_count_its_articles(store: Store) -> None:
    with store.batch():
        store.add_article(NewArticle(article(1), unit(1, 0), "m", ["strike", "port"]))
        store.add_article(NewArticle(article(2), unit(1, 0), "m", ["strike"]))
        assert store.document_frequencies(["strike", "port"]) == ({"strike": 2, "port": 1}, 2)
        store.add_article(NewArticle(article(3), unit(1, 0), "m", ["strike"]))
    store.add_article(NewArticle(article(4), unit(1, 0), "m", ["port"]))
    assert store.document_frequencies(["strike", "port"]) == ({"strike": 3, "port": 2}, 4)


def test_a_named_lock_lets_one_holder_in_at_a_time(store: Store) -> None:
    order: list[str] = []
    inside = threading.Event()

    def second() -> None:
        inside.wait(5)
        with store.lock("assign"):
            order.append("second")

    other = threading.Thread(target=second)
    other.start()
    with store.lock("assign"):
        inside.set()
        time.sleep(0.3)  # the other thread is waiting for the lock by now
        order.append("first")
        with store.lock("another-name"):  # other names are other locks
            order.append("other name")
    other.join(5)
    assert order == ["first", "other name", "second"]
