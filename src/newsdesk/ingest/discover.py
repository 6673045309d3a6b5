"""Feed autodiscovery: the feeds a site's page announces with <link rel="alternate" type="...">."""

from __future__ import annotations

from urllib.parse import urljoin

import lxml.html
from lxml import etree

from newsdesk.ingest.decoding import decode_text
from newsdesk.ingest.fetch import Response

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
)


def discover_feeds(html: str, url: str) -> list[str]:
    """Absolute URLs of the feeds a page links as alternates, best format first, without repeats."""
    try:
        tree = lxml.html.document_fromstring(html.encode("utf-8", errors="replace"))
    except (etree.ParserError, ValueError):
        return []
    base = next((b.get("href") for b in tree.iter("base") if b.get("href")), None) or url
    found: list[tuple[int, int, str]] = []
    for position, link in enumerate(tree.iter("link")):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        href = (link.get("href") or "").strip()
        if "alternate" in rel and kind in FEED_TYPES and href:
            absolute = urljoin(urljoin(url, base), href)
            if absolute.startswith(("http://", "https://")):
                found.append((FEED_TYPES.index(kind), position, absolute))
    urls: list[str] = []
    for _, _, absolute in sorted(found):
        if absolute not in urls:
            urls.append(absolute)
    return urls


def looks_like_html(body: bytes, content_type: str) -> bool:
    """True for an HTML page (by its Content-Type, or its first bytes when the type is vague)."""
    if "html" in content_type.lower():
        return True
    head = body.lstrip()[:512].lower()
    return head.startswith(b"<!doctype html") or b"<html" in head


def feed_links(reply: Response) -> list[str]:
    """The feeds a fetched HTML page links; [] for anything else."""
    if not looks_like_html(reply.body, reply.content_type):
        return []
    return discover_feeds(decode_text(reply.body, reply.content_type), reply.url)
