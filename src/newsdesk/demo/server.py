"""A local HTTP server that publishes the demo site, with ETags so conditional GET is exercised."""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from newsdesk.demo.corpus import DemoArticle, load_corpus
from newsdesk.demo.site import build_site, feed_urls


class DemoServer:
    """Serves the demo outlets' feeds and pages on 127.0.0.1 from a background thread."""

    def __init__(self, articles: list[DemoArticle] | None = None, port: int = 0) -> None:
        self.articles = articles if articles is not None else load_corpus()
        files: dict[str, tuple[bytes, str]] = {}
        self.requests: list[str] = []  # paths served, for tests and progress

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                found = files.get(self.path.split("?", 1)[0])
                if found is None:
                    self.send_error(404)
                    return
                body, ctype = found
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        server = self
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        files.update(build_site(self.articles, self.base_url))
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def start(self) -> DemoServer:
        """Start serving in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def feed_urls(self) -> list[str]:
        """Every outlet's feed URL on this server."""
        return feed_urls(self.base_url)
