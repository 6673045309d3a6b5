"""What every page shares: the desk, the templates with their helpers, URLs, and rendering with caching."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response

from newsdesk.desk import Desk
from newsdesk.errors import NewsdeskError, NotFoundError
from newsdesk.publish.slugs import slugify
from newsdesk.types import MATCH_END, MATCH_START, StoryFilter
from newsdesk.web.caching import cached_reply
from newsdesk.web.security import Csrf, safe_url

HERE = Path(__file__).resolve().parent


class CursorError(NewsdeskError):
    """A pagination cursor that we did not hand out."""


def story_url(story_id: str, headline: str) -> str:
    """The clean URL of a story."""
    slug = slugify(headline) or "story"
    return f"/story/{story_id}-{slug}"


def topic_url(slug: str) -> str:
    """The URL of a topic page."""
    return f"/topic/{slug}"


def entity_url(slug: str) -> str:
    """The URL of an entity page."""
    return f"/entity/{slug}"


def marked(snippet: str) -> Markup:
    """A search snippet as HTML: the text escaped, its matches in <mark>."""
    html = str(escape(snippet))
    html = re.sub(f"{MATCH_START}(.*?){MATCH_END}", r"<mark>\1</mark>", html, flags=re.S)
    return Markup(html.replace(MATCH_START, "").replace(MATCH_END, ""))


def plain(snippet: str) -> str:
    """A search snippet without its match marks."""
    return snippet.replace(MATCH_START, "").replace(MATCH_END, "")


def encode_cursor(value: Any) -> str:
    """An opaque cursor for a page position."""
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Any:
    """The position inside a cursor; raises CursorError."""
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise CursorError("the cursor is not one this site handed out") from None


def keyset_cursor(updated_at: datetime, story_id: str) -> str:
    """A cursor for "stories before this one" in freshest-first lists."""
    return encode_cursor([updated_at.isoformat(), story_id])


def keyset_position(cursor: str | None) -> tuple[datetime, str] | None:
    """The (updated_at, id) inside a keyset cursor; raises CursorError."""
    if not cursor:
        return None
    value = decode_cursor(cursor)
    try:
        stamp, story_id = value
        return datetime.fromisoformat(stamp), str(story_id)
    except (TypeError, ValueError):
        raise CursorError("the cursor is not one this site handed out") from None


def offset_position(cursor: str | None) -> int:
    """The offset inside an offset cursor; raises CursorError."""
    if not cursor:
        return 0
    value = decode_cursor(cursor)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10_000:
        raise CursorError("the cursor is not one this site handed out")
    return value


class Site:
    """The desk plus what pages need to render: templates, settings, CSRF, cached navigation."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.settings = desk.settings
        self.csrf = Csrf(desk.settings)
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.templates.env.globals.update(
            site_name=self.settings.site_name,
            site_logo=self.settings.site_logo,
            story_url=story_url,
            topic_url=topic_url,
            entity_url=entity_url,
            nav_topics=desk.topics,
        )
        self.templates.env.filters.update(safe_url=safe_url, marked=marked, plain=plain)

    def base_url(self, request: Request) -> str:
        """The site's public address: the site_url setting, else the address this request came to."""
        return (self.settings.site_url or str(request.base_url)).rstrip("/")

    def render(
        self,
        request: Request,
        template: str,
        context: dict[str, Any],
        status_code: int = 200,
        last_modified: datetime | None = None,
    ) -> Response:
        """A page: 200 pages get validators and may be answered with 304; others are sent as they are."""
        context = {"base_url": self.base_url(request), "path": request.url.path, **context}
        html = self.templates.get_template(template).render({"request": request, **context})
        if status_code != 200:
            return Response(html, status_code=status_code, media_type="text/html; charset=utf-8")
        return cached_reply(request, html.encode(), "text/html; charset=utf-8", last_modified)


class FilterError(NewsdeskError):
    """A filter value (topic, date) that cannot be used."""


@dataclass(frozen=True)
class FilterParams:
    """Story filters as given in a URL: a topic slug, an entity slug, an outlet name, dates from and to."""

    topic: str  # topic slug, or ""
    entity: str  # entity slug, or ""
    outlet: str  # outlet name, or ""
    since: str  # YYYY-MM-DD, or "" (parameter `from`)
    until: str  # YYYY-MM-DD, or "" (parameter `to`)

    def as_query(self) -> dict[str, str]:
        """The filters as URL parameters, empty ones left out."""
        query = {
            "topic": self.topic,
            "entity": self.entity,
            "outlet": self.outlet,
            "from": self.since,
            "to": self.until,
        }
        return {key: value for key, value in query.items() if value}


_DATE = r"^(\d{4}-\d{2}-\d{2})?$"  # a date, or nothing


def filter_params(
    topic: str = Query("", max_length=100, description="topic slug, e.g. world"),
    entity: str = Query("", max_length=100, description="entity slug"),
    outlet: str = Query("", max_length=200, description="outlet name"),
    since: str = Query("", max_length=10, alias="from", description="updated on or after, YYYY-MM-DD", pattern=_DATE),
    until: str = Query("", max_length=10, alias="to", description="updated on or before, YYYY-MM-DD", pattern=_DATE),
) -> FilterParams:
    """The filter parameters of a request (a FastAPI dependency)."""
    return FilterParams(topic, entity, outlet, since, until)


Filters = Annotated[FilterParams, Depends(filter_params)]


def story_filter(desk: Desk, params: FilterParams) -> StoryFilter:
    """The store's filter for URL filters; raises FilterError."""
    topic_name = ""
    if params.topic:
        try:
            topic_name = desk.topic(params.topic).name
        except NotFoundError:
            raise FilterError(f"no topic {params.topic!r}") from None
    return StoryFilter(
        topic=topic_name,
        entity=params.entity,
        outlet=params.outlet,
        since=_day(params.since, "from"),
        until=_day(params.until, "to", next_day=True),
    )


def only_topic(slug: str = "") -> FilterParams:
    """Filter parameters for one topic (or none)."""
    return FilterParams(slug, "", "", "", "")


def only_entity(slug: str) -> FilterParams:
    """Filter parameters for one entity."""
    return FilterParams("", slug, "", "", "")


def _day(value: str | None, name: str, next_day: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise FilterError(f"{name}: {value!r} is not a date like 2026-11-20") from None
    return day + timedelta(days=1) if next_day else day  # "to" includes the whole day
