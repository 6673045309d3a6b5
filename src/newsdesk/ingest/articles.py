"""Article records from what ingestion found: a feed entry, its page when it could be read, or a page alone."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from newsdesk.ingest.entries import ParsedFeed
from newsdesk.ingest.urls import article_id, canonical_url
from newsdesk.types import Article, FeedEntry, Page

FUTURE_SLACK = timedelta(days=1)  # a date further ahead than this is a publisher's mistake, not a time


def sane_time(value: datetime | None, fetched_at: datetime) -> datetime | None:
    """A feed or page time, or None when it lies in the future."""
    return None if value is None or value > fetched_at + FUTURE_SLACK else value


def article_from_entry(
    source_id: int, feed: ParsedFeed, entry: FeedEntry, page: Page | None, page_url: str | None, fetched_at: datetime
) -> Article:
    """An article from a feed entry and, when it was read, the entry's page (else partial, unless the feed
    carried the full body). Its id comes from the entry's link, so the next pass knows it before fetching."""
    url = canonical_url((page.canonical_url if page else None) or page_url or entry.url)
    text = page.text if page else entry.content or entry.summary
    return Article(
        id=article_id(entry.url),
        url=url,
        source_id=source_id,
        outlet=(page.outlet if page else "") or feed.title or urlsplit(url).netloc,
        title=entry.title or (page.title if page else "") or url,
        text=text,
        published=sane_time(entry.published, fetched_at)
        or sane_time(page.published if page else None, fetched_at)
        or fetched_at,
        author=entry.author or (page.author if page else ""),
        section=entry.category,
        language=(page.language if page else None) or feed.language,
        partial=page is None and not entry.content,
        fetched_at=fetched_at,
        updated=sane_time(entry.updated, fetched_at) or sane_time(page.updated if page else None, fetched_at),
        image_url=entry.image_url or (page.image_url if page else None),
    )


def article_from_page(source_id: int, link: str, page: Page, page_url: str, fetched_at: datetime) -> Article:
    """An article from a page added (or found in a folder) on its own; its id comes from `link`."""
    url = canonical_url(page.canonical_url or page_url)
    return Article(
        id=article_id(link),
        url=url,
        source_id=source_id,
        outlet=page.outlet or urlsplit(url).netloc or "local files",
        title=page.title or url,
        text=page.text,
        published=sane_time(page.published, fetched_at) or fetched_at,
        author=page.author,
        language=page.language,
        fetched_at=fetched_at,
        updated=sane_time(page.updated, fetched_at),
        image_url=page.image_url,
    )
