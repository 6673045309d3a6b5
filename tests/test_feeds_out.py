"""Feeds out: RSS 2.0, Atom and JSON Feed that parse, with one item per story, its id kept for life."""

from __future__ import annotations

import json
import re
from pathlib import Path

import feedparser
import jsonschema
import pytest
from fastapi.testclient import TestClient

from newsdesk import Desk, open_desk
from newsdesk.demo.corpus import DemoArticle, load_corpus
from newsdesk.ingest.urls import article_id, canonical_url
from newsdesk.settings import Settings
from newsdesk.web.app import create_app
from newsdesk.web.feeds_out import item_id

JSON_FEED_SCHEMA = {  # the required parts of JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/)
    "type": "object",
    "required": ["version", "title", "items"],
    "properties": {
        "version": {"const": "https://jsonfeed.org/version/1.1"},
        "title": {"type": "string", "minLength": 1},
        "home_page_url": {"type": "string", "format": "uri"},
        "feed_url": {"type": "string", "format": "uri"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id"],
                "anyOf": [{"required": ["content_text"]}, {"required": ["content_html"]}],
                "properties": {
                    "id": {"type": "string", "minLength": 1},
                    "url": {"type": "string"},
                    "title": {"type": "string"},
                    "content_text": {"type": "string"},
                    "date_published": {"type": "string", "format": "date-time"},
                    "date_modified": {"type": "string", "format": "date-time"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}


@pytest.fixture(scope="module")
def client(demo_desk: Desk) -> TestClient:
    return TestClient(create_app(demo_desk))


def feed_paths(desk: Desk) -> list[str]:
    topic = desk.topics()[0].slug
    return ["/", f"/topic/{topic}/", f"/entity/{desk.entity_list()[0].slug}/", "/search/"]


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_xml_feeds_parse_with_one_item_per_story(client: TestClient, demo_desk: Desk, fmt: str) -> None:
    for base in feed_paths(demo_desk):
        query = "?q=strike" if base == "/search/" else ""
        reply = client.get(f"{base}feed.{fmt}{query}")
        assert reply.status_code == 200 and reply.headers["content-type"].startswith(f"application/{fmt}+xml")
        parsed = feedparser.parse(reply.content)
        assert not parsed.bozo, (base, parsed.get("bozo_exception"))
        assert parsed.version == ("rss20" if fmt == "rss" else "atom10")
        ids = [e.id for e in parsed.entries]
        assert ids and len(ids) == len(set(ids)), base
        assert all(re.fullmatch(r"urn:newsdesk:story:\w+", i) for i in ids)
        for entry in parsed.entries:
            story = demo_desk.story(entry.id.rsplit(":", 1)[1])
            assert entry.title == story.headline and entry.link.startswith("http://testserver/story/" + story.id)
            assert entry.summary == story.standfirst
            if fmt == "atom":
                assert entry.updated_parsed[:6] == story.updated_at.utctimetuple()[:6]


def test_home_feed_holds_the_freshest_stories(client: TestClient, demo_desk: Desk) -> None:
    parsed = feedparser.parse(client.get("/feed.atom").content)
    freshest = sorted(demo_desk.stories(limit=100), key=lambda s: (s.updated_at, s.id), reverse=True)
    assert [e.id for e in parsed.entries] == [item_id(s.id) for s in freshest[:30]]
    assert parsed.feed.title == "newsdesk" and parsed.feed.link == "http://testserver/"


def test_json_feeds_follow_the_spec(client: TestClient, demo_desk: Desk) -> None:
    checker = jsonschema.Draft202012Validator(JSON_FEED_SCHEMA, format_checker=jsonschema.FormatChecker())
    for base in feed_paths(demo_desk):
        query = "?q=strike" if base == "/search/" else ""
        reply = client.get(f"{base}feed.json{query}")
        assert reply.headers["content-type"].startswith("application/feed+json")
        document = reply.json()
        checker.validate(document)
        assert document["items"] and document["feed_url"] == f"http://testserver{base}feed.json{query}"


def test_every_page_with_a_feed_links_all_three_in_head(client: TestClient, demo_desk: Desk) -> None:
    for base in feed_paths(demo_desk):
        page = client.get(base.rstrip("/") + ("?q=strike" if base == "/search/" else "") if base != "/" else "/")
        head = page.text.split("</head>", 1)[0]
        links = re.findall(r'<link rel="alternate" type="([^"]+)" title="[^"]*" href="([^"]+)"', head)
        assert [t for t, _ in links] == ["application/rss+xml", "application/atom+xml", "application/feed+json"], base
        for _, href in links:
            assert client.get(href.replace("&amp;", "&")).status_code == 200


def test_feeds_answer_304_and_use_the_site_url(demo_desk: Desk) -> None:
    settings = demo_desk.settings.replace(site_url="https://news.example.org")
    client = TestClient(create_app(Desk(demo_desk.store, settings)))
    first = client.get("/feed.rss")
    assert client.get("/feed.rss", headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    parsed = feedparser.parse(first.content)
    assert parsed.entries[0].link.startswith("https://news.example.org/story/")
    assert client.get("/feed.xml").status_code == 404


def _feed(articles: list[DemoArticle], base: str) -> str:
    items = [
        {
            "id": f"{a.event}/{a.outlet}/{a.slug}",
            "url": f"{base}/{a.event}/{a.outlet}/{a.slug}",
            "title": a.title,
            "content_text": "\n\n".join(a.paragraphs),
            "date_published": a.published.isoformat(),
            "tags": [a.section],
        }
        for a in articles
    ]
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "Demo wire", "items": items})


def test_a_growing_story_keeps_its_item_and_updates_it_in_place(tmp_path: Path, http_server) -> None:
    corpus = load_corpus()
    strike = [a for a in corpus if a.event == "e05-port-anselm-strike"]
    latest = max(strike, key=lambda a: a.published)
    url = http_server.add("/feed.json", _feed([a for a in corpus if a is not latest], http_server.url))
    settings = Settings(fetch_full_text=False, allow_private_addresses=True)
    with open_desk(f"sqlite:///{tmp_path / 'grow.db'}", settings) as desk:
        desk.add_source(url)
        desk.refresh()
        client = TestClient(create_app(desk))
        before = {e.id: e for e in feedparser.parse(client.get("/feed.atom").content).entries}
        desk.add_source(http_server.add("/later.json", _feed([latest], http_server.url)))  # another feed reports it
        desk.refresh()
        after = {e.id: e for e in feedparser.parse(client.get("/feed.atom").content).entries}
        grown_id = item_id(desk.store.get_article(article_id_of(latest, http_server.url)).story_id or "")
        items = {i["id"]: i for i in client.get("/feed.json").json()["items"]}
    assert set(after) == set(before)  # the new article joined its story: no new item, none gone
    assert after[grown_id].updated_parsed > before[grown_id].updated_parsed  # updated in place
    assert after[grown_id].published_parsed == before[grown_id].published_parsed
    assert items[grown_id]["date_modified"] == latest.published.isoformat()
    unchanged = [i for i in before if i != grown_id]
    assert all(after[i].updated_parsed == before[i].updated_parsed for i in unchanged)


def article_id_of(article: DemoArticle, base: str) -> str:
    return article_id(canonical_url(f"{base}/{article.event}/{article.outlet}/{article.slug}"))
