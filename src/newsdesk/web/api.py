"""The JSON API under /api/: stories, topics, entities, search and sources (writes need the admin token)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import Response

from newsdesk.errors import NotFoundError
from newsdesk.web.api_models import (
    EntityItem,
    EntityList,
    ErrorReply,
    NewSource,
    SearchItem,
    SearchList,
    SourceItem,
    SourceList,
    StoryDetail,
    StoryItem,
    StoryList,
    TopicItem,
    TopicList,
)
from newsdesk.web.caching import cached_reply
from newsdesk.web.security import admin_token_ok, bearer_token
from newsdesk.web.site import (
    Filters,
    Site,
    encode_cursor,
    keyset_cursor,
    keyset_position,
    offset_position,
    only_topic,
    story_filter,
)
from newsdesk.web.views import story_page

API_MAX_AGE = 30  # seconds clients may reuse a read reply
ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorReply, "description": "a parameter is not valid"},
    404: {"model": ErrorReply, "description": "no such thing"},
    429: {"model": ErrorReply, "description": "too many requests from this client; see Retry-After"},
}
WRITE_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorReply, "description": "missing or wrong admin token"},
    403: {"model": ErrorReply, "description": "writes are disabled (no admin token is set)"},
    409: {"model": ErrorReply, "description": "it exists already"},
}
Limit = Query(20, ge=1, le=100, description="items per page")
Cursor = Query(None, max_length=200, pattern=r"^[A-Za-z0-9_-]+$", description="next_cursor of the previous page")


def _json(request: Request, document: BaseModel, last_modified: datetime | None = None) -> Response:
    body = document.model_dump_json().encode()
    return cached_reply(request, body, "application/json", last_modified, max_age=API_MAX_AGE)


def api_routes(site: Site) -> APIRouter:
    """The API of one site."""
    router = APIRouter(prefix="/api", responses=ERRORS)
    desk, settings = site.desk, site.settings

    def require_admin(authorization: str | None = Header(None, description="Bearer <admin token>")) -> None:
        if not settings.admin_token:
            raise HTTPException(403, "writes are disabled: set admin_token in the settings")
        if not admin_token_ok(settings, bearer_token(authorization)):
            raise HTTPException(401, "missing or wrong admin token (send Authorization: Bearer <token>)")

    @router.get("/stories", response_model=StoryList, summary="Stories, freshest first, with filters")
    def stories(request: Request, params: Filters, limit: int = Limit, cursor: str | None = Cursor) -> Response:
        found = desk.latest(story_filter(desk, params), limit + 1, keyset_position(cursor))
        page, more = found[:limit], len(found) > limit
        next_cursor = keyset_cursor(page[-1].updated_at, page[-1].id) if more else None
        document = StoryList(stories=[StoryItem.of(s) for s in page], next_cursor=next_cursor)
        return _json(request, document, max((s.updated_at for s in page), default=None))

    @router.get("/top", response_model=StoryList, summary="Top stories, as on the home page")
    def top(
        request: Request,
        topic: str = Query("", max_length=100, description="topic slug"),
        limit: int = Limit,
        cursor: str | None = Cursor,
    ) -> Response:
        offset = offset_position(cursor)
        name = story_filter(desk, only_topic(topic)).topic
        found = desk.top_stories(limit + 1, offset, topic=name)
        page = found[:limit]
        next_cursor = encode_cursor(offset + limit) if len(found) > limit and offset + limit <= 10_000 else None
        document = StoryList(stories=[StoryItem.of(s) for s in page], next_cursor=next_cursor)
        return _json(request, document, max((s.updated_at for s in page), default=None))

    @router.get(
        "/stories/{story_id}",
        response_model=StoryDetail,
        summary="One story with its briefing, coverage and related stories",
        responses={301: {"description": "the story was merged into another; Location has its address"}},
    )
    def story(request: Request, story_id: str) -> Response:
        live = desk.live_story_id(story_id)
        if live is None:
            raise NotFoundError(f"no story {story_id}")
        if live != story_id:
            return RedirectResponse(f"/api/stories/{live}", status_code=301)
        view = story_page(desk, live)
        return _json(request, StoryDetail.of_page(view, desk.story_entities(live)), view.story.updated_at)

    @router.get("/topics", response_model=TopicList, summary="Topics with their story counts")
    def topics(request: Request) -> Response:
        return _json(request, TopicList(topics=[TopicItem.of(t) for t in desk.topics()]))

    @router.get("/entities", response_model=EntityList, summary="Entities named in stories, most stories first")
    def entities(request: Request, limit: int = Query(100, ge=1, le=1000)) -> Response:
        return _json(request, EntityList(entities=[EntityItem.of(e) for e in desk.entities(limit)]))

    @router.get("/entities/{slug}", response_model=EntityItem, summary="One entity")
    def entity(request: Request, slug: str) -> Response:
        return _json(request, EntityItem.of(desk.entity(slug)))

    @router.get("/search", response_model=SearchList, summary="Search by wording and meaning, in one ranking")
    def search(
        request: Request,
        params: Filters,
        q: str = Query(..., min_length=1, max_length=200, description="what to look for"),
        limit: int = Limit,
        cursor: str | None = Cursor,
    ) -> Response:
        offset = offset_position(cursor)
        found = desk.search(q, story_filter(desk, params), limit + 1, offset)
        page = found[:limit]
        next_cursor = encode_cursor(offset + limit) if len(found) > limit and offset + limit <= 10_000 else None
        results = [SearchItem.of(r.story, r.snippet, r.score, r.by_text, r.by_meaning) for r in page]
        return _json(request, SearchList(results=results, next_cursor=next_cursor))

    @router.get("/sources", response_model=SourceList, summary="Sources with their health")
    def sources(request: Request) -> Response:
        return _json(request, SourceList(sources=[SourceItem.of(s) for s in desk.sources()]))

    @router.post(
        "/sources",
        status_code=201,
        response_model=SourceItem,
        summary="Add a source (admin token)",
        dependencies=[Depends(require_admin)],
        responses=WRITE_ERRORS,
    )
    def add_source(new: NewSource) -> SourceItem:
        if desk.store.find_source(new.url.strip()) is not None:
            raise HTTPException(409, f"{new.url.strip()} is already a source")
        return SourceItem.of(desk.add_source(new.url, local=False))

    @router.delete(
        "/sources/{source_id}",
        response_model=SourceItem,
        summary="Stop polling a source; its articles stay (admin token)",
        dependencies=[Depends(require_admin)],
        responses=WRITE_ERRORS,
    )
    def remove_source(source_id: int) -> SourceItem:
        return SourceItem.of(desk.remove_source(str(source_id)))

    @router.post(
        "/sources/opml",
        response_model=SourceList,
        summary="Import the feeds of an OPML document; returns those added (admin token)",
        dependencies=[Depends(require_admin)],
        responses=WRITE_ERRORS,
    )
    async def import_opml(
        opml: str = Body(..., media_type="text/x-opml", max_length=1_000_000, description="an OPML document"),
    ) -> SourceList:
        before = {s.id for s in desk.sources()}
        await run_in_threadpool(desk.import_opml, opml.encode("utf-8"), "OPML document")
        return SourceList(sources=[SourceItem.of(s) for s in desk.sources() if s.id not in before])

    return router
