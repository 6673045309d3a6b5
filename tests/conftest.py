"""Shared fixtures: real SQLite files, a real local HTTP server, the demo corpus served over HTTP."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newsdesk import Desk, open_desk
from newsdesk.demo.server import DemoServer
from newsdesk.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
# every test server listens on 127.0.0.1, which the SSRF guard refuses by default
LOCAL = Settings(allow_private_addresses=True)


@dataclass
class Route:
    """What the fixture server answers on one path."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = False  # answer If-None-Match with 304
    handler: Callable[[BaseHTTPRequestHandler], None] | None = None  # answers by itself (drips, endless bodies)


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
