"""Feeds out: RSS 2.0, Atom and JSON Feed for home, each topic, each entity and each search.

One item per story with an id that never changes (`urn:newsdesk:story:<id>`, independent of the
site's address), updated in place: its updated date moves when the story grows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from feedgen.feed import FeedGenerator
from starlette.responses import Response

from newsdesk.errors import NotFoundError
from newsdesk.types import StorySummary
from newsdesk.web.caching import cached_reply
from newsdesk.web.site import Filters, Site, only_entity, only_topic, story_filter, story_url

FEED_SIZE = 30  # stories per feed
MEDIA_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}


@dataclass(frozen=True)
class FeedSpec:
    """One feed: what it is called, where its page and itself live, and its stories."""

    title: str  # feed title
    description: str  # one line about it
    page_url: str  # absolute URL of the page it mirrors
    feed_url: str  # absolute URL of the feed itself
    base_url: str  # the site's address, for item links
    stories: Sequence[StorySummary]  # items, in feed order


def item_id(story_id: str) -> str:
    """The feed item id of a story, for life."""
    return f"urn:newsdesk:story:{story_id}"


def _updated(spec: FeedSpec) -> datetime:
    return max((s.updated_at for s in spec.stories), default=datetime(2000, 1, 1, tzinfo=UTC))


def _generator(spec: FeedSpec) -> FeedGenerator:
    feed = FeedGenerator()
    feed.id(spec.feed_url)
    feed.title(spec.title)
    feed.description(spec.description)
    feed.link(href=spec.feed_url, rel="self")
    feed.link(href=spec.page_url, rel="alternate")  # last, so RSS's single <link> is the page
    feed.language("en")
    feed.updated(_updated(spec))
    for story in spec.stories:
        entry = feed.add_entry(order="append")
        entry.id(item_id(story.id))
        entry.guid(item_id(story.id), permalink=False)
        entry.title(story.headline)
        entry.link(href=spec.base_url + story_url(story.id, story.headline))
        entry.summary(story.standfirst)
        entry.published(story.created_at)
        entry.updated(story.updated_at)
        if story.topic:
            entry.category(term=story.topic)
    return feed


def render_feed(spec: FeedSpec, fmt: str) -> bytes:
    """The feed in one format."""
    if fmt == "rss":
        return bytes(_generator(spec).rss_str(pretty=False))
    if fmt == "atom":
        return bytes(_generator(spec).atom_str(pretty=False))
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": spec.title,
        "description": spec.description,
        "home_page_url": spec.page_url,
        "feed_url": spec.feed_url,
        "language": "en",
        "items": [
            {
                "id": item_id(s.id),
                "url": spec.base_url + story_url(s.id, s.headline),
                "title": s.headline,
                "content_text": s.standfirst,
                "summary": s.standfirst,
                "date_published": s.created_at.astimezone(UTC).isoformat(),
                "date_modified": s.updated_at.astimezone(UTC).isoformat(),
                "tags": [s.topic] if s.topic else [],
            }
            for s in spec.stories
        ],
    }
    return json.dumps(document, ensure_ascii=False).encode()


def feed_routes(site: Site) -> APIRouter:
    """The feed endpoints of one site."""
    router = APIRouter(include_in_schema=False)
    desk, name = site.desk, site.settings.site_name

    def reply(request: Request, fmt: str, title: str, description: str, page: str, stories: list) -> Response:
        if fmt not in MEDIA_TYPES:
            raise NotFoundError(f"no feed format {fmt!r} (rss, atom or json)")
        base = site.base_url(request)
        query = f"?{request.url.query}" if request.url.query else ""
        spec = FeedSpec(title, description, base + page, base + request.url.path + query, base, stories)
        return cached_reply(request, render_feed(spec, fmt), MEDIA_TYPES[fmt], _updated(spec))

    @router.get("/feed.{fmt}")
    def home_feed(request: Request, fmt: str) -> Response:
        stories = desk.latest(limit=FEED_SIZE)
        return reply(request, fmt, name, f"Latest stories from {name}", "/", stories)

    @router.get("/topic/{slug}/feed.{fmt}")
    def topic_feed(request: Request, slug: str, fmt: str) -> Response:
        topic = desk.topic(slug)
        stories = desk.latest(story_filter(desk, only_topic(slug)), FEED_SIZE)
        return reply(request, fmt, f"{topic.name} · {name}", f"{topic.name} stories", f"/topic/{topic.slug}", stories)

    @router.get("/entity/{slug}/feed.{fmt}")
    def entity_feed(request: Request, slug: str, fmt: str) -> Response:
        entity = desk.entity(slug)
        stories = desk.latest(story_filter(desk, only_entity(slug)), FEED_SIZE)
        title = f"{entity.name} · {name}"
        return reply(request, fmt, title, f"Stories naming {entity.name}", f"/entity/{entity.slug}", stories)

    @router.get("/search/feed.{fmt}")
    def search_feed(
        request: Request,
        fmt: str,
        params: Filters,
        q: str = Query(..., min_length=1, max_length=200),
    ) -> Response:
        stories = [r.story for r in desk.search(q, story_filter(desk, params), limit=FEED_SIZE)]
        page = "/search?" + urlencode({k: v for k, v in request.query_params.items()})
        return reply(request, fmt, f"Search: {q} · {name}", f"Stories matching {q}", page, stories)

    return router
