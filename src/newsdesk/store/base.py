"""The Store protocol every storage backend implements, and its small write records."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import numpy as np

from newsdesk.types import (
    Article,
    Entity,
    RelatedStory,
    SearchHit,
    Source,
    Story,
    StoryEntity,
    StoryFilter,
    StorySummary,
    StoryVersion,
    Writing,
)


@dataclass(frozen=True)
class FetchOutcome:
    """The result of one attempt to fetch a source, as recorded on it."""

    attempted_at: datetime  # when the attempt started (UTC)
    ok: bool  # True for 200 or 304
    error: str | None = None  # one-line reason when not ok
    title: str | None = None  # feed title, when the feed gave one
    etag: str | None = None  # new ETag to send next time
    last_modified: str | None = None  # new Last-Modified to send next time
    new_articles: int = 0  # articles stored by this attempt
    next_attempt_at: datetime | None = None  # when the source is due again (None: at once)
    interval_minutes: int | None = None  # the source's polling interval learnt from this fetch, if any
    warning: str | None = None  # one-line note when ok but something was skipped or kept partial
    disable: bool = False  # True to disable the source (too many failures, or gone for good)


@dataclass(frozen=True)
class NewArticle:
    """Everything stored with an article when it arrives, in one transaction."""

    article: Article  # the article itself
    vector: np.ndarray | None  # its embedding
    model: str  # the embedder's name
    terms: Iterable[str] = ()  # its distinct terms, counted into document frequencies (originals only)
    signature: np.ndarray | None = None  # MinHash signature for near-duplicate search
    band_keys: tuple[str, ...] = ()  # LSH band keys of that signature
    keywords: tuple[str, ...] = ()  # its most distinctive terms, indexed to find candidate stories (originals only)


@dataclass(frozen=True)
class NearCopy:
    """A stored article that shares an LSH band with a new one."""

    article_id: str  # the stored article
    copy_of: str | None  # its own original, when it is itself a copy
    signature: np.ndarray  # its MinHash signature


@dataclass(frozen=True)
class StoryCandidate:
    """What the story engine needs to decide whether an article joins a story."""

    story_id: str  # the story
    centroid: np.ndarray  # mean of its articles' unit embeddings (shorter when they disagree more)
    updated_at: datetime  # publication time of its newest article
    size: int  # articles in the story that are not copies
    terms: dict[str, float]  # summed term counts of its articles (lexical centroid); {} when not loaded
    sections: dict[str, int] = field(default_factory=dict)  # how many of its articles each topic section holds


@dataclass(frozen=True)
class StoryProfile:
    """What the related-story scorer knows about one story."""

    story_id: str  # the story
    article_count: int  # articles in the story when the profile was built (another count means stale)
    lead: np.ndarray  # unit mean embedding of the articles' headlines and leads
    whole: np.ndarray  # unit mean embedding of the articles' whole texts (as far as the model reads)
    terms: dict[str, float]  # summed term counts of headlines and leads (lexical evidence)
    entities: tuple[StoryEntity, ...]  # people, organisations, places, most salient first
    topic: str = ""  # section, "" when unknown
    started: datetime | None = None  # publication time of its first article
    updated: datetime | None = None  # publication time of its newest article


class Store(Protocol):
    """Everything newsdesk keeps; implementations must pass tests/test_store_contract.py."""

    def close(self) -> None:
        """Release the connection."""

    def batch(self) -> AbstractContextManager[None]:
        """Group the writes made inside into one transaction: all of them are kept, or (on an exception)
        none; many small commits cost more than the work itself."""

    def lock(self, name: str) -> AbstractContextManager[None]:
        """Hold a named lock for the block, shared by every process using this store (workers on many
        machines take turns at what must not run twice at once, such as assigning articles to stories)."""

    # sources
    def add_source(self, url: str, added_at: datetime, kind: str = "feed") -> Source:
        """Add a source of a kind ("feed", "page", "local"); raises StoreError when the URL is already one."""

    def get_source(self, source_id: int) -> Source:
        """One source; raises NotFoundError."""

    def find_source(self, url: str) -> Source | None:
        """The source with this URL, if any."""

    def list_sources(self) -> list[Source]:
        """All sources, oldest first."""

    def remove_source(self, source_id: int) -> None:
        """Forget a source; its articles stay."""

    def record_fetch(self, source_id: int, outcome: FetchOutcome) -> None:
        """Record the result of a fetch attempt on the source (health, validators, counts, next attempt)."""

    def enable_source(self, source_id: int) -> Source:
        """Re-enable a source: clears its disabled flag and failure count, and makes it due at once."""

    # articles
    def has_article(self, article_id: str) -> bool:
        """Whether an article with this id is stored."""

    def get_article(self, article_id: str) -> Article:
        """One article; raises NotFoundError."""

    def find_original(self, content_hash: str) -> Article | None:
        """The stored non-copy article whose text has this hash, if any."""

    def add_article(self, new: NewArticle) -> bool:
        """Store an article with its embedding, document counts and fingerprint in one transaction.

        Returns False (and changes nothing) when its id was already stored."""

    def near_copies(self, band_keys: Sequence[str]) -> list[NearCopy]:
        """Stored articles sharing at least one LSH band key."""

    def document_frequencies(self, terms: Iterable[str]) -> tuple[dict[str, int], int]:
        """How many original articles contain each term, and how many original articles there are."""

    def stories_by_keywords(self, keywords: Sequence[str], since: datetime, limit: int) -> list[str]:
        """Stories of the articles published since `since` that share these keywords, most shared first."""

    def unassigned_articles(self) -> list[Article]:
        """Articles not yet in a story, oldest publication first."""

    def articles_of_story(self, story_id: str) -> list[Article]:
        """A story's articles, oldest first, copies included."""

    def vectors(self, article_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored embeddings by article id (missing ids are left out)."""

    def count_articles(self) -> int:
        """Number of stored articles, copies included."""

    # stories
    def story_candidates(self, since: datetime) -> list[StoryCandidate]:
        """Stories whose newest article is at or after `since`, without their terms (loaded on demand)."""

    def story_terms(self, story_ids: Sequence[str]) -> dict[str, dict[str, float]]:
        """The summed term counts of these stories."""

    def story_state(self, story_id: str) -> StoryCandidate:
        """A story's centroid, time and size; raises NotFoundError."""

    def assign_article(self, article_id: str, story_id: str, candidate: StoryCandidate) -> None:
        """Put an article into a story (creating it if new) and store the story's new centroid/time."""

    def merge_stories(self, from_id: str, into: StoryCandidate) -> None:
        """Move every article of one story into another, store the survivor's new state, and make the
        old id redirect to it for life."""

    def split_story(self, kept: StoryCandidate, moved: Sequence[str], new: StoryCandidate) -> None:
        """Move some articles of a story (with their copies) into a new story; the story keeps its id and
        the rest of its articles, and both store their new state."""

    def resolve_story_id(self, story_id: str) -> str | None:
        """The live id for a story id (following merges), or None when it never existed."""

    def dirty_stories(self) -> list[str]:
        """Ids of stories whose articles changed since they were last written."""

    def save_writing(self, story_id: str, writing: Writing, topic: str, written_at: datetime | None = None) -> None:
        """Store a story's headline, standfirst and briefing; marks it clean. A different earlier writing
        is kept as a numbered version (see story_versions), never silently replaced."""

    def story_versions(self, story_id: str) -> list[StoryVersion]:
        """A story's earlier writings, oldest first (empty when it was written once)."""

    def save_related(self, story_id: str, related: Sequence[RelatedStory]) -> None:
        """Replace a story's related list."""

    def get_story(self, story_id: str) -> Story:
        """One story; raises NotFoundError."""

    def list_stories(self, limit: int = 50, offset: int = 0) -> list[Story]:
        """Stories, most outlets and freshest first."""

    def count_stories(self) -> int:
        """Number of stories."""

    def all_story_centroids(self) -> dict[str, np.ndarray]:
        """Every story's centroid, for linking."""

    # linking: profiles, entities, same-event flags
    def stale_profiles(self) -> list[str]:
        """Stories without a link profile, or whose article count changed since it was built."""

    def save_profile(self, profile: StoryProfile) -> None:
        """Store a story's link profile, its entities (replacing the old ones) and its topic."""

    def story_profiles(self, since: datetime | None = None) -> list[StoryProfile]:
        """Every stored profile (of stories updated at or after `since`, when given), with the story's topic
        and first/newest article times."""

    def story_entities(self, story_id: str) -> list[StoryEntity]:
        """A story's entities, most salient first."""

    def list_entities(self) -> list[Entity]:
        """Every entity named by some story."""

    def get_entity(self, slug: str) -> Entity:
        """One entity; raises NotFoundError."""

    def entity_stories(self, slug: str, limit: int = 50) -> list[tuple[str, float]]:
        """(story id, salience) of the stories naming an entity, most salient then freshest first."""

    def entity_counts(self, slugs: Sequence[str] | None = None, limit: int = 200) -> list[tuple[Entity, int]]:
        """Entities (only these slugs, when given) with how many stories name them, most stories then name
        first, at most `limit` (ties at the limit kept by slug); entities no story names are left out."""

    def save_same_event(self, story_id: str, other_ids: Sequence[str]) -> None:
        """Replace the stories flagged as the same event as this one (a hint for the story engine)."""

    def same_event_pairs(self) -> list[tuple[str, str]]:
        """Every flagged (story, other story) pair, each once with the smaller id first."""

    # publishing
    def latest_stories(
        self, filters: StoryFilter, limit: int, before: tuple[datetime, str] | None = None
    ) -> list[StorySummary]:
        """Written stories that pass `filters`, freshest first (updated_at, then id, both descending).

        `before` is the (updated_at, id) of the last story of the previous page: keyset paging.
        `filters.entity` is not read here: the Desk turns it into `filters.story_ids`."""

    def search_stories(self, query: str, filters: StoryFilter, limit: int, offset: int = 0) -> list[SearchHit]:
        """Written stories whose headline, standfirst, briefing or article titles hold the words of `query`,
        most relevant first, each with a snippet marking the matches. Reader input is never query syntax.
        When no story holds every word, stories holding any of them."""

    def topic_counts(self) -> dict[str, int]:
        """Written stories per topic (topics with none are left out)."""

    def outlet_names(self) -> list[str]:
        """Every outlet with a stored article, by name."""
