"""The facade: `open_desk()` gives a Desk, which owns the work; CLI and web only call it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from newsdesk.errors import NewsdeskError, NotFoundError, SettingsError, StoreError
from newsdesk.ingest.discover import feed_links
from newsdesk.ingest.fetch import fetch_once
from newsdesk.ingest.local import local_path, local_url
from newsdesk.ingest.opml import export_opml, parse_opml
from newsdesk.pipeline import Progress, now, refresh, refresh_forever
from newsdesk.settings import Settings, load_settings
from newsdesk.store import Store, open_store
from newsdesk.stories.embed import Embedder, get_embedder
from newsdesk.types import Article, RefreshReport, Source, Story, StoryEntity, StoryVersion


class Desk:
    """A news desk over one store."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._embedder: Embedder | None = None

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
    def add_source(self, ref: str, *, page: bool = False) -> Source:
        """Add a feed or news sitemap URL (a site's page is replaced by the feed it links), a single article
        page (`page=True`), or a local file or folder of saved pages and feed files."""
        ref = ref.strip()
        if not ref.startswith(("http://", "https://")):
            path = local_path(ref) if ref.startswith("file://") else Path(ref).expanduser()
            if path.exists():
                return self.store.add_source(local_url(path), now(), kind="local")
            raise SettingsError(f"{ref!r} is not an http(s) URL or an existing file or folder")
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

    def entities(self, story_id: str) -> list[StoryEntity]:
        """The people, organisations and places a story names, most salient first."""
        return self.store.story_entities(story_id)

    def coverage(self, story_id: str) -> list[Article]:
        """A story's articles, oldest first (copies included, marked by copy_of)."""
        return self.store.articles_of_story(story_id)


def open_desk(database_url: str | None = None, settings: Settings | None = None) -> Desk:
    """Open the desk that settings (or an explicit database URL) point at."""
    settings = settings or load_settings()
    if database_url:
        settings = settings.replace(database_url=database_url)
    return Desk(open_store(settings.resolved_database_url), settings)
