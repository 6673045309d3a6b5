"""The facade: `open_desk()` gives a Desk, which owns the work; CLI and web only call it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from newsdesk.errors import NewsdeskError, NotFoundError, SettingsError, StoreError
from newsdesk.ingest.discover import feed_links
from newsdesk.ingest.fetch import fetch_once
from newsdesk.ingest.local import local_path, local_url
from newsdesk.ingest.opml import export_opml, parse_opml
from newsdesk.pipeline import Progress, now, refresh, refresh_forever
from newsdesk.publish.meaning import MeaningIndex
from newsdesk.publish.ranking import fuse, rank_top
from newsdesk.publish.slugs import slugify
from newsdesk.settings import Settings, load_settings
from newsdesk.store import Store, open_store
from newsdesk.stories.embed import Embedder, get_embedder
from newsdesk.types import (
    Article,
    EntitySummary,
    RefreshReport,
    SearchResult,
    Source,
    Story,
    StoryEntity,
    StoryFilter,
    StorySummary,
    StoryVersion,
    TopicSummary,
)

TOPICS_TTL = 30.0  # seconds topic and entity counts and top-story rankings are reused (counting scans every story)
TOP_WINDOW = 3  # the home page ranks the stories of the last this many half-lives (older ones weigh < 1/8)
TOP_POOL = 1000  # and at most this many of them


class Desk:
    """A news desk over one store."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._embedder: Embedder | None = None
        self._meaning = MeaningIndex(store.story_candidates)
        self._topics: tuple[float, list[TopicSummary]] = (-TOPICS_TTL, [])
        self._top: dict[str, tuple[float, bool, list[StorySummary]]] = {}  # topic -> (when, complete, ranking)
        self._entities: dict[int, tuple[float, list[EntitySummary]]] = {}  # limit -> (when, most named first)

    @property
    def embedder(self) -> Embedder:
        """The configured embedder, loaded on first use."""
        if self._embedder is None:
            self._embedder = get_embedder(self.settings.embedder)
        return self._embedder

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def __enter__(self) -> Desk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # sources
    def add_source(self, ref: str, *, page: bool = False, local: bool = True) -> Source:
        """Add a feed or news sitemap URL (a site's page is replaced by the feed it links), a single article
        page (`page=True`), or a local file or folder of saved pages and feed files. `local=False` (the site
        and the API) accepts http(s) URLs only: a web form must never make the server publish its own files."""
        ref = ref.strip()
        if not ref:
            raise SettingsError("a source needs a URL, file or folder (an empty one would be the current folder)")
        if not ref.startswith(("http://", "https://")):
            if not local:
                raise SettingsError(f"{ref!r} is not an http(s) URL (local files and folders: `newsdesk sources add`)")
            path = local_path(ref) if ref.startswith("file://") else Path(ref).expanduser()
            if path.exists():
                return self.store.add_source(local_url(path), now(), kind="local")
            raise SettingsError(f"{ref!r} is not an http(s) URL or an existing file or folder")
        if not urlsplit(ref).hostname:
            raise SettingsError(f"{ref!r} is not an http(s) URL: it names no host")
        if page:
            return self.store.add_source(ref, now(), kind="page")
        if self.store.find_source(ref) is not None:
            raise StoreError(f"{ref} is already a source")
        feed = self._feed_linked_from(ref)
        if feed is not None and self.store.find_source(feed) is not None:
            raise StoreError(f"{feed} (the feed {ref} links) is already a source")
        return self.store.add_source(feed or ref, now())

    def _feed_linked_from(self, url: str) -> str | None:
        """The first feed an HTML page at `url` links (autodiscovery); None for a feed or an unreachable URL."""
        try:
            reply = fetch_once(self.settings.replace(fetch_retries=0), url)
        except NewsdeskError:
            return None  # added as given: the next refresh will say what is wrong with it
        feeds = feed_links(reply)
        return feeds[0] if feeds else None

    def import_opml(self, body: bytes, name: str = "OPML file") -> tuple[int, int]:
        """Add every feed of an OPML file (nothing is fetched yet); returns (added, already there)."""
        added = known = 0
        for feed in parse_opml(body, name):
            if not feed.url.startswith(("http://", "https://")):
                continue  # a feed we could never poll (ftp:, file:, a typo) is left out
            if self.store.find_source(feed.url) is not None:
                known += 1
            else:
                self.store.add_source(feed.url, now())
                added += 1
        return added, known

    def export_opml(self) -> str:
        """The feed sources as an OPML 2.0 document."""
        return export_opml(self.store.list_sources(), f"{self.settings.site_name} sources", now())

    def sources(self) -> list[Source]:
        """All sources with their health."""
        return self.store.list_sources()

    def find_source(self, ref: str) -> Source:
        """A source by id or URL."""
        if ref.isdigit():
            return self.store.get_source(int(ref))
        found = self.store.find_source(ref)
        if found is None:
            raise NotFoundError(f"no source {ref}")
        return found

    def remove_source(self, ref: str) -> Source:
        """Stop polling a source (its articles stay)."""
        source = self.find_source(ref)
        self.store.remove_source(source.id)
        return source

    def enable_source(self, ref: str) -> Source:
        """Re-enable a disabled source; it is polled on the next refresh."""
        return self.store.enable_source(self.find_source(ref).id)

    # pipeline
    def refresh(self, progress: Progress | None = None) -> RefreshReport:
        """One pass over the due sources, then stories, writing and links."""
        return refresh(self.store, self.settings, self.embedder, progress or (lambda _: None))

    def refresh_forever(
        self,
        progress: Progress | None = None,
        on_pass: Callable[[RefreshReport], None] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        """Run the scheduler until `stop` is set: a pass whenever a source is due."""
        refresh_forever(self.store, self.settings, self.embedder, progress or (lambda _: None), stop, on_pass)

    # reading
    def stories(self, limit: int = 50, offset: int = 0) -> list[Story]:
        """Top stories: most outlets, freshest first."""
        return self.store.list_stories(limit=limit, offset=offset)

    def story(self, story_id: str) -> Story:
        """One story."""
        return self.store.get_story(story_id)

    def live_story_id(self, story_id: str) -> str | None:
        """The id a story lives under now (after merges), or None when there never was one."""
        return self.store.resolve_story_id(story_id)

    def story_versions(self, story_id: str) -> list[StoryVersion]:
        """A story's earlier writings, oldest first."""
        return self.store.story_versions(story_id)

    def story_entity_mentions(self, story_id: str) -> list[StoryEntity]:
        """The people, organisations and places a story names, with their salience, most salient first."""
        return self.store.story_entities(story_id)

    def coverage(self, story_id: str) -> list[Article]:
        """A story's articles, oldest first (copies included, marked by copy_of)."""
        return self.store.articles_of_story(story_id)

    # publishing
    def top_stories(self, limit: int = 30, offset: int = 0, topic: str = "") -> list[StorySummary]:
        """Top stories (of a topic): recent ones ranked by the outlets covering them, halved per half-life of age.

        The ranking is reused for TOPICS_TTL seconds: stories change once per refresh, pages far more often."""
        need = offset + limit
        ranked_at, every_story, ranked = self._top.get(topic, (-TOPICS_TTL, False, []))
        if time.monotonic() - ranked_at >= TOPICS_TTL or (need > len(ranked) and not every_story):
            every_story, ranked = self._rank_top(topic, need)
            self._top[topic] = (time.monotonic(), every_story, ranked)
        return ranked[offset:need]

    def _rank_top(self, topic: str, need: int) -> tuple[bool, list[StorySummary]]:
        """(whether every story of the topic was ranked, the ranking)."""
        newest = self.store.latest_stories(StoryFilter(topic=topic), 1)
        if not newest:
            return True, []
        since = newest[0].updated_at - timedelta(hours=TOP_WINDOW * self.settings.top_half_life_hours)
        pool = self.store.latest_stories(StoryFilter(topic=topic, since=since), max(TOP_POOL, 2 * need))
        every_story = False
        if len(pool) < 2 * need:  # a quiet spell: rank older stories too
            wanted = max(TOP_POOL // 4, 2 * need)
            pool = self.store.latest_stories(StoryFilter(topic=topic), wanted)
            every_story = len(pool) < wanted
        # the order is the same whatever the time it is computed at
        return every_story, rank_top(pool, pool[0].updated_at, self.settings.top_half_life_hours)

    def latest(
        self, filters: StoryFilter | None = None, limit: int = 30, before: tuple[datetime, str] | None = None
    ) -> list[StorySummary]:
        """Written stories that pass the filters, freshest first; `before` pages on (updated_at, id)."""
        return self.store.latest_stories(self._resolved(filters or StoryFilter()), limit, before)

    def summaries(self, story_ids: list[str]) -> list[StorySummary]:
        """These stories (those that exist and are written), in the order given."""
        found = {s.id: s for s in self.store.latest_stories(StoryFilter(story_ids=tuple(story_ids)), len(story_ids))}
        return [found[i] for i in story_ids if i in found]

    def topics(self) -> list[TopicSummary]:
        """Topics with written stories, by name (counted at most every TOPICS_TTL seconds)."""
        counted_at, topics = self._topics
        if time.monotonic() - counted_at >= TOPICS_TTL:
            topics = [TopicSummary(name, slugify(name), count) for name, count in self.store.topic_counts().items()]
            self._topics = (time.monotonic(), topics)
        return topics

    def topic(self, slug: str) -> TopicSummary:
        """A topic by its slug."""
        for topic in self.topics():
            if topic.slug == slug:
                return topic
        raise NotFoundError(f"no topic {slug}")

    def entities(self, limit: int = 200) -> list[EntitySummary]:
        """Entities named in stories, most stories first (counted at most every TOPICS_TTL seconds)."""
        counted_at, found = self._entities.get(limit, (-TOPICS_TTL, []))
        if time.monotonic() - counted_at >= TOPICS_TTL:
            found = [EntitySummary(e.slug, e.name, e.kind, n) for e, n in self.store.entity_counts(limit=limit)]
            self._entities[limit] = (time.monotonic(), found)
        return found

    def entity(self, slug: str) -> EntitySummary:
        """An entity by its slug (none until the linking stage stores entities)."""
        found = self.store.entity_counts([slug], limit=1)
        if not found:
            raise NotFoundError(f"no entity {slug}")
        entity, count = found[0]
        return EntitySummary(entity.slug, entity.name, entity.kind, count)

    def entity_story_ids(self, slug: str) -> list[str]:
        """Ids of the stories naming an entity, most salient first."""
        return [story_id for story_id, _ in self.store.entity_stories(slug, limit=10_000)]

    def story_entities(self, story_id: str) -> list[EntitySummary]:
        """Entities a story names, most salient first."""
        named = self.store.story_entities(story_id)
        counts = {e.slug: n for e, n in self.store.entity_counts([m.entity.slug for m in named], limit=len(named))}
        return [EntitySummary(m.entity.slug, m.entity.name, m.entity.kind, counts.get(m.entity.slug, 0)) for m in named]

    def outlets(self) -> list[str]:
        """Every outlet with a stored article."""
        return self.store.outlet_names()

    def search(
        self, query: str, filters: StoryFilter | None = None, limit: int = 20, offset: int = 0
    ) -> list[SearchResult]:
        """Stories matching a query by wording (full text) and by meaning (embeddings), in one ranking."""
        if not query.strip():
            return []
        filters = self._resolved(filters or StoryFilter())
        pool = min(max(2 * (offset + limit), 30), 500)  # each ranking offers this many to the fusion
        text_hits = self.store.search_stories(query, filters, pool)
        close = self._meaning.nearest(self.embedder.embed([query])[0], pool, self.settings.search_meaning_floor)
        meaning_ids = [story_id for story_id, _ in close]
        if filters != StoryFilter():  # the meaning index knows no topics, outlets or dates: ask the store
            kept = {s.id for s in self.store.latest_stories(self._narrowed(filters, meaning_ids), pool)}
            meaning_ids = [story_id for story_id in meaning_ids if story_id in kept]
        fused = fuse([[h.story_id for h in text_hits], meaning_ids])[offset : offset + limit]
        snippets = {h.story_id: h.snippet for h in text_hits}
        by_meaning = set(meaning_ids)
        stories = {s.id: s for s in self.summaries([story_id for story_id, _ in fused])}
        return [
            SearchResult(stories[i], snippets.get(i, ""), score, i in snippets, i in by_meaning)
            for i, score in fused
            if i in stories
        ]

    def _resolved(self, filters: StoryFilter) -> StoryFilter:
        """The filters with an entity turned into the ids of its stories."""
        if not filters.entity:
            return filters
        return replace(self._narrowed(filters, self.entity_story_ids(filters.entity)), entity="")

    @staticmethod
    def _narrowed(filters: StoryFilter, story_ids: list[str]) -> StoryFilter:
        """The filters, further kept to these story ids."""
        if filters.story_ids is not None:
            allowed = set(filters.story_ids)
            story_ids = [i for i in story_ids if i in allowed]
        return replace(filters, story_ids=tuple(story_ids))


def open_desk(database_url: str | None = None, settings: Settings | None = None) -> Desk:
    """Open the desk that settings (or an explicit database URL) point at."""
    settings = settings or load_settings()
    if database_url:
        settings = settings.replace(database_url=database_url)
    return Desk(open_store(settings.resolved_database_url), settings)
