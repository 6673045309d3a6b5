"""Feed parsing: each fixture feed beside the JSON it must parse to."""

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from newsdesk.errors import ParseError
from newsdesk.ingest.feeds import parse_feed

FEEDS = Path(__file__).parent / "fixtures" / "feeds"


@pytest.mark.parametrize(
    ("name", "content_type"), [("rss.xml", ""), ("atom.xml", ""), ("feed.json", "application/feed+json")]
)
def test_feed_parses_to_expected(name: str, content_type: str) -> None:
    parsed = parse_feed((FEEDS / name).read_bytes(), "http://example.test/feed", content_type)
    expected = json.loads((FEEDS / (name.rsplit(".", 1)[0] + ".expected.json")).read_text())
    entries = []
    for entry in parsed.entries:
        row = asdict(entry)
        row["published"] = entry.published.isoformat() if entry.published else None
        entries.append(row)
    assert {"title": parsed.title, "entries": entries} == expected


def test_broken_xml_is_one_clear_error() -> None:
    with pytest.raises(ParseError, match="not a valid feed"):
        parse_feed((FEEDS / "broken.xml").read_bytes(), "http://example.test/broken.xml")


def test_html_page_is_not_a_feed() -> None:
    with pytest.raises(ParseError, match="not a feed"):
        parse_feed((FEEDS / "not_a_feed.html").read_bytes(), "http://example.test/")


def test_json_that_is_not_a_json_feed() -> None:
    with pytest.raises(ParseError, match="not a JSON Feed"):
        parse_feed(b'{"hello": "world"}', "http://example.test/x.json", "application/json")
