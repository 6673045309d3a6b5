"""Security of the site and API: hostile feed content, CSP, CSRF, the admin token, rate limits, no traces."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import html5lib
import pytest
from fastapi.testclient import TestClient

from conftest import FixtureServer
from newsdesk import Desk, open_desk
from newsdesk.settings import Settings
from newsdesk.web.app import create_app, story_url
from newsdesk.web.security import CSRF_COOKIE, admin_token_ok

HOSTILE_FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "Hostile &lt;script&gt;window.__feed=1&lt;/script&gt; Times",
    "items": [
        {
            "id": "1",
            "url": "javascript:alert(document.cookie)",
            "title": "Harbour &lt;script&gt;window.__pwned=1&lt;/script&gt; strike ends &lt;b onmouseover=x()&gt;",
            "content_text": (
                "Dock workers voted to end the harbour strike on Friday. "
                'The union said &lt;img src=x onerror="window.__pwned=2"&gt; members would return on Monday. '
                "Managers agreed to a pay rise of four per cent, the port authority said in a statement."
            ),
            "date_published": "2026-11-20T10:00:00Z",
            "tags": ["Business"],
        }
    ],
}


def active_content(html: str) -> list[str]:
    """Everything in a parsed page that could run: script elements, on* handlers, javascript: links."""
    found = []
    for element in html5lib.parse(html, namespaceHTMLElements=False).iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag in ("script", "iframe", "object", "embed"):
            found.append(element.tag)
        for name, value in element.attrib.items():
            if name.lower().startswith("on") or value.strip().lower().startswith("javascript:"):
                found.append(f"{element.tag} {name}={value}")
    return found


@pytest.fixture
def hostile_desk(tmp_path: Path, http_server: FixtureServer) -> Iterator[Desk]:
    """A desk that ingested, through the real fetch path, a feed whose fields carry markup and script."""
    url = http_server.add("/hostile.json", json.dumps(HOSTILE_FEED), content_type="application/feed+json")
    settings = Settings(fetch_full_text=False, admin_token="correct horse", allow_private_addresses=True)
    with open_desk(f"sqlite:///{tmp_path / 'hostile.db'}", settings) as desk:
        desk.add_source(url)
        report = desk.refresh()
        assert not report.failed and report.new_articles == 1
        yield desk


def test_markup_from_a_feed_is_shown_as_text_never_run(hostile_desk: Desk) -> None:
    client = TestClient(create_app(hostile_desk))
    story = hostile_desk.stories(limit=1)[0]
    assert "<script>" in story.headline  # stored as the outlet sent it, as text
    pages = {
        "story": client.get(story_url(story.id, story.headline)).text,
        "home": client.get("/").text,
        "search": client.get("/search", params={"q": "harbour strike"}).text,
        "sources": client.get("/sources").text,
    }
    for name, html in pages.items():
        assert active_content(html) == [], name
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in pages["story"]
    assert "&lt;img src=x onerror=" in pages["story"]
    assert 'href="javascript:' not in pages["story"] and 'href="#" rel="noopener nofollow"' in pages["story"]
    assert "&lt;mark&gt;" not in pages["search"] and "<mark>" in pages["search"]  # our marks only
    for path in ("/feed.rss", "/feed.atom"):
        assert "<script>" not in client.get(path).text  # escaped as XML text
    assert "<script>" in client.get("/feed.json").json()["items"][0]["title"]  # JSON text, never HTML
    api = client.get(f"/api/stories/{story.id}").json()
    assert api["coverage"][0]["url"] == "javascript:alert(document.cookie)"  # data as stored; pages neutralise it


def test_every_reply_carries_a_strict_content_security_policy(hostile_desk: Desk) -> None:
    client = TestClient(create_app(hostile_desk))
    for path in ("/", "/about", "/api/topics", "/no/such/page", "/feed.atom"):
        headers = client.get(path).headers
        policy = headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src" not in policy  # no script source at all
        assert "frame-ancestors 'none'" in policy and "form-action 'self'" in policy
        assert headers["x-content-type-options"] == "nosniff"


def _form(client: TestClient) -> str:
    html = client.get("/sources").text
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert found is not None
    return found.group(1)


def test_adding_a_source_needs_the_csrf_token_and_the_admin_token(hostile_desk: Desk) -> None:
    client = TestClient(create_app(hostile_desk), follow_redirects=False)
    token = _form(client)
    assert client.cookies.get(CSRF_COOKIE)
    new = {"url": "http://feeds.test/new.xml", "admin_token": "correct horse"}
    assert client.post("/sources", data={**new, "csrf_token": "forged"}).status_code == 403
    stranger = TestClient(create_app(hostile_desk), follow_redirects=False)  # no cookie: a cross-site post
    assert stranger.post("/sources", data={**new, "csrf_token": token}).status_code == 403
    wrong = client.post("/sources", data={**new, "admin_token": "wrong", "csrf_token": token})
    assert wrong.status_code == 401 and "not right" in wrong.text
    assert hostile_desk.store.find_source(new["url"]) is None
    done = client.post("/sources", data={**new, "csrf_token": token})
    assert done.status_code == 303 and done.headers["location"] == "/sources?added=1"
    assert hostile_desk.store.find_source(new["url"]) is not None
    again = client.post("/sources", data={**new, "csrf_token": token})
    assert again.status_code == 400 and "already a source" in again.text
    opml = b'<opml version="2.0"><body><outline xmlUrl="http://feeds.test/a.xml"/><outline xmlUrl="ftp://x"/></body></opml>'
    files = {"opml": ("feeds.opml", opml, "text/x-opml")}
    imported = client.post("/sources/opml", data={"admin_token": "correct horse", "csrf_token": token}, files=files)
    assert imported.status_code == 303 and imported.headers["location"] == "/sources?added=1"
    assert "Added 1 source." in client.get("/sources?added=1").text


def test_the_site_and_the_api_add_web_sources_only(hostile_desk: Desk, tmp_path: Path) -> None:
    (tmp_path / "private.html").write_text("<html><body><p>Not for the public.</p></body></html>")
    client = TestClient(create_app(hostile_desk), follow_redirects=False)
    token = _form(client)
    before = len(hostile_desk.sources())
    for ref, why in [(str(tmp_path), "is not an http(s) URL"), ("http://", "names no host"), (" ", "needs a URL")]:
        posted = client.post("/sources", data={"url": ref, "admin_token": "correct horse", "csrf_token": token})
        assert posted.status_code == 400 and why in posted.text, ref
        api = client.post("/api/sources", json={"url": ref}, headers={"Authorization": "Bearer correct horse"})
        assert api.status_code == 400 and why in api.json()["error"]["message"], ref
    assert len(hostile_desk.sources()) == before


def test_writes_are_refused_when_no_admin_token_is_set(hostile_desk: Desk) -> None:
    desk = Desk(hostile_desk.store, hostile_desk.settings.replace(admin_token=""))
    client = TestClient(create_app(desk), follow_redirects=False)
    token = _form(client)
    refused = client.post("/sources", data={"url": "http://x.test/f", "admin_token": "", "csrf_token": token})
    assert refused.status_code == 403 and "disabled" in refused.text
    api = client.post("/api/sources", json={"url": "http://x.test/f"}, headers={"Authorization": "Bearer "})
    assert api.status_code == 403 and api.json()["error"]["code"] == "forbidden"


def test_admin_token_comparison() -> None:
    settings = Settings(admin_token="s3cret")
    assert admin_token_ok(settings, "s3cret")
    assert not admin_token_ok(settings, "s3cre") and not admin_token_ok(settings, None)
    assert not admin_token_ok(Settings(admin_token=""), "")  # no token set: nothing matches


def test_search_and_api_are_rate_limited_per_client(hostile_desk: Desk) -> None:
    settings = hostile_desk.settings.replace(rate_limit_search="3/minute", rate_limit_api="2/minute")
    client = TestClient(create_app(Desk(hostile_desk.store, settings)))
    assert [client.get("/search", params={"q": "x"}).status_code for _ in range(4)] == [200, 200, 200, 429]
    limited = client.get("/search/feed.rss", params={"q": "x"})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert client.get("/").status_code == 200  # reading pages is not limited
    assert [client.get("/api/topics").status_code for _ in range(3)] == [200, 200, 429]
    body = client.get("/api/topics").json()
    assert body == {"error": {"status": 429, "code": "rate_limited", "message": body["error"]["message"]}}
    other = TestClient(create_app(Desk(hostile_desk.store, settings)), client=("10.0.0.9", 5000))
    assert other.get("/api/topics").status_code == 200  # another client has its own allowance


class BrokenDesk(Desk):
    """A desk whose reads fail in a way nobody planned for."""

    def top_stories(self, limit: int = 30, offset: int = 0, topic: str = "") -> list:
        raise RuntimeError("secret detail: /var/lib/db password=hunter2")


def test_unexpected_errors_never_show_a_trace(hostile_desk: Desk, caplog: pytest.LogCaptureFixture) -> None:
    client = TestClient(
        create_app(BrokenDesk(hostile_desk.store, hostile_desk.settings)), raise_server_exceptions=False
    )
    for path in ("/", "/api/top"):
        reply = client.get(path)
        assert reply.status_code == 500
        assert "hunter2" not in reply.text and "Traceback" not in reply.text and "RuntimeError" not in reply.text
    assert client.get("/api/top").json()["error"] == {
        "status": 500,
        "code": "internal_error",
        "message": "Something broke.",
    }
    assert "hunter2" in caplog.text  # the operator still sees it in the log
