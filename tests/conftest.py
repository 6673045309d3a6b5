"""Shared fixtures: real SQLite files, a real PostgreSQL, a real local HTTP server, the demo corpus over HTTP."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newsdesk import Desk, open_desk
from newsdesk.demo.server import DemoServer
from newsdesk.settings import Settings
from newsdesk.store.pglocal import LocalPostgres

FIXTURES = Path(__file__).parent / "fixtures"
Handler = Callable[[BaseHTTPRequestHandler], None]
# every test server listens on 127.0.0.1, which the SSRF guard refuses by default
LOCAL = Settings(allow_private_addresses=True)


def page(title: str, extra_head: str = "") -> str:
    """An article page whose text is its own (so no two pages are copies of each other)."""
    body = "".join(
        f"<p>{title}: reporters at the harbour said on Tuesday that the council had met twice about it, "
        f"and that a decision on point {n} would follow before the end of the month.</p>"
        for n in range(1, 4)
    )
    return (
        f"<!doctype html><html lang='en'><head><title>{title}</title>{extra_head}"
        f"<meta property='og:site_name' content='Fixture Gazette'></head>"
        f"<body><nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{body}</article></body></html>"
    )


def rss(title: str, items: list[tuple[str, str]], extra: str = "", prolog: str = "") -> str:
    """An RSS 2.0 feed; each item is (title, link) and carries only a teaser."""
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link><description>Teaser of {t}.</description></item>"
        for t, link in items
    )
    return f'{prolog}<rss version="2.0"><channel><title>{title}</title>{extra}{entries}</channel></rss>'


def streamed(status: int, chunks: Iterable[bytes], delay: float = 0.0, **headers: str) -> Handler:
    """A route handler sending these headers ("_" in a name becomes "-"), then each chunk after a pause,
    on a connection it closes at the end (so no Content-Length is needed)."""

    def handle(request: BaseHTTPRequestHandler) -> None:
        request.send_response(status)
        for key, value in headers.items():
            request.send_header(key.replace("_", "-"), value)
        request.send_header("Connection", "close")
        request.end_headers()
        request.close_connection = True
        for chunk in chunks:
            time.sleep(delay)
            request.wfile.write(chunk)
            request.wfile.flush()

    return handle


@dataclass
class Route:
    """What the fixture server answers on one path."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = False  # answer If-None-Match with 304
    handler: Handler | None = None  # answers by itself (drips, endless bodies, answers that change)


class FixtureServer:
    """A real HTTP server on <host>:<free port> (127.0.0.1 unless told) whose routes tests set."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[tuple[str, dict[str, str]]] = []
        self.active = self.peak = 0  # requests being answered now, and the most at once
        routes, hits, lock, server = self.routes, self.hits, threading.Lock(), self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                with lock:
                    server.active += 1
                    server.peak = max(server.peak, server.active)
                try:
                    self.answer()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up, as it should with hostile answers
                finally:
                    with lock:
                        server.active -= 1

            def answer(self) -> None:
                hits.append((self.path, dict(self.headers)))
                route = routes.get(self.path)
                if route is None:
                    self.send_error(404, "Not Found")
                    return
                if route.handler is not None:
                    route.handler(self)
                    return
                tag = '"' + hashlib.sha1(route.body).hexdigest()[:12] + '"'
                if route.etag and self.headers.get("If-None-Match") == tag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                if route.etag:
                    self.send_header("ETag", tag)
                for key, value in route.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self._httpd = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def add(self, path: str, body: bytes | str, **kwargs: object) -> str:
        """Serve `body` at `path`; returns the full URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(body=data, **kwargs)  # type: ignore[arg-type]
        return self.url + path

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def http_server() -> Iterator[FixtureServer]:
    server = FixtureServer()
    yield server
    server.close()


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    with open_desk(f"sqlite:///{tmp_path / 'news.db'}", LOCAL) as opened:
        yield opened


@pytest.fixture(scope="session")
def demo_server() -> Iterator[DemoServer]:
    with DemoServer() as server:
        yield server


@pytest.fixture(scope="session")
def demo_desk(demo_server: DemoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """The whole demo corpus ingested once through the real fetch path."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    with open_desk(f"sqlite:///{path}", LOCAL) as opened:
        for url in demo_server.feed_urls:
            opened.add_source(url)
        report = opened.refresh()
        assert not report.failed, report.failed
        yield opened


@pytest.fixture(scope="session")
def pg_server() -> Iterator[LocalPostgres]:
    """A real PostgreSQL 16 with pgvector (from the pgserver wheel) on a loopback port, for the session."""
    server = LocalPostgres().start()  # in its own /tmp folder: pytest's are private to root, and it runs as postgres
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server: LocalPostgres, request: pytest.FixtureRequest) -> str:
    """The URL of a new, empty database on that server."""
    name = "t_" + hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:16]
    return pg_server.create_database(name)
