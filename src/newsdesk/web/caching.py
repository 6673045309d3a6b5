"""HTTP caching: ETag and Last-Modified on every page, feed and API reply, answering 304 when nothing changed."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from starlette.requests import Request
from starlette.responses import Response

PAGE_MAX_AGE = 60  # seconds a browser or proxy may reuse a page or feed without asking again


def etag_of(body: bytes) -> str:
    """A strong ETag for a body."""
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def _not_modified(request: Request, etag: str, last_modified: datetime | None) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:  # RFC 9110: when both are sent, If-None-Match decides
        offered = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return etag in offered or "*" in offered
    since = request.headers.get("if-modified-since")
    if since and last_modified is not None:
        try:
            when = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return last_modified.replace(microsecond=0) <= when
    return False


def cached_reply(
    request: Request,
    body: bytes,
    media_type: str,
    last_modified: datetime | None = None,
    max_age: int = PAGE_MAX_AGE,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The reply with validators and cache headers, or an empty 304 when the client's copy is current."""
    etag = etag_of(body)
    extra = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}", "Vary": "Accept-Encoding"}
    if last_modified is not None:
        extra["Last-Modified"] = format_datetime(last_modified.astimezone(UTC), usegmt=True)
    extra.update(headers or {})
    if request.method in ("GET", "HEAD") and _not_modified(request, etag, last_modified):
        return Response(status_code=304, headers=extra)
    return Response(body, media_type=media_type, headers=extra)
