"""Article pages: metadata (canonical URL, times with their zone, image, language) and charsets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from conftest import page
from newsdesk.errors import ExtractError
from newsdesk.ingest.decoding import declared_charset, decode_text
from newsdesk.ingest.pages import extract_page
from newsdesk.ingest.urls import canonical_url


def test_json_ld_and_time_elements() -> None:
    head = """<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
      {"@type": "WebSite", "name": "Site"},
      {"@type": ["NewsArticle"], "datePublished": "2026-11-03T22:30:00-08:00",
       "image": [{"@type": "ImageObject", "url": "https://cdn.test/a.jpg"}], "inLanguage": "en-US"}]}</script>
      <meta property="og:url" content="https://outlet.test/story/9?fbclid=abc">"""
    html = page("Metadata test", extra_head=head).replace(
        "<article>", "<article><time itemprop='dateModified' datetime='2026-11-04T09:00:00Z'>Nov 4</time>"
    )
    found = extract_page(html, "https://outlet.test/story/9?utm_medium=x")
    assert found.published == datetime(2026, 11, 4, 6, 30, tzinfo=UTC)  # the zone is kept, then made UTC
    assert found.updated == datetime(2026, 11, 4, 9, 0, tzinfo=UTC)
    assert found.image_url == "https://cdn.test/a.jpg"
    assert found.canonical_url == "https://outlet.test/story/9"  # og:url when there is no rel=canonical
    assert found.language == "en"  # <html lang> wins over JSON-LD


def test_page_without_dates_or_canonical() -> None:
    found = extract_page(page("Plain page"), "http://outlet.test/p")
    assert (found.canonical_url, found.updated, found.image_url) == (None, None, None)
    assert found.title == "Plain page" and "point 2" in found.text


def test_pages_too_big_to_be_articles_are_refused_quickly() -> None:
    rows = "".join(f"<li><a href='/{n}'>link {n}</a></li>" for n in range(40_000))
    with pytest.raises(ExtractError, match="page too large to extract"):
        extract_page(f"<html><body><ul>{rows}</ul></body></html>", "http://outlet.test/index")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Outlet.TEST/a?utm_source=rss&id=3&fbclid=x#comments", "http://outlet.test/a?id=3"),
        ("https://outlet.test/a?gclid=1&mc_cid=2&ref_src=twsrc", "https://outlet.test/a"),
        ("https://outlet.test", "https://outlet.test/"),
    ],
)
def test_canonical_urls_drop_tracking(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_charsets() -> None:
    french = "Le café est ouvert — «enfin», dit le maire. " * 20
    assert decode_text(french.encode("utf-8"), "text/html; charset=iso-8859-1") == french  # valid UTF-8 wins
    assert decode_text(french.encode("cp1252"), "text/html; charset=utf-8") == french  # the header lied
    assert decode_text(french.encode("cp1252"), "text/html; charset=latin-1") == french  # latin-1 read as cp1252
    assert decode_text(b"\xef\xbb\xbf" + french.encode("utf-8")) == french
    assert decode_text(french.encode("utf-16")) == french
    assert declared_charset(b"<meta charset='koi8-r'>", "text/html") == "koi8-r"
    assert declared_charset(b"", "text/html; charset=nonsense") is None
