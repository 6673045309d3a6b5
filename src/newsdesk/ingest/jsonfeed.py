"""JSON Feed 1.0/1.1, read by hand: feedparser 6 does not read it and no maintained library does."""

from __future__ import annotations

import json
from typing import Any

from newsdesk.errors import ParseError
from newsdesk.ingest.decoding import decode_text
from newsdesk.ingest.entries import EntryCollector, ParsedFeed, full_body, iso_time, plain
from newsdesk.types import FeedEntry


def _author(item: dict[str, Any]) -> str:
    authors = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict) else [])
    names = [str(a.get("name", "")) for a in authors if isinstance(a, dict) and a.get("name")]
    return ", ".join(names)


def _bad_date(item: dict[str, Any]) -> bool:
    return any(item.get(key) and iso_time(item.get(key)) is None for key in ("date_published", "date_modified"))


def parse_json_feed(body: bytes, url: str, content_type: str = "") -> ParsedFeed:
    """A JSON Feed document; raises ParseError when it is not one."""
    try:
        data = json.loads(decode_text(body, content_type))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ParseError(f"{url}: not a valid JSON Feed ({exc.__class__.__name__}: {exc})") from None
    if not isinstance(data, dict) or "jsonfeed.org/version" not in str(data.get("version", "")):
        raise ParseError(f"{url}: JSON document is not a JSON Feed (no jsonfeed.org version)")
    items = data.get("items")
    collected = EntryCollector(url)
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        tags = item.get("tags") if isinstance(item.get("tags"), list) else []
        summary = str(item.get("summary") or item.get("content_text") or item.get("content_html") or "")
        image = item.get("image") or item.get("banner_image")
        collected.add(
            FeedEntry(
                url=str(item.get("url") or item.get("external_url") or ""),
                title=plain(str(item.get("title") or "")),
                summary=plain(summary),
                published=iso_time(item.get("date_published")) or iso_time(item.get("date_modified")),
                author=_author(item),
                guid=str(item.get("id") or ""),
                category=str(tags[0]) if tags else "",
                updated=iso_time(item.get("date_modified")),
                content=full_body(str(item.get("content_html") or ""), str(item.get("content_text") or "")),
                image_url=str(image) if isinstance(image, str) and image else None,
            ),
            bad_date=_bad_date(item),
        )
    language = data.get("language")
    return ParsedFeed(
        title=plain(str(data.get("title") or "")),
        entries=tuple(collected.entries),
        language=language.strip() or None if isinstance(language, str) else None,
        notes=collected.notes(),
    )
