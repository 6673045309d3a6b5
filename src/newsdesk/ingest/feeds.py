"""Parsing feeds into entries: RSS 0.9x/1.0/2.0 and Atom (feedparser), JSON Feed, Google News sitemaps.

`parse_feed` looks at the document itself (not only its Content-Type, which servers often get wrong) and
hands it to the parser for its format. Entity expansion is never performed: feedparser drops entity
declarations it does not trust and never loads external entities (tests/test_hostile.py proves both).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import feedparser

from newsdesk.errors import ParseError
from newsdesk.ingest.entries import EntryCollector, ParsedFeed, full_body, plain
from newsdesk.ingest.jsonfeed import parse_json_feed
from newsdesk.ingest.sitemaps import is_sitemap, parse_sitemap
from newsdesk.types import FeedEntry

_PERIOD_MINUTES = {"hourly": 60, "daily": 1440, "weekly": 10080, "monthly": 43200, "yearly": 525600}

__all__ = ["ParsedFeed", "parse_feed"]


_ONLY_WARNINGS = (
    feedparser.CharacterEncodingOverride,
    feedparser.NonXMLContentType,
    feedparser.CharacterEncodingUnknown,
)


def _first_line(problem: object) -> str:
    lines = str(problem).strip().splitlines()
    return lines[0] if lines else "unreadable document"


def _struct_time(entry: Any, *keys: str) -> datetime | None:
    for key in keys:
        value = dict.get(entry, key)  # not entry.get: feedparser answers "updated" with "published" when absent
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    return None


def _bad_date(entry: Any) -> bool:
    return any(
        dict.get(entry, key) and not dict.get(entry, f"{key}_parsed") for key in ("published", "updated", "created")
    )


def _category(entry: Any) -> str:
    for tag in entry.get("tags") or []:
        term = (tag.get("term") or tag.get("label") or "").strip() if isinstance(tag, dict) else str(tag)
        if term:
            return term
    return ""


def _image(entry: Any) -> str | None:
    for media in entry.get("media_content") or []:
        if media.get("url") and (media.get("medium") == "image" or str(media.get("type", "")).startswith("image/")):
            return str(media["url"])
    for link in entry.get("links") or []:
        if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image/") and link.get("href"):
            return str(link["href"])
    for thumb in entry.get("media_thumbnail") or []:
        if thumb.get("url"):
            return str(thumb["url"])
    return None


def _hint_minutes(feed: Any) -> float | None:
    """The publisher's polling hint: RSS <ttl> in minutes, or sy:updatePeriod / sy:updateFrequency."""
    hints: list[float] = []
    ttl = str(feed.get("ttl", "")).strip()
    if ttl.isdigit() and int(ttl) > 0:
        hints.append(float(ttl))
    period = _PERIOD_MINUTES.get(str(feed.get("sy_updateperiod", "")).strip().lower())
    if period:
        frequency = str(feed.get("sy_updatefrequency", "1")).strip()
        hints.append(period / max(1, int(frequency) if frequency.isdigit() else 1))
    return max(hints) if hints else None


def parse_rss_atom(body: bytes, url: str, content_type: str = "") -> ParsedFeed:
    """RSS 0.9x, 1.0, 2.0 and Atom with feedparser; raises ParseError when it is not a readable feed."""
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type  # lets feedparser weigh the HTTP charset against the XML one
    parsed = feedparser.parse(body, response_headers=headers)
    version = parsed.get("version", "")
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    charset_note: tuple[str, ...] = ()
    if isinstance(problem, feedparser.CharacterEncodingOverride):
        charset_note = (f"its declared charset was wrong, read as {parsed.get('encoding')}",)
    if isinstance(problem, _ONLY_WARNINGS):
        problem = None  # charset and Content-Type doubts that feedparser resolved itself
    head = body.lstrip()[:512].lower()
    if not version and (head.startswith(b"<!doctype html") or b"<html" in head):
        raise ParseError(f"{url}: not a feed (got an HTML page; is there a feed link on it?)")
    if not version and not parsed.entries:
        raise ParseError(
            f"{url}: not a "
            + (f"valid feed ({_first_line(problem)})" if problem else "feed (no RSS, Atom or JSON Feed found)")
        )
    collected = EntryCollector(url)
    for item in parsed.entries:
        bodies = [str(c.get("value", "")) for c in item.get("content") or []]
        collected.add(
            FeedEntry(
                url=item.get("link") or "",
                title=plain(item.get("title", "")),
                summary=plain(item.get("summary", "")),
                published=_struct_time(item, "published_parsed", "created_parsed", "updated_parsed"),
                author=plain(item.get("author", "")),
                guid=item.get("id") or "",
                category=_category(item),
                updated=_struct_time(item, "updated_parsed"),
                content=full_body(*bodies, item.get("summary", "")),
                image_url=_image(item),
            ),
            bad_date=_bad_date(item),
        )
    if problem is not None and not collected.entries:
        raise ParseError(f"{url}: not a valid feed ({_first_line(problem)})")
    notes = collected.notes() + charset_note + (("not well-formed XML, read leniently",) if problem else ())
    feed = parsed.feed
    return ParsedFeed(
        title=plain(feed.get("title", "")),
        entries=tuple(collected.entries),
        language=(feed.get("language") or "").strip() or None,
        hint_minutes=_hint_minutes(feed),
        notes=notes,
    )


# which parser reads a document: the first whose test passes (a plug point: add formats here)
PARSERS: list[tuple[Callable[[bytes, str], bool], Callable[[bytes, str, str], ParsedFeed]]] = [
    (lambda body, ctype: "json" in ctype.lower() or body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{", parse_json_feed),
    (lambda body, ctype: is_sitemap(body), parse_sitemap),
    (lambda body, ctype: True, parse_rss_atom),
]


def parse_feed(body: bytes, url: str, content_type: str = "") -> ParsedFeed:
    """Parse an RSS, Atom or JSON Feed document or a news sitemap; raises ParseError when it is none of them."""
    if not body.strip():
        raise ParseError(f"{url}: empty document (no feed in it)")
    for accepts, parse in PARSERS:
        if accepts(body, content_type):
            return parse(body, url, content_type)
    raise ParseError(f"{url}: not a feed")  # unreachable: the last parser accepts everything
