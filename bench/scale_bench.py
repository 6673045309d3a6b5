"""Scale benchmark: articles/s through the whole pipeline with 1, 2 and 4 `newsdesk worker` processes.

    .venv/bin/python bench/scale_bench.py [--data ../shared/data/cluster/multinews-dev.jsonl] [--workers 1 2 4]

Real news text (Multi-News full-text articles, read where they lie, never copied; the demo corpus when
the file is absent) is published by a local HTTP server as many small JSON feeds plus one HTML page
per article. Each run gets a new PostgreSQL database (PostgreSQL 16 + pgvector from the pgserver
wheel) and a new RabbitMQ queue; the scheduler queues every source, and the clock stops when every
article is stored, in a story and written and the queue is empty. CPU seconds are read per component
(workers, PostgreSQL, RabbitMQ, this process serving the feeds) to show where the time goes. A
single-process run of the same jobs first measures what each stage costs, for docs/scaling.md.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
from threadpoolctl import threadpool_limits

from newsdesk.demo.corpus import load_corpus
from newsdesk.jobs.local import LocalWorkers
from newsdesk.jobs.queue import DramatiqQueue, InlineQueue
from newsdesk.jobs.schedule import Scheduler
from newsdesk.jobs.worker import JobContext, run_job
from newsdesk.pipeline import now
from newsdesk.settings import Settings
from newsdesk.store import open_store
from newsdesk.store.pglocal import LocalPostgres

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "cluster" / "multinews-dev.jsonl"
BROKER = os.environ.get("NEWSDESK_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")
PER_FEED = 10  # articles per source: many sources, as a real installation has
T0 = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)


@dataclass(frozen=True)
class BenchArticle:
    """One article as the bench site publishes it."""

    title: str  # headline (the first words of the text when the data has none)
    paragraphs: tuple[str, ...]  # body
    published: datetime  # spread over the stream in file order


def load_articles(data: Path) -> list[BenchArticle]:
    """Multi-News articles when the file is there (title and text only: the labels are never read)."""
    if not data.is_file():
        return [BenchArticle(a.title, a.paragraphs, a.published) for a in load_corpus()]
    found = []
    for number, line in enumerate(data.read_text(encoding="utf-8").splitlines()):
        record = json.loads(line)
        paragraphs = tuple(p.strip() for p in record["text"].split("\n") if len(p.split()) > 3)
        if not paragraphs:
            continue
        title = record.get("title") or " ".join(paragraphs[0].split()[:12])
        found.append(BenchArticle(title, paragraphs, T0 + timedelta(minutes=10 * number)))
    return found


class BenchSite:
    """Feeds (JSON Feed, PER_FEED items each) and article pages on 127.0.0.1."""

    def __init__(self, articles: list[BenchArticle]) -> None:
        self.articles = articles
        files: dict[str, tuple[bytes, str]] = {}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                found = files.get(self.path)
                if found is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", found[1])
                self.send_header("Content-Length", str(len(found[0])))
                self.end_headers()
                self.wfile.write(found[0])

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        base = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self.feed_urls = []
        for start in range(0, len(articles), PER_FEED):
            feed = start // PER_FEED
            items = []
            for number in range(start, min(start + PER_FEED, len(articles))):
                article = articles[number]
                path = f"/s{feed}/{number}.html"
                body = "".join(f"<p>{escape(p)}</p>" for p in article.paragraphs)
                title = escape(article.title)
                page = (
                    f"<html><head><title>{title}</title><meta property='og:site_name' content='Outlet {feed % 40}'>"
                    f"</head><body><article><h1>{title}</h1>{body}</article></body></html>"
                )
                files[path] = (page.encode(), "text/html; charset=utf-8")
                items.append(
                    {
                        "id": base + path,
                        "url": base + path,
                        "title": article.title,
                        "summary": " ".join(article.paragraphs[0].split()[:25]),
                        "date_published": article.published.isoformat(),
                    }
                )
            feed_body = {"version": "https://jsonfeed.org/version/1.1", "title": f"Outlet {feed % 40}", "items": items}
            files[f"/s{feed}/feed.json"] = (json.dumps(feed_body).encode(), "application/feed+json")
            self.feed_urls.append(f"{base}/s{feed}/feed.json")
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._httpd.shutdown()


def stage_costs(pg: LocalPostgres, site: BenchSite) -> dict[str, float]:
    """One process, one thread, the same jobs in-process: seconds per article or story for each stage."""
    threadpool_limits(limits=1)  # as in a worker: one core's cost
    store = open_store(pg.create_database(f"stages_{uuid.uuid4().hex[:8]}"))
    for url in site.feed_urls:
        store.add_source(url, now())
    queue = InlineQueue()
    settings = Settings(allow_private_addresses=True)  # the bench site is on 127.0.0.1
    ctx = JobContext(store, settings, queue, settle=0.0)
    ctx.embedder.embed(["warm up"])
    Scheduler(store, settings, queue).tick()
    jobs: dict[str, list[float]] = defaultdict(list)

    def timed(job: str, key: str | int) -> None:
        started = time.perf_counter()
        run_job(ctx, job, key)
        jobs[job].append(time.perf_counter() - started)

    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    queue.run(timed)
    profile.disable()
    wall = time.perf_counter() - started
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]

    def seconds(function: str, module: str) -> float:
        return sum(v[3] for k, v in stats.items() if k[2] == function and module in k[0])

    def called_from(function: str, module: str, caller: str) -> float:
        return sum(
            timing[3]
            for k, v in stats.items()
            if k[2] == function and module in k[0]
            for site, timing in v[4].items()
            if site[2] == caller
        )

    # a second round over the same feeds: every source polled, nothing new (the steady state of most sources)
    later = now() + timedelta(minutes=settings.refresh_max_minutes + 1)
    polls = Scheduler(store, settings, queue).tick(later)
    started = time.perf_counter()
    queue.run(lambda job, key: run_job(ctx, job, key))
    poll = (time.perf_counter() - started) / max(1, polls)

    articles, stories = store.count_articles(), store.count_stories()
    embed = called_from("embed", "embed.py", "store_articles")  # the writer embeds sentences too: not counted here
    costs = {
        "articles": articles,
        "stories": stories,
        "wall_s": wall,
        "articles_per_s_one_thread": articles / wall,
        "refresh_ms_per_article": 1000 * sum(jobs["refresh_source"]) / articles,
        # of which: embedding, dedupe + storing (store_articles less its embedding), and the rest (pages
        # fetched and extracted on the refresh's thread pool, which the profiler does not see)
        "embed_ms_per_article": 1000 * embed / articles,
        "dedupe_store_ms_per_article": 1000 * (seconds("store_articles", "pipeline.py") - embed) / articles,
        "fetch_extract_ms_per_article": 1000
        * (sum(jobs["refresh_source"]) - seconds("store_articles", "pipeline.py"))
        / articles,
        "assign_ms_per_article": 1000 * sum(jobs["process_article"]) / articles,
        "write_ms_per_story_write": 1000 * seconds("rewrite_story", "pipeline.py") / max(1, len(jobs["rewrite_story"])),
        "rewrite_ms_per_job": 1000 * sum(jobs["rewrite_story"]) / max(1, len(jobs["rewrite_story"])),
        "relink_ms_per_job": 1000 * sum(jobs["relink_story"]) / max(1, len(jobs["relink_story"])),
        # of the relinks: profiling stories (entities with spaCy, topic and meaning with MiniLM), and scoring
        "profile_ms_per_article": 1000 * seconds("profile_stories", "pipeline.py") / articles,
        "link_ms_per_relink": 1000 * seconds("link_stories", "pipeline.py") / max(1, len(jobs["relink_story"])),
        "rewrites_per_article": len(jobs["rewrite_story"]) / articles,
        "relinks_per_article": len(jobs["relink_story"]) / articles,
        "poll_ms_per_source_unchanged": 1000 * poll,
    }
    store.close()
    return costs


def _cpu(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def _postgres(pg: LocalPostgres) -> list[psutil.Process]:
    pid = int((pg.folder / "data" / "postmaster.pid").read_text().split()[0])
    main = psutil.Process(pid)
    return [main, *main.children(recursive=True)]


def _rabbitmq() -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["name"]) if p.info["name"] == "beam.smp"]


def run_workers(pg: LocalPostgres, site: BenchSite, workers: int, threads: int, delay: float) -> dict[str, float]:
    """Everything through `workers` worker processes; wall time, throughput and CPU per component."""
    url = pg.create_database(f"w{workers}_{uuid.uuid4().hex[:8]}")
    settings = Settings(
        broker_url=BROKER,
        queue_name=f"bench-{uuid.uuid4().hex[:8]}",
        assign_delay_seconds=delay,
        allow_private_addresses=True,  # the bench site is on 127.0.0.1
    )
    store = open_store(url)
    for feed in site.feed_urls:
        store.add_source(feed, now())
    local = LocalWorkers(settings, url, Path(tempfile.mkdtemp(prefix="newsdesk-bench-")))
    for _ in range(workers):
        local.start(threads)
    watched = {
        "workers": [psutil.Process(p.pid) for p in local.processes],
        "postgres": _postgres(pg),
        "rabbitmq": _rabbitmq(),
    }
    me = psutil.Process()
    before = {name: _cpu(group) for name, group in watched.items()} | {"bench process": _cpu([me])}
    started = time.perf_counter()
    queue = DramatiqQueue(settings)
    Scheduler(store, settings, queue).tick()
    queue.close()  # an idle connection would be dropped by the broker's heartbeat during the run
    wall = time.perf_counter() - started + local.wait_done(store, len(site.articles), timeout=1800)
    watched["postgres"] = _postgres(pg)  # backends come and go: count those alive at the end too
    after = {name: _cpu(group) for name, group in watched.items()} | {"bench process": _cpu([me])}
    local.stop()
    queue = DramatiqQueue(settings)
    queue.delete_queues()
    queue.close()
    result = {
        "workers": workers,
        "threads": threads,
        "articles": store.count_articles(),
        "stories": store.count_stories(),
        "wall_s": round(wall, 2),
        "articles_per_s": round(len(site.articles) / wall, 2),
    }
    result |= {f"cpu_s_{name}": round(max(0.0, after[name] - before[name]), 2) for name in after}
    store.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="JSON lines with title/text (Multi-News)")
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2, 4], help="worker processes per run")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker")
    parser.add_argument("--delay", type=float, default=1.0, help="assign_delay_seconds for the workers")
    parser.add_argument("--limit", type=int, help="use only the first N articles")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--no-stages", action="store_true", help="skip the single-process stage costs")
    args = parser.parse_args()
    articles = load_articles(args.data)[: args.limit]
    print(f"{len(articles)} articles from {args.data if args.data.is_file() else 'the demo corpus'}", flush=True)
    site = BenchSite(articles)
    print(f"{len(site.feed_urls)} sources; {os.cpu_count()} cores", flush=True)
    results: dict[str, object] = {
        "articles": len(articles),
        "sources": len(site.feed_urls),
        "cores": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
    }
    with LocalPostgres() as pg:
        if not args.no_stages:
            costs = stage_costs(pg, site)
            results["stages"] = costs
            print(json.dumps(costs, indent=1), flush=True)
        runs: list[dict[str, float]] = []
        for workers in args.workers:
            run = run_workers(pg, site, workers, args.threads, args.delay)
            runs.append(run)
            print(json.dumps(run), flush=True)
        results["runs"] = runs
    results["load_average_at_end"] = os.getloadavg()
    site.close()
    if not runs:
        return
    base = runs[0]["articles_per_s"]
    for run in runs:
        rate = float(run["articles_per_s"])
        print(f"{run['workers']} worker(s): {rate:.1f} articles/s ({rate / float(base):.2f}x)")
    if args.out:
        args.out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
