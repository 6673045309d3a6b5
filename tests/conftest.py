"""Shared fixtures: real SQLite files, a real local HTTP server, the demo corpus served over HTTP."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newsdesk import Desk, open_desk
from newsdesk.demo.server import DemoServer
from newsdesk.settings import Settings
from newsdesk.store.pglocal import LocalPostgres

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class Route:
    """What the fixture server answers on one path."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = False  # answer If-None-Match with 304


class FixtureServer:
    """A real HTTP server on 127.0.0.1:<free port> whose routes tests set."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[tuple[str, dict[str, str]]] = []
        routes, hits = self.routes, self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append((self.path, dict(self.headers)))
                route = routes.get(self.path)
                if route is None:
                    self.send_error(404, "Not Found")
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

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
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
    with open_desk(f"sqlite:///{tmp_path / 'news.db'}", Settings()) as opened:
        yield opened


@pytest.fixture(scope="session")
def demo_server() -> Iterator[DemoServer]:
    with DemoServer() as server:
        yield server


@pytest.fixture(scope="session")
def demo_desk(demo_server: DemoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """The whole demo corpus ingested once through the real fetch path."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    with open_desk(f"sqlite:///{path}", Settings()) as opened:
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
