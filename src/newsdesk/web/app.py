"""The web app: server-rendered pages, feeds and a JSON API over one Desk (FastAPI + Jinja2)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import Scope
from threadpoolctl import threadpool_limits

from newsdesk.desk import Desk
from newsdesk.errors import NewsdeskError, NotFoundError, ParseError, SettingsError
from newsdesk.web.admin import admin_routes
from newsdesk.web.api import api_routes
from newsdesk.web.caching import cached_reply
from newsdesk.web.feeds_out import feed_routes
from newsdesk.web.pages import page_routes
from newsdesk.web.security import RateLimited, RateLimits, SecurityHeaders
from newsdesk.web.site import HERE, CursorError, FilterError, Site, story_url

__all__ = ["create_app", "story_url"]

log = logging.getLogger("newsdesk.web")
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
CODES |= {409: "conflict", 413: "too_large", 429: "rate_limited", 500: "internal_error"}
MESSAGES = {404: "There is no such page.", 429: "Too many requests: please wait a moment.", 500: "Something broke."}


def _status_of(exc: NewsdeskError) -> int:
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, (CursorError, FilterError, SettingsError, ParseError)):
        return 400
    return 500


def create_app(desk: Desk) -> FastAPI:
    """The site for one desk."""
    # the server answers many requests at once: BLAS threads (search by meaning) would only fight them
    # for the cores (measured: one thread makes a 100,000-story search by meaning twice as fast under load)
    threadpool_limits(1, user_api="blas")
    site = Site(desk)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Page and API handlers are sync and run in anyio's thread pool (40 threads by default). Under a burst,
        # 40 threads taking turns on the interpreter lock cost more CPU per request than they serve, so the
        # queue grows faster than it drains; a few threads keep SQLite's waits overlapped without that.
        anyio.to_thread.current_default_thread_limiter().total_tokens = desk.settings.web_threads
        yield

    app = FastAPI(
        lifespan=lifespan,
        title=f"{desk.settings.site_name} API",
        version="1",
        description="Stories merged from many outlets, with sourced briefings. Errors are "
        '`{"error": {"status", "code", "message"}}`; lists page with `next_cursor`.',
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(page_routes(site))
    app.include_router(feed_routes(site))
    app.include_router(admin_routes(site))
    app.include_router(api_routes(site))

    def error(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        if request.url.path.startswith("/api/"):
            body = {"error": {"status": status, "code": CODES.get(status, "error"), "message": message}}
            return JSONResponse(body, status_code=status, headers=headers)
        page = MESSAGES[500] if status >= 500 else message
        reply = site.render(request, "error.html", {"status": status, "message": page}, status_code=status)
        reply.headers.update(headers or {})
        return reply

    @app.exception_handler(HTTPException)
    def http_error(request: Request, exc: HTTPException) -> Response:
        return error(request, exc.status_code, str(exc.detail), dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        return error(request, 400, problems)

    @app.exception_handler(NewsdeskError)
    def desk_error(request: Request, exc: NewsdeskError) -> Response:
        status = _status_of(exc)
        if status == 500:
            log.error("error on %s: %s", request.url.path, exc)
            return error(request, 500, MESSAGES[500])
        return error(request, status, str(exc))

    @app.exception_handler(Exception)
    def crash(request: Request, exc: Exception) -> Response:
        log.error("unexpected error on %s", request.url.path, exc_info=exc)  # the trace stays in the log
        return error(request, 500, MESSAGES[500])

    @app.get("/theme.css", include_in_schema=False)
    def theme(request: Request) -> Response:
        css = f":root {{ --accent: {desk.settings.accent_colour}; --bg: {desk.settings.background_colour}; }}\n"
        return cached_reply(request, css.encode(), "text/css; charset=utf-8", max_age=3600)

    def too_many(scope: Scope, retry: int) -> Response:
        return error(Request(scope), 429, MESSAGES[429], {"Retry-After": str(retry)})

    app.add_middleware(RateLimited, limits=RateLimits(desk.settings), refuse=too_many)
    app.add_middleware(SecurityHeaders, settings=desk.settings)  # outermost: 429 replies get the headers too
    return app
