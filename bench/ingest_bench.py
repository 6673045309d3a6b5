"""Ingestion benchmark: a local server publishing many feeds with article pages, read by the real refresh pass.

    .venv/bin/python bench/ingest_bench.py                # 500 feeds x 20 items (10,000 articles with pages)
    .venv/bin/python bench/ingest_bench.py --feeds 50     # a quicker look

Reports articles/s for fetch + parse + extract (the refresh pass's polling, storing nothing but source health)
with concurrency 1 (on the first --serial-feeds feeds, 50 by default, since it is slow) and with the default
settings (all feeds), each run's peak memory (RSS), and an OPML import of 1,000 sources followed by one
refresh pass over them (feeds only). The server runs in its own process, spread over 20 loopback addresses
(127.0.0.2-21) so that per-host limits apply as they would across real outlets, and waits --latency seconds
(0.1 by default) before each answer, as a real server on the internet would take. Not a test: the numbers
depend on the machine and how busy it is.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HOSTS = [f"127.0.0.{n}" for n in range(2, 22)]
WORDS = (
    "council harbour minister river election budget strike court vote bridge plan market union storm port "
    "school hospital rail police mayor energy price trade weather farm league match report review museum "
    "said agreed warned rejected announced expected opened closed raised cut backed delayed confirmed "
    "on Tuesday after weeks of talks in the north under pressure from residents with new figures showing"
).split()
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(12, 24))]
    return " ".join(words).capitalize() + "."


def article_page(feed: int, item: int) -> bytes:
    """An article page of about 450 words with an outlet's navigation, promos, scripts and footer."""
    rng = random.Random(feed * 1000 + item)
    title = f"Story {item} of outlet {feed}: " + " ".join(rng.choice(WORDS) for _ in range(6))
    paragraphs = "".join(f"<p>{' '.join(sentence(rng) for _ in range(4))}</p>\n" for _ in range(6))
    nav = "".join(f"<li><a href='/section/{n}'>Section {n}</a></li>" for n in range(40))
    related = "".join(f"<li><a href='/a/{feed}/{(item + n) % 20}.html'>Related story {n}</a></li>" for n in range(8))
    published = (T0 - timedelta(hours=item)).isoformat()
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title} | Outlet {feed}</title><meta property='og:site_name' content='Outlet {feed}'>"
        f"<meta property='article:published_time' content='{published}'>"
        f"<link rel='canonical' href='/a/{feed}/{item}.html?utm_source=bench'>"
        f"<script>window.__STATE__ = {json.dumps({'ads': ['slot'] * 200, 'feed': feed})};</script>"
        f"<style>{'.x{color:red}' * 300}</style></head><body><header><nav><ul>{nav}</ul></nav></header>"
        f"<main><article><h1>{title}</h1><p class='byline'>By Reporter {item}</p>{paragraphs}</article>"
        f"<aside><h2>Related</h2><ul>{related}</ul><p>Sign up for our newsletter.</p></aside></main>"
        f"<footer><p>© 2026 Outlet {feed}. All rights reserved.</p>{nav}</footer></body></html>"
    ).encode()


def feed_document(feed: int, items: int) -> bytes:
    """An RSS 2.0 feed of teaser items, so every page is fetched."""
    rng = random.Random(feed)
    entries = "".join(
        f"<item><title>Story {item} of outlet {feed}</title><link>/a/{feed}/{item}.html</link>"
        f"<guid>outlet-{feed}-{item}</guid><pubDate>{format_datetime(T0 - timedelta(hours=item))}</pubDate>"
        f"<description>{sentence(rng)} …</description></item>"
        for item in range(items)
    )
    return (f'<rss version="2.0"><channel><title>Outlet {feed}</title>{entries}</channel></rss>').encode()


def serve(items: int, latency: float, ready: Any) -> None:
    """Serve every feed and page on 20 loopback addresses, until killed."""
    import threading

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            parts = self.path.split("?", 1)[0].strip("/").split("/")
            try:
                if parts[0] == "f":
                    body, kind = feed_document(int(parts[1].removesuffix(".xml")), items), "application/rss+xml"
                elif parts[0] == "a":
                    body, kind = article_page(int(parts[1]), int(parts[2].removesuffix(".html"))), "text/html"
                else:
                    raise ValueError
            except (ValueError, IndexError):
                self.send_error(404)
                return
            time.sleep(latency)
            self.send_response(200)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    ports = []
    for host in HOSTS:
        server = ThreadingHTTPServer((host, 0), Handler)
        ports.append(server.server_address[1])
        threading.Thread(target=server.serve_forever, daemon=True).start()
    ready.send(ports)
    threading.Event().wait()


def feed_urls(ports: list[int], feeds: int) -> list[str]:
    return [f"http://{HOSTS[n % len(HOSTS)]}:{ports[n % len(HOSTS)]}/f/{n}.xml" for n in range(feeds)]


def measure_pass(urls: list[str], overrides: dict[str, Any]) -> dict[str, Any]:
    """One refresh pass's polling (fetch + parse + extract) over fresh sources; nothing but health is stored."""
    from newsdesk.ingest.poll import poll_sources
    from newsdesk.settings import Settings
    from newsdesk.store import open_store

    settings = Settings(allow_private_addresses=True, **overrides)
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{folder}/bench.db")
        for url in urls:
            store.add_source(url, datetime.now(UTC))
        kept: list[int] = []

        def count(articles: list[Any]) -> tuple[int, int]:
            kept.append(sum(not a.partial for a in articles))
            return len(articles), 0

        started = time.perf_counter()
        results = poll_sources(store, settings, store.list_sources(), count, lambda _: None, datetime.now(UTC))
        seconds = time.perf_counter() - started
        store.close()
    articles = sum(r.stored for r in results)
    return {
        "settings": overrides,
        "sources": len(urls),
        "failed": sum(1 for r in results if r.error),
        "articles": articles,
        "full_text": sum(kept),
        "seconds": round(seconds, 1),
        "articles_per_s": round(articles / seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def measure_opml(urls: list[str]) -> dict[str, Any]:
    """Import sources from an OPML file, then one refresh pass over them (feeds only, no pages)."""
    from newsdesk.desk import open_desk
    from newsdesk.settings import Settings

    outlines = "".join(f'<outline type="rss" text="Outlet {n}" xmlUrl="{u}"/>' for n, u in enumerate(urls))
    document = f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>'.encode()
    settings = Settings(allow_private_addresses=True, fetch_full_text=False)
    with tempfile.TemporaryDirectory() as folder, open_desk(f"sqlite:///{folder}/opml.db", settings) as desk:
        started = time.perf_counter()
        added, _ = desk.import_opml(document)
        imported = time.perf_counter() - started
        from newsdesk.ingest.poll import poll_sources
        from newsdesk.pipeline import now

        started = time.perf_counter()
        results = poll_sources(desk.store, settings, desk.sources(), lambda a: (len(a), 0), lambda _: None, now())
        polled = time.perf_counter() - started
        healthy = sum(1 for s in desk.sources() if s.last_success_at is not None and not s.last_error)
    return {
        "imported": added,
        "import_seconds": round(imported, 2),
        "pass_seconds": round(polled, 1),
        "sources_ok": healthy,
        "failed": sum(1 for r in results if r.error),
        "articles": sum(r.stored for r in results),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def child(arguments: list[str]) -> dict[str, Any]:
    """Run one measurement in a fresh process, so each peak RSS is its own."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *arguments], capture_output=True, text=True, check=True
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=500, help="feeds to read (default 500)")
    parser.add_argument("--items", type=int, default=20, help="items per feed (default 20)")
    parser.add_argument("--opml-sources", type=int, default=1000, help="sources in the OPML import (default 1000)")
    parser.add_argument("--serial-feeds", type=int, default=50, help="feeds for the concurrency-1 run (0: skip it)")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds the server waits before answering")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: run one measurement and print JSON
    parser.add_argument("--ports", help=argparse.SUPPRESS)
    parser.add_argument("--settings", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        ports = [int(p) for p in args.ports.split(",")]
        if args.measure == "pass":
            result = measure_pass(feed_urls(ports, args.feeds), json.loads(args.settings))
        else:
            result = measure_opml(feed_urls(ports, args.opml_sources))
        print(json.dumps(result))
        return
    receive, send = multiprocessing.Pipe(duplex=False)
    server = multiprocessing.Process(target=serve, args=(args.items, args.latency, send), daemon=True)
    server.start()
    ports = receive.recv()
    common = ["--ports", ",".join(map(str, ports)), "--opml-sources", str(args.opml_sources)]
    try:
        runs = []
        if args.serial_feeds:
            serial = json.dumps({"fetch_concurrency": 1, "fetch_per_host": 1})
            runs.append(child(["--measure", "pass", *common, "--feeds", str(args.serial_feeds), "--settings", serial]))
        runs.append(child(["--measure", "pass", *common, "--feeds", str(args.feeds)]))
        opml = child(["--measure", "opml", *common])
    finally:
        server.kill()
    print(
        f"feeds of {args.items} teaser items with their pages, on {len(HOSTS)} local hosts answering after "
        f"{args.latency:g} s; fetch + parse + extract:"
    )
    for run in runs:
        label = "concurrency 1" if run["settings"] else "default settings"
        print(
            f"  {label:<17} {run['sources']:>4} feeds, {run['articles']:>6} articles ({run['full_text']} full text, "
            f"{run['failed']} sources failed) in {run['seconds']:>6.1f} s = {run['articles_per_s']:>6.1f} articles/s, "
            f"peak RSS {run['peak_rss_mb']:.0f} MB"
        )
    print(
        f"OPML import of {opml['imported']} sources: {opml['import_seconds']:.2f} s; first pass (feeds only): "
        f"{opml['pass_seconds']:.1f} s, {opml['sources_ok']} sources ok, {opml['failed']} failed, "
        f"{opml['articles']} articles, peak RSS {opml['peak_rss_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
