"""The site through an in-process ASGI client over the demo desk."""

import re

import pytest
from fastapi.testclient import TestClient

from newsdesk import Desk
from newsdesk.web.app import create_app, story_url


@pytest.fixture(scope="module")
def client(demo_desk: Desk) -> TestClient:
    return TestClient(create_app(demo_desk), follow_redirects=False)


def test_home_lists_stories_with_standfirst_outlets_and_topic(client: TestClient, demo_desk: Desk) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    top = demo_desk.stories(limit=1)[0]
    assert story_url(top.id, top.headline) in page.text
    assert f"{top.outlet_count} outlets" in page.text and top.topic in page.text
    assert '<main id="main"' in page.text and "<title>newsdesk</title>" in page.text


def test_story_page_has_the_seed_layout_with_citations(client: TestClient, demo_desk: Desk) -> None:
    story = max(demo_desk.stories(limit=100), key=lambda s: s.outlet_count)
    page = client.get(story_url(story.id, story.headline))
    assert page.status_code == 200
    html = page.text
    assert f"<h1>{story.headline}</h1>".replace("'", "&#39;").replace('"', "&#34;") in html
    assert "<h2>Introduction</h2>" in html and ">Coverage</h2>" in html and ">Related stories</h2>" in html
    cited = set(re.findall(r'href="#source-(\d+)"', html))
    anchors = set(re.findall(r'<li id="source-(\d+)">', html))
    assert cited and cited <= anchors  # every citation mark lands on a coverage entry
    assert len(anchors) == len([a for a in demo_desk.coverage(story.id) if not a.copy_of])
    for related in story.related[:3]:
        other = demo_desk.story(related.story_id)
        assert story_url(other.id, other.headline) in html


def test_wire_copy_is_folded_under_its_original(client: TestClient, demo_desk: Desk) -> None:
    story = next(s for s in demo_desk.stories(limit=100) if any(a.copy_of for a in demo_desk.coverage(s.id)))
    html = client.get(story_url(story.id, story.headline)).text
    assert 'also carried by <span class="outlet">Riverbend Courier</span>' in html


def test_wrong_slug_redirects_to_the_canonical_url(client: TestClient, demo_desk: Desk) -> None:
    story = demo_desk.stories(limit=1)[0]
    reply = client.get(f"/story/{story.id}-old-headline")
    assert reply.status_code == 301 and reply.headers["location"] == story_url(story.id, story.headline)


def test_unknown_story_is_a_404_page(client: TestClient) -> None:
    reply = client.get("/story/000000000000-nothing")
    assert reply.status_code == 404 and "Not found" in reply.text
    assert client.get("/no/such/page").status_code == 404


def test_pagination(client: TestClient) -> None:
    assert client.get("/?page=2").status_code == 200
