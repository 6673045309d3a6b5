"""The web app: server-rendered pages over a Desk (FastAPI + Jinja2)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from newsdesk.desk import Desk
from newsdesk.errors import NotFoundError
from newsdesk.web.slugs import slugify
from newsdesk.web.views import story_page

HERE = Path(__file__).resolve().parent
PAGE_SIZE = 30


def story_url(story_id: str, headline: str) -> str:
    """The clean URL of a story."""
    slug = slugify(headline) or "story"
    return f"/story/{story_id}-{slug}"


def create_app(desk: Desk) -> FastAPI:
    """The site for one desk."""
    app = FastAPI(title=desk.settings.site_name, docs_url=None, redoc_url=None)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(site_name=desk.settings.site_name, story_url=story_url)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request, page: int = 1) -> Response:
        page = max(1, page)
        stories = desk.stories(limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
        return templates.TemplateResponse(
            request,
            "home.html",
            {"stories": stories[:PAGE_SIZE], "page": page, "has_next": len(stories) > PAGE_SIZE},
        )

    @app.get("/story/{key}", response_class=HTMLResponse)
    def story(request: Request, key: str) -> Response:
        story_id = key.split("-", 1)[0]
        live = desk.live_story_id(story_id)
        if live is None:
            return templates.TemplateResponse(request, "not_found.html", {}, status_code=404)
        try:
            view = story_page(desk, live)
        except NotFoundError:
            return templates.TemplateResponse(request, "not_found.html", {}, status_code=404)
        canonical = story_url(view.story.id, view.story.headline)
        if request.url.path != canonical:
            return RedirectResponse(canonical, status_code=301)
        return templates.TemplateResponse(request, "story.html", {"view": view})

    @app.exception_handler(404)
    def not_found(request: Request, exc: Exception) -> Response:
        return templates.TemplateResponse(request, "not_found.html", {}, status_code=404)

    return app
