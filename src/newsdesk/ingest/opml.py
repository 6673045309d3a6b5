"""OPML import and export of the source list (lxml with its safe settings to read, ElementTree to write)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from lxml import etree

from newsdesk.errors import ParseError
from newsdesk.ingest.sitemaps import SAFE_XML
from newsdesk.types import Source


@dataclass(frozen=True)
class OpmlFeed:
    """One feed outline of an OPML file."""

    url: str  # xmlUrl
    title: str  # text or title attribute, or ""


def parse_opml(body: bytes, name: str = "OPML file") -> list[OpmlFeed]:
    """Every outline with an xmlUrl, at any depth of folders; raises ParseError when unreadable."""
    try:
        root = etree.fromstring(body, parser=SAFE_XML)
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"{name}: not a valid OPML file ({exc})") from None
    if root.tag != "opml":
        raise ParseError(f"{name}: not an OPML file (root element is <{root.tag}>)")
    feeds: list[OpmlFeed] = []
    seen: set[str] = set()
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if not url or url in seen:
            continue
        seen.add(url)
        feeds.append(OpmlFeed(url=url, title=(outline.get("text") or outline.get("title") or "").strip()))
    return feeds


def export_opml(sources: list[Source], title: str, at: datetime) -> str:
    """An OPML 2.0 document listing every feed source (pages and local folders are not feeds, so left out)."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(at)
    body = ET.SubElement(root, "body")
    for source in sources:
        if source.kind != "feed":
            continue
        label = source.title or source.url
        ET.SubElement(body, "outline", type="rss", text=label, title=label, xmlUrl=source.url)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
