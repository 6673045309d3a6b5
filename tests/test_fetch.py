"""Fetching against a real local HTTP server: conditional GET, errors, size cap."""

import httpx
import pytest

from newsdesk.errors import FetchError
from newsdesk.ingest.fetch import fetch, make_client
from newsdesk.settings import Settings


@pytest.fixture
def client():
    with make_client(Settings(fetch_timeout=5)) as c:
        yield c


def test_conditional_get_gives_304(http_server, client: httpx.Client) -> None:
    url = http_server.add("/feed.xml", "<rss/>", etag=True)
    first = fetch(client, url, max_bytes=1000)
    assert first.status == 200 and first.etag and first.body == b"<rss/>"
    second = fetch(client, url, max_bytes=1000, etag=first.etag)
    assert second.not_modified and second.body == b""
    assert http_server.hits[-1][1].get("If-None-Match") == first.etag


def test_user_agent_is_sent(http_server, client: httpx.Client) -> None:
    url = http_server.add("/a", "x")
    fetch(client, url, max_bytes=100)
    assert http_server.hits[-1][1]["User-Agent"].startswith("newsdesk/")


def test_404_is_a_fetch_error(http_server, client: httpx.Client) -> None:
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch(client, http_server.url + "/missing", max_bytes=100)


def test_unreachable_host(client: httpx.Client) -> None:
    with pytest.raises(FetchError, match="cannot connect"):
        fetch(client, "http://127.0.0.1:1/feed", max_bytes=100)


def test_size_cap(http_server, client: httpx.Client) -> None:
    url = http_server.add("/big", b"x" * 5000)
    with pytest.raises(FetchError, match="cap"):
        fetch(client, url, max_bytes=1000)


def test_redirect_loop(http_server, client: httpx.Client) -> None:
    http_server.add("/loop", "", status=302, headers={"Location": "/loop"})
    with pytest.raises(FetchError, match="too many redirects"):
        fetch(client, http_server.url + "/loop", max_bytes=100)


def test_only_http_urls(client: httpx.Client) -> None:
    with pytest.raises(FetchError, match="only http"):
        fetch(client, "file:///etc/passwd", max_bytes=100)
