"""OPML: the feed lists that readers export and import."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.sax.saxutils import quoteattr

from newsdesk.errors import ParseError
from newsdesk.types import Source


def parse_opml(text: str | bytes) -> list[str]:
    """Feed URLs of an OPML document (every outline with an http(s) xmlUrl), in document order, once each.

    The standard library's parser is enough: OPML is flat, and expat refuses entity expansion bombs."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ParseError(f"not an OPML document: {exc}") from None
    if root.tag.lower() != "opml":
        raise ParseError(f"not an OPML document: the root element is <{root.tag}>")
    urls: list[str] = []
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if url.startswith(("http://", "https://")) and url not in urls:
            urls.append(url)
    return urls


def write_opml(sources: list[Source], title: str) -> str:
    """An OPML document listing these sources."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        f"<head><title>{_text(title)}</title></head>",
        "<body>",
    ]
    for source in sources:
        name = quoteattr(source.title or source.url)
        lines.append(f'<outline type="rss" text={name} title={name} xmlUrl={quoteattr(source.url)}/>')
    lines += ["</body>", "</opml>"]
    return "\n".join(lines) + "\n"


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
