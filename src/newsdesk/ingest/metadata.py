"""An article page's metadata that trafilatura does not keep exactly: canonical URL, image, language, and
publication and update times to the second with their timezone (trafilatura keeps only the date).

Read from <link rel=canonical>, Open Graph / article: / twitter: / Dublin Core <meta> tags, schema.org JSON-LD
and <time> elements. Hand-written because no maintained library reads all of these without re-parsing the page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from newsdesk.ingest.entries import iso_time

_PUBLISHED = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "date",
    "parsely-pub-date",
    "sailthru.date",
)
_UPDATED = ("article:modified_time", "og:updated_time", "datemodified", "dcterms.modified", "last-modified")
_IMAGE = ("og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src")
_ARTICLE_TYPES = ("article", "newsarticle", "reportagenewsarticle", "blogposting", "webpage", "report")


@dataclass(frozen=True)
class PageMetadata:
    """What a page's head says about the article."""

    canonical_url: str | None  # rel=canonical, else og:url (absolute)
    published: datetime | None  # publication time (UTC)
    updated: datetime | None  # last-modified time (UTC)
    image_url: str | None  # main image (absolute)
    language: str | None  # language code (from <html lang>, Content-Language or og:locale)


def parse_time(value: object) -> datetime | None:
    """A UTC time from an ISO 8601 or RFC 2822 string; None when unreadable."""
    found = iso_time(value)
    if found is not None or not isinstance(value, str):
        return found
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _meta(tree: etree._Element) -> dict[str, str]:
    """<meta> values by lower-case property/name/itemprop/http-equiv (first one wins)."""
    found: dict[str, str] = {}
    for tag in tree.iter("meta"):
        key = tag.get("property") or tag.get("name") or tag.get("itemprop") or tag.get("http-equiv") or ""
        value = (tag.get("content") or "").strip()
        if key and value:
            found.setdefault(key.strip().lower(), value)
    return found


def _json_ld(tree: etree._Element) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object that describes an article (graphs flattened)."""
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except (ValueError, RecursionError):
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop(0)
            if not isinstance(item, dict):
                continue
            stack.extend(item.get("@graph") or [])
            kinds = item.get("@type") or ""
            kinds = [kinds] if isinstance(kinds, str) else kinds if isinstance(kinds, list) else []
            if any(str(k).lower() in _ARTICLE_TYPES for k in kinds):
                yield item


def _ld_image(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    return value if isinstance(value, str) and value.strip() else None


def _first_time(*candidates: object) -> datetime | None:
    for value in candidates:
        found = parse_time(value)
        if found is not None:
            return found
    return None


def _times(tree: etree._Element, meta: dict[str, str], keys: tuple[str, ...], ld: list[Any], prop: str) -> list[Any]:
    """Candidate values for one time, best first: <meta>, JSON-LD, <time itemprop>."""
    marked = [t.get("datetime") for t in tree.iter("time") if t.get("itemprop") == prop]
    return [meta.get(k) for k in keys] + ld + marked


def _absolute(url: str, href: str | None) -> str | None:
    if not href or href.strip().startswith("data:"):
        return None
    found = urljoin(url, href.strip())
    return found if found.startswith(("http://", "https://", "file://")) else None


def page_metadata(tree: etree._Element, url: str) -> PageMetadata:
    """Metadata of a parsed HTML page fetched from `url`."""
    meta = _meta(tree)
    articles = list(_json_ld(tree))
    canonical = None
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split():
            canonical = _absolute(url, link.get("href"))
            break
    image = next((meta[k] for k in _IMAGE if meta.get(k)), None)
    image = image or next((_ld_image(a.get("image")) for a in articles if _ld_image(a.get("image"))), None)
    language = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    language = language or meta.get("content-language") or meta.get("og:locale", "").replace("_", "-")
    language = language or next((str(a["inLanguage"]) for a in articles if isinstance(a.get("inLanguage"), str)), "")
    return PageMetadata(
        canonical_url=canonical or _absolute(url, meta.get("og:url")),
        published=_first_time(
            *_times(tree, meta, _PUBLISHED, [a.get("datePublished") for a in articles], "datePublished")
        ),
        updated=_first_time(*_times(tree, meta, _UPDATED, [a.get("dateModified") for a in articles], "dateModified")),
        image_url=_absolute(url, image),
        language=language.strip().split(",")[0].strip() or None,
    )
