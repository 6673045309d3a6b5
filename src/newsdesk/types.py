"""Public records: one frozen dataclass per domain noun, plus the small write records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Source:
    """A feed, news sitemap, single page or local folder, polled on a schedule."""

    id: int  # store-assigned id
    url: str  # feed, sitemap or page URL, or file:// URL of a local file or folder
    title: str  # feed title once known, else ""
    added_at: datetime  # when the user added it (UTC)
    etag: str | None = None  # last ETag, for conditional GET
    last_modified: str | None = None  # last Last-Modified header, for conditional GET
    last_attempt_at: datetime | None = None  # when we last tried to fetch it
    last_success_at: datetime | None = None  # when a fetch last succeeded (200 or 304)
    last_error: str | None = None  # one-line reason of the last failure; None when the last try worked
    consecutive_failures: int = 0  # failures since the last success
    articles_seen: int = 0  # articles stored from this source over its life
    kind: str = "feed"  # "feed" (RSS, Atom, JSON Feed, news sitemap), "page" (one article) or "local"
    next_attempt_at: datetime | None = None  # when it is due again (UTC); None means now
    interval_minutes: int | None = None  # its own polling interval once learnt from the feed, else None
    disabled: bool = False  # True after too many failures or a 410; `newsdesk sources enable` clears it
    last_warning: str | None = None  # one-line note on the last successful fetch (items skipped, partial pages)


@dataclass(frozen=True)
class FeedEntry:
    """One item of a parsed feed, before its page is fetched."""

    url: str  # link to the article page
    title: str  # item title
    summary: str  # item description/summary as plain text (often a teaser)
    published: datetime | None  # item date (UTC) if the feed gives one
    author: str  # item author, or ""
    guid: str  # item id, or the URL when the feed has none
    category: str = ""  # the feed's first category/tag for the item, or ""
    updated: datetime | None = None  # item's last-modified time (UTC) if the feed gives one
    content: str = ""  # the item's full body as plain paragraphs when the feed carries it, else ""
    image_url: str | None = None  # the item's image (enclosure, media:content, JSON Feed image), if any


@dataclass(frozen=True)
class Page:
    """What extraction found on an article page."""

    title: str  # page title (og:title or <title>)
    text: str  # main text, paragraphs separated by blank lines
    outlet: str  # site name (og:site_name), or ""
    author: str  # byline, or ""
    published: datetime | None  # date from the page metadata (UTC)
    canonical_url: str | None  # rel=canonical (or og:url) if present, absolute
    language: str | None  # language code if known
    updated: datetime | None = None  # last-modified time from the page metadata (UTC)
    image_url: str | None = None  # main image (og:image, twitter:image), absolute


@dataclass(frozen=True)
class Article:
    """One outlet's item: the unit the story engine works on."""

    id: str  # stable id derived from the canonical URL
    url: str  # canonical URL
    source_id: int | None  # source that brought it, None once that source is removed
    outlet: str  # outlet name as shown to readers
    title: str  # headline
    text: str  # extracted full text (paragraphs separated by blank lines)
    published: datetime  # publication time (UTC); fetch time when unknown
    author: str = ""  # byline, or ""
    section: str = ""  # the outlet's own section or category for it, or ""
    language: str | None = None  # language code if known
    content_hash: str = ""  # hash of normalised text, for exact-duplicate detection
    copy_of: str | None = None  # canonical article id when this is a copy (wire, syndication)
    story_id: str | None = None  # story this article belongs to
    partial: bool = False  # True when only the feed's own text could be kept
    fetched_at: datetime | None = None  # when we stored it
    updated: datetime | None = None  # when the outlet last changed it (UTC), if it says
    image_url: str | None = None  # main image URL, if any


@dataclass(frozen=True)
class Citation:
    """A reference from one written sentence to the articles it comes from."""

    article_ids: tuple[str, ...]  # articles that carry this sentence (first = where it was taken)


@dataclass(frozen=True)
class Sentence:
    """A published sentence and where it came from."""

    text: str  # the sentence, verbatim from its source
    article_ids: tuple[str, ...]  # articles that carry it; never empty


@dataclass(frozen=True)
class Section:
    """A headed part of a briefing."""

    heading: str  # e.g. "Introduction", a theme, "Outlook"
    sentences: tuple[Sentence, ...]  # the section's sentences in reading order


@dataclass(frozen=True)
class Writing:
    """Everything the writer produces for a story."""

    headline: str  # story headline
    standfirst: tuple[Sentence, ...]  # 60-90 words of summary
    briefing: tuple[Section, ...]  # Introduction, themed sections, Outlook
    whats_new: tuple[Sentence, ...] = ()  # what the articles added since the previous version said
    article_ids: tuple[str, ...] = ()  # the articles this writing was made from
    writer: str = "extractive"  # "extractive", or "llm" when checked LLM text was published

    @property
    def standfirst_text(self) -> str:
        """The standfirst as one paragraph."""
        return " ".join(s.text for s in self.standfirst)


@dataclass(frozen=True)
class StoryVersion:
    """An earlier writing of a story, kept when new articles made the desk rewrite it."""

    number: int  # 1 for the first writing, then 2, 3, ...
    written_at: datetime  # when this version was published (UTC)
    writing: Writing  # what it said


@dataclass(frozen=True)
class Entity:
    """A person, organisation or place named in stories, one record for all its spellings."""

    slug: str  # stable id from the canonical name (URL /entity/<slug>)
    name: str  # canonical name, e.g. "Tomas Reyvik" for "Reyvik", "President Reyvik"
    kind: str  # "person", "organisation" or "place"


@dataclass(frozen=True)
class StoryEntity:
    """An entity as one story names it."""

    entity: Entity  # the entity
    salience: float  # summed over the story's outlets: 1 in a headline, 0.6 in a lead, 0.3 further down


@dataclass(frozen=True)
class RelatedStory:
    """One entry of a story's related list."""

    story_id: str  # the related story
    score: float  # ranking score, higher is closer
    label: str  # why: "follow-up", "background", "same people", "same place", "same organisation", "same topic"
    via: tuple[str, ...] = ()  # names of the shared entities behind the label, most salient first


@dataclass(frozen=True)
class Story:
    """The articles of many outlets about one event."""

    id: str  # stable id for life (URL /story/<id>-<slug>)
    created_at: datetime  # when the first article arrived (UTC)
    updated_at: datetime  # publication time of its newest article (UTC)
    headline: str  # current headline ("" until written)
    standfirst: str  # current standfirst text ("" until written)
    writing: Writing | None  # full writing, None until written
    article_count: int  # articles in the story, copies included
    outlet_count: int  # distinct outlets
    topic: str = ""  # section, e.g. "World"; "" when unknown
    related: tuple[RelatedStory, ...] = field(default_factory=tuple)  # ranked related stories


@dataclass(frozen=True)
class RefreshReport:
    """What one refresh pass did, for the CLI and logs."""

    sources: int  # sources attempted
    failed: tuple[tuple[str, str], ...]  # (source URL, one-line error) per failure
    new_articles: int  # articles stored
    copies: int  # of which were copies of an article already stored
    stories_touched: int  # stories that gained articles and were rewritten
    seconds: float  # wall time of the pass


# publishing: what lists, feeds, search and the API read

MATCH_START = "\ue000"  # marks the start of a search match inside a snippet (private-use character)
MATCH_END = "\ue001"  # marks the end of a search match inside a snippet


@dataclass(frozen=True)
class StorySummary:
    """A story as lists, feeds and search results show it (no briefing, no related list)."""

    id: str  # stable id for life
    created_at: datetime  # when the first article arrived (UTC)
    updated_at: datetime  # publication time of its newest article (UTC)
    headline: str  # current headline
    standfirst: str  # current standfirst text
    article_count: int  # articles in the story, copies included
    outlet_count: int  # distinct outlets
    topic: str = ""  # section, e.g. "World"; "" when unknown


@dataclass(frozen=True)
class StoryFilter:
    """Which written stories a list, feed or search keeps; empty fields keep everything."""

    topic: str = ""  # only stories of this topic (its name, e.g. "World")
    outlet: str = ""  # only stories with an article from this outlet (its name as shown)
    entity: str = ""  # only stories naming this entity (its slug); the Desk turns it into story_ids
    since: datetime | None = None  # only stories updated at or after this time (UTC)
    until: datetime | None = None  # only stories updated before this time (UTC)
    story_ids: tuple[str, ...] | None = None  # only these stories; None keeps all


@dataclass(frozen=True)
class SearchHit:
    """A story found by full-text search in the store."""

    story_id: str  # the story
    score: float  # text relevance, higher is better
    snippet: str  # the best-matching passage, matches wrapped in MATCH_START ... MATCH_END


@dataclass(frozen=True)
class SearchResult:
    """A story in one ranking of wording and meaning, as the search page shows it."""

    story: StorySummary  # the story
    snippet: str  # passage with marked matches; "" when it was found by meaning only
    score: float  # fused rank score, higher is better
    by_text: bool  # its words matched
    by_meaning: bool  # its meaning was close to the query


@dataclass(frozen=True)
class TopicSummary:
    """A topic as the site lists it."""

    name: str  # e.g. "World"
    slug: str  # URL part, e.g. "world"
    story_count: int  # written stories filed under it


@dataclass(frozen=True)
class EntitySummary:
    """An entity as the site lists it."""

    slug: str  # URL part, e.g. "tomas-reyvik"
    name: str  # as written in stories, e.g. "Tomas Reyvik"
    kind: str  # "person", "organisation" or "place"
    story_count: int  # stories naming it
