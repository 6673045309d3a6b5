"""Extracting an article's text and metadata from its HTML page (trafilatura)."""

from __future__ import annotations

from datetime import UTC, datetime

import trafilatura

from newsdesk.errors import ExtractError
from newsdesk.types import Page

MIN_WORDS = 20  # less than this is a navigation stub or an error page, not an article


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def extract_page(body: bytes | str, url: str) -> Page:
    """Main text and metadata of an article page; raises ExtractError when there is no text."""
    try:
        doc = trafilatura.bare_extraction(
            body,
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
    if len(text.split()) < MIN_WORDS:
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
        published=_date(doc.date),
        canonical_url=None,
        language=doc.language,
    )
