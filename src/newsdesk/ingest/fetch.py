"""HTTP fetching with conditional GET, timeouts and a size cap (httpx)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from newsdesk.errors import FetchError
from newsdesk.settings import Settings


@dataclass(frozen=True)
class Response:
    """A fetched document, or a 304 with no body."""

    url: str  # final URL after redirects
    status: int  # 200 or 304
    body: bytes  # the document ("" for 304)
    content_type: str  # Content-Type header, or ""
    etag: str | None  # ETag header, for the next conditional GET
    last_modified: str | None  # Last-Modified header, for the next conditional GET

    @property
    def not_modified(self) -> bool:
        """True when the server said nothing changed since our last fetch."""
        return self.status == 304


def make_client(settings: Settings) -> httpx.Client:
    """One HTTP client for a refresh pass (connection reuse, our User-Agent, timeouts)."""
    return httpx.Client(
        headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
        timeout=httpx.Timeout(settings.fetch_timeout),
        follow_redirects=True,
        max_redirects=5,
    )


def fetch(
    client: httpx.Client,
    url: str,
    *,
    max_bytes: int,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Response:
    """GET a URL; raises FetchError with one clear line on any failure."""
    if not url.startswith(("http://", "https://")):
        raise FetchError(f"{url}: only http and https URLs can be fetched")
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        with client.stream("GET", url, headers=headers) as reply:
            if reply.status_code == 304:
                return Response(str(reply.url), 304, b"", "", etag, last_modified)
            if reply.status_code >= 400:
                raise FetchError(f"{url}: HTTP {reply.status_code} {reply.reason_phrase}".rstrip())
            declared = reply.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"{url}: response of {declared} bytes is over the {max_bytes}-byte cap")
            chunks: list[bytes] = []
            size = 0
            for chunk in reply.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"{url}: response is over the {max_bytes}-byte cap")
                chunks.append(chunk)
            return Response(
                url=str(reply.url),
                status=reply.status_code,
                body=b"".join(chunks),
                content_type=reply.headers.get("Content-Type", ""),
                etag=reply.headers.get("ETag"),
                last_modified=reply.headers.get("Last-Modified"),
            )
    except httpx.TooManyRedirects:
        raise FetchError(f"{url}: too many redirects") from None
    except httpx.TimeoutException:
        raise FetchError(f"{url}: timed out") from None
    except httpx.ConnectError as exc:
        raise FetchError(f"{url}: cannot connect ({_reason(exc)})") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"{url}: {_reason(exc)}") from None


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__
