"""What every feed parser produces: a ParsedFeed of FeedEntry records, collected with the same rules.

Rules: links are made absolute, an item without a link is skipped, an item repeating an id or a link is
skipped, an unreadable date is dropped (and counted), and the item's full body is kept only when the feed
carries more than a teaser.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from newsdesk.types import FeedEntry

FULL_TEXT_MIN_WORDS = 150  # an item body shorter than this is read as a teaser, and the page is fetched
_TEASER_ENDINGS = ("…", "...", "[…]", "[...]", "read more", "continue reading", "read the full story")
_TAG = re.compile(r"<[^>]+>")
_BLOCKS = ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr", "br", "section")


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed feed or news sitemap: its entries and what it says about itself."""

    title: str  # feed title (or the news sitemap's publication name), or ""
    entries: tuple[FeedEntry, ...]  # items in document order, one per article
    language: str | None = None  # the feed's declared language, if any
    hint_minutes: float | None = None  # publisher's polling hint (RSS ttl, sy:updatePeriod), if any
    sitemaps: tuple[str, ...] = ()  # child sitemaps of a sitemap index
    notes: tuple[str, ...] = ()  # what was skipped or dropped, one short phrase each


def plain(markup: str) -> str:
    """Markup as one line of plain text."""
    return re.sub(r"\s+", " ", html.unescape(_TAG.sub(" ", markup or ""))).strip()


def paragraphs(markup: str) -> str:
    """An HTML fragment as plain paragraphs separated by blank lines (hand-written: a dozen lines of lxml)."""
    if "<" not in markup:
        return "\n\n".join(p for p in (" ".join(b.split()) for b in re.split(r"\n\s*\n", markup)) if p)
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return plain(markup)
    etree.strip_elements(root, "script", "style", with_tail=False)
    for element in root.iter(*_BLOCKS):
        element.tail = "\n\n" + (element.tail or "")
    text = root.text_content()
    return "\n\n".join(p for p in (" ".join(b.split()) for b in re.split(r"\n\s*\n", text)) if p)


def full_body(*candidates: str) -> str:
    """The longest candidate body as paragraphs when it is a full article, else "" (a teaser)."""
    best = max((paragraphs(c) for c in candidates if c), key=lambda t: len(t.split()), default="")
    if len(best.split()) < FULL_TEXT_MIN_WORDS or best.rstrip().lower().endswith(_TEASER_ENDINGS):
        return ""
    return best


def iso_time(value: object) -> datetime | None:
    """A timezone-aware UTC time from an ISO 8601 string (naive times are taken as UTC); None if unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@dataclass
class EntryCollector:
    """Collects entries of one document, skipping linkless and repeated items and counting what it drops."""

    base_url: str  # the document's URL, for relative links
    entries: list[FeedEntry] = field(default_factory=list)
    without_link: int = 0
    repeated: int = 0
    bad_dates: int = 0
    _seen: set[str] = field(default_factory=set)

    def add(self, entry: FeedEntry, *, bad_date: bool = False) -> None:
        """Keep an entry (its url may be relative or "") unless it has no link or repeats one kept before."""
        if not entry.url.strip():
            self.without_link += 1
            return
        url = urljoin(self.base_url, entry.url.strip())
        guid = entry.guid or url
        if guid in self._seen or url in self._seen:
            self.repeated += 1
            return
        self._seen.update((guid, url))
        self.bad_dates += bad_date
        self.entries.append(replace(entry, url=url, guid=guid))

    def notes(self) -> tuple[str, ...]:
        """One short phrase per kind of thing dropped."""
        found = []
        if self.without_link:
            found.append(f"{self.without_link} item{'s' * (self.without_link > 1)} without a link skipped")
        if self.repeated:
            found.append(f"{self.repeated} repeated item{'s' * (self.repeated > 1)} skipped")
        if self.bad_dates:
            found.append(f"{self.bad_dates} unreadable date{'s' * (self.bad_dates > 1)} ignored")
        return tuple(found)
