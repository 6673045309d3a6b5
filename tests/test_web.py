"""The site's pages through an in-process ASGI client over the demo desk: content per page type."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import anyio.to_thread
import html5lib
import pytest
from fastapi.testclient import TestClient

from newsdesk import Desk
from newsdesk.types import EntitySummary
from newsdesk.web.app import create_app, story_url


def assert_valid_html(html: str) -> None:
    """The page parses as HTML5 without a single parse error."""
    parser = html5lib.HTMLParser(strict=True)
    parser.parse(html)  # raises ParseError on the first error


@pytest.fixture(scope="module")
def client(demo_desk: Desk) -> TestClient:
    return TestClient(create_app(demo_desk), follow_redirects=False)


def test_home_ranks_top_stories_then_topics(client: TestClient, demo_desk: Desk) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    html = page.text
    assert_valid_html(html)
    top = demo_desk.top_stories(limit=12)
    links = re.findall(r'<h2><a href="(/story/[^"]+)"', html)
    assert links == [story_url(s.id, s.headline) for s in top]  # the top list, in ranked order
    assert f"{top[0].outlet_count} outlet" in html and top[0].topic.upper() in html.upper()
    for topic in demo_desk.topics():
        assert f'<h2 id="topic-{topic.slug}" class="section-title"><a href="/topic/{topic.slug}">' in html
    assert '<main id="main"' in html and "<title>newsdesk</title>" in html
    assert '<nav class="site-nav" aria-label="Sections">' in html and 'role="search"' in html
    assert "<header" in html and "<footer" in html and 'class="skip" href="#main"' in html
    for fmt, kind in (("rss", "rss+xml"), ("atom", "atom+xml"), ("json", "feed+json")):
        assert f'<link rel="alternate" type="application/{kind}"' in html and f'href="/feed.{fmt}"' in html
    assert '<meta property="og:title" content="newsdesk">' in html and 'rel="canonical"' in html
    second = client.get("/?page=2")
    assert second.status_code == 200 and "Top stories, page 2" in second.text


def test_top_ranking_weighs_outlets_against_age(demo_desk: Desk) -> None:
    stories = demo_desk.top_stories(limit=100)
    newest = max(s.updated_at for s in stories)
    for better, worse in itertools.pairwise(stories):
        # ranked by outlets halved per day of age: a later story never beats one with more weight
        weight = [s.outlet_count * 0.5 ** ((newest - s.updated_at) / timedelta(hours=24)) for s in (better, worse)]
        assert weight[0] >= weight[1] - 1e-9


def test_story_page_has_the_seed_layout_with_citations(client: TestClient, demo_desk: Desk) -> None:
    story = max(demo_desk.stories(limit=100), key=lambda s: s.outlet_count)
    page = client.get(story_url(story.id, story.headline))
    assert page.status_code == 200
    html = page.text
    assert_valid_html(html)
    assert f"<h1>{story.headline}</h1>".replace("'", "&#39;").replace('"', "&#34;") in html
    assert "<h2>Introduction</h2>" in html and ">Coverage</h2>" in html and ">Related stories</h2>" in html
    cited = set(re.findall(r'href="#source-(\d+)"', html))
    anchors = set(re.findall(r'<li id="source-(\d+)">', html))
    assert cited and cited <= anchors  # every citation mark lands on a coverage entry
    assert len(anchors) == len([a for a in demo_desk.coverage(story.id) if not a.copy_of])
    for related in story.related[:3]:
        other = demo_desk.story(related.story_id)
        assert story_url(other.id, other.headline) in html
    assert html.count('<p class="label">') == len(story.related)  # every related story says why
    assert '<meta property="og:type" content="article">' in html
    assert f'<meta name="description" content="{story.standfirst[:40]}' in html.replace("&#39;", "'")


def test_story_timeline_shows_how_it_grew(client: TestClient, demo_desk: Desk) -> None:
    story = next(
        s
        for s in demo_desk.stories(limit=100)
        if len({a.published.date() for a in demo_desk.coverage(s.id) if not a.copy_of}) > 1
    )
    html = client.get(story_url(story.id, story.headline)).text
    section = html.split('id="timeline-title"', 1)[1].split("</section>", 1)[0]
    days = sorted({a.published.date() for a in demo_desk.coverage(story.id) if not a.copy_of})
    assert [d.isoformat() for d in days] == re.findall(r'<time datetime="([\d-]+)">', section)
    assert section.count("first reported by") == 1 and "joined by" in section


def test_wire_copy_is_folded_under_its_original(client: TestClient, demo_desk: Desk) -> None:
    story = next(s for s in demo_desk.stories(limit=100) if any(a.copy_of for a in demo_desk.coverage(s.id)))
    html = client.get(story_url(story.id, story.headline)).text
    assert 'also carried by <span class="outlet">Riverbend Courier</span>' in html


def test_wrong_slug_redirects_to_the_canonical_url(client: TestClient, demo_desk: Desk) -> None:
    story = demo_desk.stories(limit=1)[0]
    reply = client.get(f"/story/{story.id}-old-headline")
    assert reply.status_code == 301 and reply.headers["location"] == story_url(story.id, story.headline)


def test_unknown_pages_are_404_pages(client: TestClient) -> None:
    for path in ("/story/000000000000-nothing", "/no/such/page", "/topic/nothing", "/entity/nobody", "/feed.xml"):
        reply = client.get(path)
        assert reply.status_code == 404 and "Not found" in reply.text, path
        assert_valid_html(reply.text)


def test_topic_pages_list_their_stories_freshest_first_with_pages(client: TestClient, demo_desk: Desk) -> None:
    topic = max(demo_desk.topics(), key=lambda t: t.story_count)
    html = client.get(f"/topic/{topic.slug}").text
    assert_valid_html(html)
    assert f"<title>{topic.name} · newsdesk</title>" in html and f'href="/topic/{topic.slug}/feed.atom"' in html
    expected = [s for s in demo_desk.stories(limit=100) if s.topic == topic.name]
    expected.sort(key=lambda s: (s.updated_at, s.id), reverse=True)
    assert re.findall(r'<h2><a href="/story/(\w+)-', html) == [s.id for s in expected]
    assert 'aria-current="page"' in html.split(f'href="/topic/{topic.slug}"', 1)[1][:30]
    listing = client.get("/topics").text
    assert all(f'<a href="/topic/{t.slug}">{t.name}</a>' in listing for t in demo_desk.topics())


def test_topic_pages_page_with_a_cursor(demo_desk: Desk) -> None:
    from newsdesk.web import pages

    client = TestClient(create_app(demo_desk))
    topic = max(demo_desk.topics(), key=lambda t: t.story_count)
    size, pages.PAGE_SIZE = pages.PAGE_SIZE, 2
    try:
        seen: list[str] = []
        url: str | None = f"/topic/{topic.slug}"
        while url:
            html = client.get(url).text
            seen += re.findall(r'<h2><a href="/story/(\w+)-', html)
            found = re.search(r'rel="next" href="([^"]+)"', html)
            url = found.group(1).replace("&amp;", "&") if found else None
    finally:
        pages.PAGE_SIZE = size
    assert len(seen) == len(set(seen)) == topic.story_count


def test_search_page_highlights_matches_and_filters(client: TestClient, demo_desk: Desk) -> None:
    page = client.get("/search", params={"q": "strike"})
    html = page.text
    assert page.status_code == 200
    assert_valid_html(html)
    assert "<mark>strike</mark>" in html.lower() and "Port Anselm" in html
    assert 'href="/search/feed.rss?q=strike"' in html
    business = client.get("/search", params={"q": "strike", "topic": "sports"}).text
    assert "Port Anselm strike" not in business  # the dock strike is a Business story
    early = client.get("/search", params={"q": "strike", "to": "2000-01-01"}).text
    assert "No stories match" in early
    assert client.get("/search", params={"q": "strike", "from": "yesterday"}).status_code == 400
    assert client.get("/search", params={"q": "strike", "topic": "no-such-topic"}).status_code == 400
    empty = client.get("/search").text
    assert "<form" in empty and "<mark>" not in empty


def test_search_finds_by_meaning_what_no_word_matches(demo_desk: Desk) -> None:
    results = demo_desk.search("airline collapse")  # the story says "Airways" and "bankruptcy"
    assert results and "Skyvale" in results[0].story.headline and results[0].by_meaning


def test_about_and_sources_pages(client: TestClient, demo_desk: Desk) -> None:
    about = client.get("/about").text
    assert_valid_html(about)
    assert f"{demo_desk.store.count_stories()} stories" in about and "/api/openapi.json" in about
    sources = client.get("/sources")
    assert_valid_html(sources.text)
    assert sources.headers["cache-control"] == "no-store"
    for source in demo_desk.sources():
        assert source.url in sources.text
    assert sources.text.count('<span class="state ok">ok</span>') == len(demo_desk.sources())
    assert 'name="csrf_token"' in sources.text and "none is set" in sources.text
    opml = client.get("/sources.opml")
    assert opml.status_code == 200 and all(s.url in opml.text for s in demo_desk.sources())


class EntityDesk(Desk):
    """Stand-in for the linking stage, which will store entities: one entity, named in the stories
    whose headline holds "Reyvik". The pages, feeds and API around it are the real ones."""

    def _ids(self) -> list[str]:
        return [s.id for s in self.stories(limit=100) if "Reyvik" in s.headline]

    def entities(self, limit: int = 200) -> list[EntitySummary]:
        return [EntitySummary("tomas-reyvik", "Tomas Reyvik", "person", len(self._ids()))]

    def entity_story_ids(self, slug: str) -> list[str]:
        return self._ids() if slug == "tomas-reyvik" else []

    def story_entities(self, story_id: str) -> list[EntitySummary]:
        return self.entities() if story_id in self._ids() else []


def test_entity_pages_once_entities_exist(demo_desk: Desk) -> None:
    desk = EntityDesk(demo_desk.store, demo_desk.settings)
    client = TestClient(create_app(desk))
    html = client.get("/entity/tomas-reyvik").text
    assert_valid_html(html)
    ids = re.findall(r'<h2><a href="/story/(\w+)-', html)
    assert ids and sorted(ids) == sorted(desk._ids())
    assert "Tomas Reyvik" in html and 'href="/entity/tomas-reyvik/feed.json"' in html
    assert '<a href="/entity/tomas-reyvik">Tomas Reyvik</a>' in client.get("/topics").text
    found = client.get("/search", params={"q": "Reyvik", "entity": "tomas-reyvik"}).text
    assert set(re.findall(r'<h3><a href="/story/(\w+)-', found)) <= set(ids)
    assert client.get("/entity/someone-else").status_code == 404
    story = desk.story(ids[0])
    assert '<a href="/entity/tomas-reyvik">Tomas Reyvik</a>' in client.get(story_url(story.id, story.headline)).text


def test_pages_carry_validators_and_answer_304(client: TestClient, demo_desk: Desk) -> None:
    story = demo_desk.stories(limit=1)[0]
    for path in ("/", story_url(story.id, story.headline), "/topics", "/about"):
        first = client.get(path)
        assert first.headers["cache-control"].startswith("public, max-age=")
        again = client.get(path, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
    first = client.get(story_url(story.id, story.headline))
    since = client.get(
        story_url(story.id, story.headline), headers={"If-Modified-Since": first.headers["last-modified"]}
    )
    assert since.status_code == 304


def test_settings_set_name_logo_and_colours(demo_desk: Desk) -> None:
    settings = demo_desk.settings.replace(
        site_name="Harbour Desk", site_logo="https://cdn.example.org/logo.png", accent_colour="#7a1f1f"
    )
    client = TestClient(create_app(Desk(demo_desk.store, settings)))
    html = client.get("/about").text
    assert (
        "<title>About · Harbour Desk</title>" in html and '<img src="https://cdn.example.org/logo.png" alt=""' in html
    )
    assert "--accent: #7a1f1f" in client.get("/theme.css").text
    assert "img-src 'self' data: https://cdn.example.org" in client.get("/about").headers["content-security-policy"]


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_default_colours_meet_wcag_aa_contrast(demo_desk: Desk) -> None:
    css = (create_app.__globals__["HERE"] / "static" / "site.css").read_text()
    colours = dict(re.findall(r"--(\w+): (#[0-9a-f]{6})", css))
    background = demo_desk.settings.background_colour
    for name in ("ink", "muted", "accent"):
        light, dark = sorted([_luminance(colours[name]), _luminance(background)], reverse=True)
        assert (light + 0.05) / (dark + 0.05) >= 4.5, name


def test_requests_share_a_few_threads(demo_desk: Desk) -> None:
    """The server works on `web_threads` requests at once, not anyio's 40 (see create_app's lifespan)."""
    with TestClient(create_app(demo_desk)) as running:
        tokens = running.portal.call(lambda: anyio.to_thread.current_default_thread_limiter().total_tokens)
    assert tokens == demo_desk.settings.web_threads == 4
