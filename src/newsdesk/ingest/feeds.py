"""Parsing RSS, Atom and JSON Feed documents into feed entries (feedparser)."""

from __future__ import annotations

import calendar
import html
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from newsdesk.errors import ParseError
from newsdesk.types import FeedEntry

_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed feed: its title and its entries."""

    title: str  # feed title, or ""
    entries: tuple[FeedEntry, ...]  # items in document order


def _plain(markup: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(_TAG.sub(" ", markup or ""))).strip()


def _time(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    return None


def _category(entry: Any) -> str:
    tags = entry.get("tags") or []
    for tag in tags:
        term = (tag.get("term") or tag.get("label") or "").strip() if isinstance(tag, dict) else str(tag)
        if term:
            return term
    return ""


def _json_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    """JSON Feed 1.0/1.1, by hand: feedparser 6 does not read it and no maintained library does."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"{url}: not a valid JSON Feed ({exc.__class__.__name__}: {exc})") from None
    if not isinstance(data, dict) or "jsonfeed.org/version" not in str(data.get("version", "")):
        raise ParseError(f"{url}: JSON document is not a JSON Feed (no jsonfeed.org version)")
    items = data.get("items")
    entries = []
    seen: set[str] = set()
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        link = str(item.get("url") or item.get("external_url") or "")
        if not link:
            continue
        link = urljoin(url, link)
        guid = str(item.get("id") or link)
        if guid in seen:
            continue
        seen.add(guid)
        authors = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict) else [])
        author = ", ".join(str(a.get("name", "")) for a in authors if isinstance(a, dict) and a.get("name"))
        tags = item.get("tags") if isinstance(item.get("tags"), list) else []
        entries.append(
            FeedEntry(
                url=link,
                title=_plain(str(item.get("title") or "")),
                summary=_plain(str(item.get("summary") or item.get("content_text") or item.get("content_html") or "")),
                published=_json_time(item.get("date_published")) or _json_time(item.get("date_modified")),
                author=author,
                guid=guid,
                category=str(tags[0]) if tags else "",
            )
        )
    return ParsedFeed(title=_plain(str(data.get("title") or "")), entries=tuple(entries))


def parse_feed(body: bytes, url: str, content_type: str = "") -> ParsedFeed:
    """Parse an RSS, Atom or JSON Feed document; raises ParseError when it is not a readable feed."""
    if "json" in content_type.lower() or body.lstrip()[:1] == b"{":
        return parse_json_feed(body, url)
    parsed = feedparser.parse(body, response_headers={"content-location": url})
    version = parsed.get("version", "")
    head = body.lstrip()[:512].lower()
    if not version and (head.startswith(b"<!doctype html") or b"<html" in head):
        raise ParseError(f"{url}: not a feed (got an HTML page; is there a feed link on it?)")
    if not parsed.entries and (parsed.get("bozo") or not version):
        if parsed.get("bozo"):
            reason = str(parsed.get("bozo_exception", "")).strip().splitlines()
            detail = reason[0] if reason else "unreadable document"
            raise ParseError(f"{url}: not a valid feed ({detail})")
        raise ParseError(f"{url}: not a feed (no RSS, Atom or JSON Feed found)")
    entries = []
    seen: set[str] = set()
    for item in parsed.entries:
        link = item.get("link") or ""
        if not link:
            continue  # an item with nowhere to go cannot become an article
        link = urljoin(url, link)
        guid = item.get("id") or link
        if guid in seen:
            continue
        seen.add(guid)
        entries.append(
            FeedEntry(
                url=link,
                title=_plain(item.get("title", "")),
                summary=_plain(item.get("summary", "")),
                published=_time(item),
                author=_plain(item.get("author", "")),
                guid=guid,
                category=_category(item),
            )
        )
    return ParsedFeed(title=_plain(parsed.feed.get("title", "")), entries=tuple(entries))
