"""HTTP fetching: async and concurrent within a global and a per-host limit, polite, capped, retried (httpx).

Every request: robots.txt checked, our User-Agent sent, conditional GET when we have validators, timeouts
for connect and each read plus a deadline for the whole response, a redirect limit, a size cap applied
after decompression, retries with back-off on 429/5xx honouring Retry-After, and the SSRF guard.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from urllib.parse import urlsplit

import httpx

from newsdesk.errors import FetchError
from newsdesk.ingest.decoding import CappedDecoder
from newsdesk.ingest.robots import ROBOTS_MAX_BYTES, RobotsPolicy
from newsdesk.ingest.safety import RefusedAddressError, make_transport
from newsdesk.settings import Settings

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5"
)
MAX_RETRY_AFTER = 7 * 24 * 3600.0  # longer asks are read as a week


@dataclass(frozen=True)
class Response:
    """A fetched document, or a 304 with no body."""

    url: str  # final URL after redirects
    status: int  # 2xx or 304
    body: bytes  # the document, decompressed (b"" for 304)
    content_type: str  # Content-Type header, or ""
    etag: str | None  # ETag header, for the next conditional GET
    last_modified: str | None  # Last-Modified header, for the next conditional GET

    @property
    def not_modified(self) -> bool:
        """True when the server said nothing changed since our last fetch."""
        return self.status == 304


class _RetryLaterError(Exception):
    """A 429 or 5xx answer: worth asking again after a while."""

    def __init__(self, status: int, phrase: str, wait: float | None) -> None:
        super().__init__(f"HTTP {status} {phrase}".rstrip())
        self.status = status
        self.wait = wait


def retry_after_seconds(value: str | None, at: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - (at or datetime.now(UTC))).total_seconds()), MAX_RETRY_AFTER)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


class Fetcher:
    """One refresh pass's HTTP client; use as `async with Fetcher(settings) as fetcher`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        limits = httpx.Limits(
            max_connections=settings.fetch_concurrency * 2, max_keepalive_connections=settings.fetch_concurrency * 2
        )
        self._client = httpx.AsyncClient(
            transport=make_transport(settings.allow_private_addresses, settings.fetch_timeout, limits),
            headers={"User-Agent": settings.user_agent, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate, br"},
            timeout=httpx.Timeout(settings.fetch_timeout),
            follow_redirects=True,
            max_redirects=settings.fetch_max_redirects,
        )
        self._global = asyncio.Semaphore(settings.fetch_concurrency)
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.fetch_per_host)
        )
        self._robots = RobotsPolicy(settings.user_agent, self._robots_txt)
        self._paused: dict[str, float] = {}  # host -> loop time until which it asked us (Retry-After) to wait
        self.requests = 0  # requests sent (robots.txt and retries included), for reports and benchmarks

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._client.aclose()

    async def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Response:
        """GET a URL politely; raises FetchError (with status and retry_after when known) on any failure."""
        if not url.startswith(("http://", "https://")):
            raise FetchError(f"{url}: only http and https URLs can be fetched")
        host = (urlsplit(url).hostname or "").lower()
        wait = self._paused.get(host, 0.0) - asyncio.get_running_loop().time()
        if wait > 0:  # the host said to come back later: do not ask it again in this pass
            raise FetchError(f"{url}: the host asked us to wait {wait:.0f} s more (Retry-After)", retry_after=wait)
        try:
            allowed = await self._robots.allowed(url)
        except FetchError as exc:
            raise FetchError(f"{url}: {str(exc).split(': ', 1)[-1]}") from None
        if not allowed:
            raise FetchError(f"{url}: robots.txt does not allow us to fetch it")
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        attempt = 0
        while True:
            try:
                return await self._request(url, headers, self.settings.max_response_bytes)
            except _RetryLaterError as later:
                wait = later.wait if later.wait is not None else 0.5 * 2**attempt
                if attempt >= self.settings.fetch_retries or wait > self.settings.fetch_timeout:
                    if later.wait is not None:
                        self._paused[host] = asyncio.get_running_loop().time() + later.wait
                    asked = f" (asked to retry after {later.wait:.0f} s)" if later.wait is not None else ""
                    raise FetchError(f"{url}: {later}{asked}", status=later.status, retry_after=later.wait) from None
            attempt += 1
            await asyncio.sleep(wait)

    async def _robots_txt(self, robots_url: str) -> tuple[int, bytes]:
        try:
            reply = await self._request(robots_url, {}, ROBOTS_MAX_BYTES)
        except _RetryLaterError as later:
            return later.status, b""
        except FetchError as exc:
            if exc.status is None:
                raise
            return exc.status, b""
        return reply.status, reply.body

    async def _request(self, url: str, headers: dict[str, str], max_bytes: int) -> Response:
        host = (urlsplit(url).hostname or "").lower()
        async with self._hosts[host], self._global:
            self.requests += 1
            try:
                async with asyncio.timeout(self.settings.fetch_deadline):
                    async with self._client.stream("GET", url, headers=headers) as reply:
                        return await self._read(url, reply, max_bytes)
            except TimeoutError:
                raise FetchError(f"{url}: took longer than {self.settings.fetch_deadline:g} s") from None
            except RefusedAddressError as exc:
                raise FetchError(f"{url}: {exc}") from None
            except httpx.TooManyRedirects:
                raise FetchError(f"{url}: too many redirects (more than {self.settings.fetch_max_redirects})") from None
            except httpx.TimeoutException:
                raise FetchError(f"{url}: timed out (nothing for {self.settings.fetch_timeout:g} s)") from None
            except httpx.ConnectError as exc:
                raise FetchError(f"{url}: cannot connect ({_reason(exc)})") from None
            except httpx.UnsupportedProtocol:
                raise FetchError(f"{url}: redirected to a URL that is not http or https") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"{url}: {_reason(exc)}") from None

    async def _read(self, url: str, reply: httpx.Response, max_bytes: int) -> Response:
        status = reply.status_code
        etag, last_modified = reply.headers.get("ETag"), reply.headers.get("Last-Modified")
        if status == 304:
            return Response(str(reply.url), 304, b"", "", etag, last_modified)
        if status in RETRY_STATUSES:
            raise _RetryLaterError(status, reply.reason_phrase, retry_after_seconds(reply.headers.get("Retry-After")))
        if status == 410:
            raise FetchError(f"{url}: HTTP 410 Gone (the server says it is retired for good)", status=410)
        if status >= 300:
            raise FetchError(f"{url}: HTTP {status} {reply.reason_phrase}".rstrip(), status=status)
        declared = reply.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FetchError(f"{url}: response of {declared} bytes is over the {max_bytes}-byte cap")
        decoder = CappedDecoder(reply.headers.get("Content-Encoding", ""), max_bytes, url)
        async for chunk in reply.aiter_raw():
            decoder.feed(chunk)
        return Response(
            str(reply.url), status, decoder.finish(), reply.headers.get("Content-Type", ""), etag, last_modified
        )


async def _fetch_once(settings: Settings, url: str) -> Response:
    async with Fetcher(settings) as fetcher:
        return await fetcher.get(url)


def fetch_once(settings: Settings, url: str) -> Response:
    """Fetch one URL outside a refresh pass (e.g. to look at what a user is adding)."""
    return asyncio.run(_fetch_once(settings, url))
