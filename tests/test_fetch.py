"""The fetcher against a real local HTTP server: conditional GET, limits, robots.txt, encodings, retries."""

from __future__ import annotations

import asyncio
import gzip
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

import brotli
import pytest

from conftest import LOCAL, FixtureServer, Handler, streamed
from newsdesk.errors import FetchError
from newsdesk.ingest.fetch import Fetcher, Response, retry_after_seconds
from newsdesk.settings import Settings


def get(url: str, settings: Settings = LOCAL, **kwargs: Any) -> Response:
    async def run() -> Response:
        async with Fetcher(settings) as fetcher:
            return await fetcher.get(url, **kwargs)

    return asyncio.run(run())


def answer(status: int, body: bytes = b"", **headers: str) -> Handler:
    """A route handler sending exactly these headers (no Content-Length unless given) and body."""
    return streamed(status, [body], **headers)


def test_conditional_get_gives_304(http_server: FixtureServer) -> None:
    url = http_server.add("/feed.xml", "<rss/>", etag=True, headers={"Last-Modified": "Tue, 17 Nov 2026 08:00:00 GMT"})
    first = get(url)
    assert first.status == 200 and first.etag and first.body == b"<rss/>"
    second = get(url, etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.body == b""
    sent = http_server.hits[-1][1]
    assert sent.get("If-None-Match") == first.etag
    assert sent.get("If-Modified-Since") == "Tue, 17 Nov 2026 08:00:00 GMT"


def test_user_agent_and_encodings_are_announced(http_server: FixtureServer) -> None:
    get(http_server.add("/a", "x"))
    sent = http_server.hits[-1][1]
    assert sent["User-Agent"].startswith("newsdesk/")
    assert {"gzip", "deflate", "br"} <= {e.strip() for e in sent["Accept-Encoding"].split(",")}


def test_http_errors_carry_their_status(http_server: FixtureServer) -> None:
    with pytest.raises(FetchError, match="HTTP 404") as caught:
        get(http_server.url + "/missing")
    assert caught.value.status == 404


def test_unreachable_host() -> None:
    with pytest.raises(FetchError, match="cannot connect"):
        get("http://127.0.0.1:1/feed")


def test_only_http_urls() -> None:
    with pytest.raises(FetchError, match="only http"):
        get("file:///etc/passwd")


@pytest.mark.parametrize(
    ("coding", "pack"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send it
        ("br", brotli.compress),
    ],
)
def test_compressed_bodies_are_decoded(http_server: FixtureServer, coding: str, pack: Callable[[bytes], bytes]) -> None:
    text = b"<rss>" + b"news " * 5000 + b"</rss>"
    url = http_server.add("/z", pack(text), headers={"Content-Encoding": coding})
    assert get(url).body == text


def test_corrupt_compressed_body_is_a_fetch_error(http_server: FixtureServer) -> None:
    url = http_server.add("/bad-gzip", b"\x1f\x8bnot really gzip at all", headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="corrupt gzip"):
        get(url)


def test_declared_size_over_the_cap(http_server: FixtureServer) -> None:
    url = http_server.add("/big", b"x" * 5000)
    with pytest.raises(FetchError, match="5000 bytes is over the 1000-byte cap"):
        get(url, LOCAL.replace(max_response_bytes=1000))


def test_redirects_are_followed_up_to_the_limit(http_server: FixtureServer) -> None:
    http_server.add("/final", "here")
    http_server.add("/hop", "", status=301, headers={"Location": "/final"})
    reply = get(http_server.url + "/hop")
    assert (reply.body, reply.url) == (b"here", http_server.url + "/final")
    for n in range(3):
        http_server.add(f"/chain{n}", "", status=302, headers={"Location": f"/chain{n + 1}"})
    http_server.add("/chain3", "end")
    with pytest.raises(FetchError, match="too many redirects"):
        get(http_server.url + "/chain0", LOCAL.replace(fetch_max_redirects=2))


def test_retries_after_503_then_succeeds(http_server: FixtureServer) -> None:
    calls: list[float] = []

    def flaky(request: BaseHTTPRequestHandler) -> None:
        calls.append(time.monotonic())
        if len(calls) == 1:
            answer(503, b"busy", Content_Length="4")(request)
        else:
            answer(200, b"fine", Content_Length="4")(request)

    url = http_server.add("/flaky", b"", handler=flaky)
    assert get(url, LOCAL.replace(fetch_retries=2)).body == b"fine"
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.4  # waited (back-off) before asking again


def test_429_with_short_retry_after_is_honoured(http_server: FixtureServer) -> None:
    calls: list[float] = []

    def limited(request: BaseHTTPRequestHandler) -> None:
        calls.append(time.monotonic())
        if len(calls) == 1:
            answer(429, b"", Retry_After="1", Content_Length="0")(request)
        else:
            answer(200, b"ok", Content_Length="2")(request)

    url = http_server.add("/limited", b"", handler=limited)
    assert get(url).body == b"ok"
    assert calls[1] - calls[0] >= 0.95


def test_429_with_long_retry_after_gives_up_and_says_when(http_server: FixtureServer) -> None:
    url = http_server.add("/later", b"", handler=answer(429, b"", Retry_After="3600", Content_Length="0"))
    with pytest.raises(FetchError, match="HTTP 429") as caught:
        get(url)
    assert caught.value.retry_after == 3600 and caught.value.status == 429
    assert sum(1 for path, _ in http_server.hits if path == "/later") == 1  # not hammered


def test_retry_after_as_seconds_or_date() -> None:
    at = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("120", at) == 120
    assert retry_after_seconds(format_datetime(at + timedelta(minutes=5), usegmt=True), at) == 300
    assert retry_after_seconds("soon", at) is None and retry_after_seconds(None, at) is None


def test_robots_txt_is_obeyed_and_read_once_per_host(http_server: FixtureServer) -> None:
    http_server.add("/robots.txt", "User-agent: newsdesk\nDisallow: /private/\n\nUser-agent: *\nDisallow: /\n")
    http_server.add("/private/page", "secret")
    http_server.add("/public/page", "hello")

    async def run() -> tuple[bytes, str]:
        async with Fetcher(LOCAL) as fetcher:
            ok = await fetcher.get(http_server.url + "/public/page")
            try:
                await fetcher.get(http_server.url + "/private/page")
            except FetchError as exc:
                return ok.body, str(exc)
        return ok.body, ""

    body, error = asyncio.run(run())
    assert body == b"hello" and "robots.txt does not allow" in error
    paths = [path for path, _ in http_server.hits]
    assert paths.count("/robots.txt") == 1 and "/private/page" not in paths


def test_robots_txt_server_error_means_do_not_crawl(http_server: FixtureServer) -> None:
    http_server.add("/robots.txt", "oops", status=500)
    with pytest.raises(FetchError, match=r"robots\.txt could not be read"):
        get(http_server.add("/page", "hello"))


def test_global_and_per_host_limits(http_server: FixtureServer) -> None:
    lock = threading.Lock()
    busy: Counter[str] = Counter()
    peaks: Counter[str] = Counter()

    def slow(request: BaseHTTPRequestHandler) -> None:
        host = request.headers["Host"].split(":")[0]
        with lock:
            busy[host] += 1
            busy["all"] += 1
            for key in (host, "all"):
                peaks[key] = max(peaks[key], busy[key])
        time.sleep(0.3)
        with lock:
            busy[host] -= 1
            busy["all"] -= 1
        answer(200, b"done", Content_Length="4")(request)

    for n in range(6):
        http_server.add(f"/slow{n}", b"", handler=slow)
    port = http_server.url.rsplit(":", 1)[1]
    # the same server under two host names: 127.0.0.1 and localhost count as two hosts
    urls = [f"http://{host}:{port}/slow{n}" for host in ("127.0.0.1", "localhost") for n in range(4)]

    def run(settings: Settings) -> list[Response]:
        async def all_at_once() -> list[Response]:
            async with Fetcher(settings) as fetcher:
                return await asyncio.gather(*(fetcher.get(u) for u in urls))

        return asyncio.run(all_at_once())

    started = time.monotonic()
    assert all(r.body == b"done" for r in run(LOCAL.replace(fetch_concurrency=3, fetch_per_host=1)))
    assert peaks == {"127.0.0.1": 1, "localhost": 1, "all": 2}  # the per-host limit bites first
    assert time.monotonic() - started < 0.3 * 7  # yet the two hosts were served side by side
    peaks.clear()
    run(LOCAL.replace(fetch_concurrency=3, fetch_per_host=4))
    assert peaks["all"] == 3 and max(peaks["127.0.0.1"], peaks["localhost"]) >= 2  # now the global limit bites


def test_a_host_that_asked_us_to_wait_is_left_alone_for_the_pass(http_server: FixtureServer) -> None:
    for n in range(4):
        http_server.add(f"/busy{n}", b"", handler=answer(429, b"", Retry_After="600", Content_Length="0"))

    async def run() -> list[str]:
        async with Fetcher(LOCAL) as fetcher:
            errors = []
            for n in range(4):
                try:
                    await fetcher.get(f"{http_server.url}/busy{n}")
                except FetchError as exc:
                    errors.append(str(exc))
            return errors

    errors = asyncio.run(run())
    assert "HTTP 429" in errors[0] and all("asked us to wait" in e for e in errors[1:])
    assert [path for path, _ in http_server.hits if path.startswith("/busy")] == ["/busy0"]
