"""Feed parsing: every format's fixture beside the JSON it must parse to, and the ways feeds go wrong."""

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from newsdesk.errors import ParseError
from newsdesk.ingest.entries import ParsedFeed
from newsdesk.ingest.feeds import parse_feed

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
FORMATS = [
    ("rss090.rdf", ""),  # RSS 0.90 (RDF, Netscape's namespace)
    ("rss091.xml", ""),  # RSS 0.91 with the Netscape DOCTYPE, ISO-8859-1
    ("rss092.xml", ""),  # RSS 0.92 with an image enclosure
    ("rss10.rdf", ""),  # RSS 1.0 (RDF) with dc: dates and content:encoded full text, sy:updatePeriod
    ("rss.xml", ""),  # RSS 2.0: tracking parameters, a repeated guid, an item without a link, a relative link
    ("rss20_full.xml", ""),  # RSS 2.0: full text, ttl, media:content, a teaser, an unreadable date
    ("atom.xml", ""),  # Atom 1.0
    ("atom_lang.xml", ""),  # Atom with xml:lang, a relative link, an image enclosure, offsets in times
    ("feed.json", "application/feed+json"),  # JSON Feed 1.1
    ("jsonfeed10.json", "application/json"),  # JSON Feed 1.0: author object, full content_html, image
    ("news_sitemap.xml", "application/xml"),  # Google News sitemap (and a plain entry that is not news)
    ("sitemap_index.xml", "application/xml"),  # a sitemap index: its most recent child sitemaps
]


def as_json(parsed: ParsedFeed) -> dict[str, object]:
    """A parsed feed as plain JSON values (times as ISO 8601 text)."""
    entries = []
    for entry in parsed.entries:
        row = asdict(entry)
        for key in ("published", "updated"):
            row[key] = row[key].isoformat() if row[key] else None
        entries.append(row)
    return {
        "title": parsed.title,
        "language": parsed.language,
        "hint_minutes": parsed.hint_minutes,
        "sitemaps": list(parsed.sitemaps),
        "notes": list(parsed.notes),
        "entries": entries,
    }


@pytest.mark.parametrize(("name", "content_type"), FORMATS)
def test_feed_parses_to_expected(name: str, content_type: str) -> None:
    parsed = parse_feed((FEEDS / name).read_bytes(), "http://example.test/feed", content_type)
    expected = json.loads((FEEDS / (name.rsplit(".", 1)[0] + ".expected.json")).read_text())
    assert as_json(parsed) == expected


def test_times_are_utc_and_timezone_aware() -> None:
    for name, content_type in FORMATS:
        for entry in parse_feed((FEEDS / name).read_bytes(), "http://example.test/feed", content_type).entries:
            for moment in (entry.published, entry.updated):
                assert moment is None or (moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0)


def test_broken_xml_is_one_clear_error() -> None:
    with pytest.raises(ParseError, match="not a valid feed"):
        parse_feed((FEEDS / "broken.xml").read_bytes(), "http://example.test/broken.xml")


def test_html_page_is_not_a_feed() -> None:
    with pytest.raises(ParseError, match="not a feed"):
        parse_feed((FEEDS / "not_a_feed.html").read_bytes(), "http://example.test/")


def test_json_that_is_not_a_json_feed() -> None:
    with pytest.raises(ParseError, match="not a JSON Feed"):
        parse_feed(b'{"hello": "world"}', "http://example.test/x.json", "application/json")


def test_sitemap_of_a_site_is_not_news() -> None:
    body = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://x.test/a</loc></url></urlset>'
    with pytest.raises(ParseError, match="without Google News entries"):
        parse_feed(body, "http://x.test/sitemap.xml")


def test_empty_document_and_empty_feed() -> None:
    with pytest.raises(ParseError, match="empty document"):
        parse_feed(b"  \n", "http://example.test/empty")
    empty = parse_feed(b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>', "http://example.test/q")
    assert (empty.title, empty.entries) == ("Quiet", ())
