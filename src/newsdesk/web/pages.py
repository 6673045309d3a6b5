"""The reading pages: home, story, topics, entities, search, about."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from newsdesk.errors import NotFoundError
from newsdesk.web.site import (
    Filters,
    Site,
    keyset_cursor,
    keyset_position,
    only_entity,
    only_topic,
    story_filter,
    story_url,
)
from newsdesk.web.views import story_page

PAGE_SIZE = 30  # stories per list page
TOP_COUNT = 12  # top stories on the first home page
TOPIC_BLOCK = 4  # stories per topic on the home page
SEARCH_PAGE = 20  # results per search page
MAX_SEARCH_PAGE = 25  # deeper search pages are refused: nobody reads them, crawlers do


def feed_links(base: str, query: dict[str, str] | None = None) -> dict[str, str]:
    """The three feed formats of a page whose feeds live under `base` (e.g. "/topic/world/")."""
    tail = "?" + urlencode(query) if query else ""
    return {"RSS": f"{base}feed.rss{tail}", "Atom": f"{base}feed.atom{tail}", "JSON Feed": f"{base}feed.json{tail}"}


def page_routes(site: Site) -> APIRouter:
    """The reading pages of one site."""
    router = APIRouter(include_in_schema=False)
    desk = site.desk

    @router.get("/")
    def home(request: Request, page: int = Query(1, ge=1, le=1000)) -> Response:
        if page > 1:
            offset = TOP_COUNT + (page - 2) * PAGE_SIZE
            stories = desk.top_stories(limit=PAGE_SIZE + 1, offset=offset)
            sections = []
        else:
            stories = desk.top_stories(limit=TOP_COUNT + 1)
            sections = [(t, desk.top_stories(limit=TOPIC_BLOCK, topic=t.name)) for t in desk.topics()]
        shown = stories[: PAGE_SIZE if page > 1 else TOP_COUNT]
        newest = max((s.updated_at for s in shown), default=None)
        context = {
            "stories": shown,
            "sections": sections,
            "page": page,
            "has_next": len(stories) > len(shown),
            "feeds": feed_links("/"),
        }
        return site.render(request, "home.html", context, last_modified=newest)

    @router.get("/story/{key}")
    def story(request: Request, key: str) -> Response:
        live = desk.live_story_id(key.split("-", 1)[0])
        if live is None:
            raise NotFoundError(f"no story {key}")
        view = story_page(desk, live)
        canonical = story_url(view.story.id, view.story.headline)
        if request.url.path != canonical:
            return RedirectResponse(canonical, status_code=301)
        return site.render(request, "story.html", {"view": view}, last_modified=view.story.updated_at)

    @router.get("/topics")
    def topics(request: Request) -> Response:
        return site.render(request, "topics.html", {"topics": desk.topics(), "entities": desk.entity_list()})

    @router.get("/topic/{slug}")
    def topic(request: Request, slug: str, before: str | None = None) -> Response:
        found = desk.topic(slug)
        stories = desk.latest(story_filter(desk, only_topic(slug)), PAGE_SIZE + 1, keyset_position(before))
        return _listing(site, request, found.name, "topic", stories, f"/topic/{found.slug}/")

    @router.get("/entity/{slug}")
    def entity(request: Request, slug: str, before: str | None = None) -> Response:
        found = desk.entity(slug)
        stories = desk.latest(story_filter(desk, only_entity(slug)), PAGE_SIZE + 1, keyset_position(before))
        return _listing(site, request, found.name, "entity", stories, f"/entity/{found.slug}/")

    @router.get("/search")
    def search(
        request: Request,
        params: Filters,
        q: str = Query("", max_length=200),
        page: int = Query(1, ge=1, le=MAX_SEARCH_PAGE),
    ) -> Response:
        offset = (page - 1) * SEARCH_PAGE
        results = desk.search(q, story_filter(desk, params), limit=SEARCH_PAGE + 1, offset=offset)
        context = {
            "q": q,
            "query": {"q": q, **params.as_query()},
            "results": results[:SEARCH_PAGE],
            "page": page,
            "has_next": len(results) > SEARCH_PAGE and page < MAX_SEARCH_PAGE,
            "topics": desk.topics(),
            "outlets": desk.outlets(),
            "feeds": feed_links("/search/", {"q": q, **params.as_query()}) if q else {},
        }
        return site.render(request, "search.html", context)

    @router.get("/about")
    def about(request: Request) -> Response:
        stats = {"stories": desk.store.count_stories(), "articles": desk.store.count_articles()}
        return site.render(request, "about.html", {"stats": stats, "sources": len(desk.sources())})

    return router


def _listing(site: Site, request: Request, title: str, kind: str, stories: list, feed_base: str) -> Response:
    shown = stories[:PAGE_SIZE]
    last = shown[-1] if len(stories) > PAGE_SIZE else None
    context = {
        "title": title,
        "kind": kind,
        "stories": shown,
        "next_cursor": keyset_cursor(last.updated_at, last.id) if last else None,
        "feeds": feed_links(feed_base),
    }
    newest = max((s.updated_at for s in shown), default=None)
    return site.render(request, "listing.html", context, last_modified=newest)
