"""The facade: `open_desk()` gives a Desk, which owns the work; CLI and web only call it."""

from __future__ import annotations

from newsdesk.errors import NotFoundError, SettingsError
from newsdesk.pipeline import Progress, now, refresh
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
    def add_source(self, url: str) -> Source:
        """Add a feed URL to poll."""
        url = url.strip()
        if not url.startswith(("http://", "https://")):
            raise SettingsError(f"{url!r} is not an http(s) URL")
        return self.store.add_source(url, now())

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

    # pipeline
    def refresh(self, progress: Progress | None = None) -> RefreshReport:
        """One pass over the due sources, then stories, writing and links."""
        return refresh(self.store, self.settings, self.embedder, progress or (lambda _: None))

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
