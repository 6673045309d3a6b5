"""Extracting an article's text and metadata from its HTML page (trafilatura, plus our metadata reader)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urljoin

import lxml.html
import trafilatura
from lxml import etree

from newsdesk.errors import ExtractError
from newsdesk.ingest.decoding import decode_text
from newsdesk.ingest.metadata import page_metadata
from newsdesk.ingest.urls import canonical_url
from newsdesk.types import Page

MIN_WORDS = 20  # less than this is a navigation stub or an error page, not an article
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")  # Chinese, Japanese
MAX_ELEMENTS = 60_000  # past this (after scripts and styles go) extraction takes seconds: not an article page
_NOISE = ("style", "noscript", "svg", "template", "iframe", "object", "canvas")
# huge_tree lifts libxml2's 10 MB buffer limit; the response size cap already bounds what reaches here
_PARSER = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, huge_tree=True)


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _word_count(text: str) -> int:
    """Words, counting two characters as a word in scripts written without spaces."""
    return len(text.split()) + len(_UNSPACED.findall(text)) // 2


def _parse(html: str, url: str) -> etree._Element:
    try:
        tree = lxml.html.document_fromstring(html.encode("utf-8", errors="replace"), parser=_PARSER)
    except (etree.ParserError, ValueError):
        raise ExtractError(f"{url}: not an HTML page (nothing to read)") from None
    if not isinstance(tree, lxml.html.HtmlElement):
        raise ExtractError(f"{url}: not an HTML page (nothing to read)")
    return tree


def _strip_bloat(tree: etree._Element) -> None:
    """Drop what is never article text: inline scripts (except JSON-LD), styles, SVG, inline data images."""
    etree.strip_elements(tree, *_NOISE, with_tail=False)
    for script in list(tree.iter("script")):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            script.drop_tree()
    for image in tree.iter("img", "source"):
        for attribute in ("src", "srcset"):
            if (image.get(attribute) or "").lstrip().startswith("data:"):
                del image.attrib[attribute]


def extract_page(body: bytes | str, url: str, content_type: str = "") -> Page:
    """Main text and metadata of an article page; raises ExtractError when there is no text."""
    html = body if isinstance(body, str) else decode_text(body, content_type)
    tree = _parse(html, url)
    meta = page_metadata(tree, url)
    _strip_bloat(tree)
    size = sum(1 for _ in tree.iter())
    if size > MAX_ELEMENTS:
        raise ExtractError(f"{url}: page too large to extract ({size} elements)")
    try:
        doc = trafilatura.bare_extraction(
            tree,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            favor_precision=True,
            as_dict=False,
        )
    except Exception as exc:  # trafilatura raises assorted lxml/value errors on hostile input
        raise ExtractError(f"{url}: cannot extract the page ({type(exc).__name__})") from None
    if doc is None or isinstance(doc, dict):
        raise ExtractError(f"{url}: no article text found on the page")
    text = (doc.text or "").strip()
    if _word_count(text) < MIN_WORDS:
        raise ExtractError(f"{url}: no article text found on the page")
    paragraphs = [p.strip() for p in text.splitlines() if p.strip()]
    title = (doc.title or "").strip()
    if paragraphs and title and " ".join(paragraphs[0].split()) == " ".join(title.split()):
        paragraphs = paragraphs[1:]  # trafilatura keeps the page's <h1>, which repeats the headline
    return Page(
        title=title,
        text="\n\n".join(paragraphs),
        outlet=(doc.sitename or "").strip(),
        author=(doc.author or "").strip(),
        published=meta.published or _date(doc.date),
        canonical_url=canonical_url(meta.canonical_url) if meta.canonical_url else None,
        language=meta.language or doc.language,
        updated=meta.updated,
        image_url=meta.image_url or (urljoin(url, doc.image) if doc.image else None),
    )
