"""Web benchmark: page latency and throughput for home, story and search pages over 100,000 stories.

    .venv/bin/python bench/web_bench.py [--stories 100000] [--db PATH] [--seconds 20]

1. Builds (once; reused while it holds the asked number of stories) a SQLite store of N stories made
   from the demo corpus by variation: every story is a demo story with its names (and its entities')
   replaced by made-up ones, its times moved back, its centroid nudged, and 18 related stories; written
   through the schema's own triggers (counts, full-text index), like the pipeline's writes.
2. Starts `newsdesk serve` on it in its own process (rate limits off), on 127.0.0.1.
3. From this process, sends requests at a fixed rate (open loop: latency counts from when a request
   was due, so a slow server cannot hide its queue) and reports p50/p99 and the rate achieved, then
   the most requests per second it can serve (closed loop, wrk when installed, else this process).

Not a test: the numbers depend on the machine. Targets: story page p99 < 50 ms at 200 req/s, search p99 < 150 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import numpy as np

from newsdesk import open_desk
from newsdesk.demo.server import DemoServer
from newsdesk.publish.slugs import slugify
from newsdesk.settings import Settings
from newsdesk.store import open_store
from newsdesk.store.codec import decode_time, encode_time, encode_vector
from newsdesk.web.site import story_url

ROOT = Path(__file__).resolve().parent.parent
SYLLABLES = ["ka", "lor", "ven", "dri", "sto", "mar", "eli", "qua", "bren", "tor", "ashi", "vel", "nor", "pra", "zel"]
NAME = re.compile(r"\b[A-Z][a-z]{3,}\b")


def made_up_name(word: str, variant: int) -> str:
    """A stable made-up replacement for a capitalised word in one variant."""
    rng = random.Random(f"{word}/{variant}")
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def vary(text: str, names: dict[str, str]) -> str:
    return NAME.sub(lambda m: names.get(m.group(0), m.group(0)), text)


def build_store(path: Path, count: int) -> None:
    """A store of `count` stories varied from the demo corpus."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder, DemoServer() as demo:
        seed_url = f"sqlite:///{folder}/seed.db"
        with open_desk(seed_url, Settings(allow_private_addresses=True)) as seed:
            for url in demo.feed_urls:
                seed.add_source(url)
            seed.refresh()
        source = sqlite3.connect(f"{folder}/seed.db")
        source.row_factory = sqlite3.Row
        stories = [dict(r) for r in source.execute("SELECT * FROM stories WHERE headline != ''")]
        articles = [dict(r) for r in source.execute("SELECT * FROM articles")]
        named = [
            dict(r)
            for r in source.execute(
                "SELECT se.story_id, se.salience, e.name, e.kind "
                "FROM story_entities se JOIN entities e ON e.slug = se.entity_slug"
            )
        ]
        source.close()
    by_story: dict[str, list[dict]] = {}
    for article in articles:
        by_story.setdefault(article["story_id"], []).append(article)
    entities_of: dict[str, list[dict]] = {}
    for mention in named:
        entities_of.setdefault(mention["story_id"], []).append(mention)
    open_store(f"sqlite:///{path}").close()  # the schema, migrated
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    newest = max(decode_time(s["updated_at"]) for s in stories)
    rng = np.random.default_rng(7)
    batch = 2000
    for start in range(0, count, batch):
        db.execute("BEGIN")
        story_rows, article_rows, writings, entity_rows, mention_rows = [], [], [], [], []
        for number in range(start, min(count, start + batch)):
            base = stories[number % len(stories)]
            variant = number // len(stories)
            story_id = f"b{number:011d}"
            mentions = entities_of.get(base["id"], [])
            words = set(NAME.findall(" ".join([base["headline"], base["standfirst"], *(m["name"] for m in mentions)])))
            names = {w: made_up_name(w, variant) for w in words} if variant else {}
            shift = timedelta(minutes=5 * number)
            updated = newest - shift
            created = decode_time(base["created_at"]) - (decode_time(base["updated_at"]) - updated)
            centroid = np.frombuffer(base["centroid"], dtype=np.float32) + rng.normal(0, 0.03, 256).astype(np.float32)
            centroid /= np.linalg.norm(centroid)
            story_rows.append(
                (story_id, encode_time(created), encode_time(updated), base["topic"], encode_vector(centroid))
            )
            members = by_story.get(base["id"], [])
            id_of = {article["id"]: f"{story_id}a{k}" for k, article in enumerate(members)}
            for k, article in enumerate(members):
                published = decode_time(article["published"]) - shift
                text = vary("\n\n".join(article["text"].split("\n\n")[:3]), names)
                article_rows.append(
                    (
                        f"{story_id}a{k}",
                        f"http://bench.invalid/{story_id}/{k}",
                        article["outlet"],
                        vary(article["title"], names),
                        text,
                        encode_time(published),
                        article["section"],
                        f"{story_id}h{k}",
                        id_of.get(article["copy_of"]) if article["copy_of"] else None,
                        story_id,
                    )
                )
            writing = re.sub(
                r'"([0-9a-f]{12})"', lambda m, ids=id_of: f'"{ids.get(m.group(1), m.group(1))}"', base["writing"]
            )
            writing = vary(writing, names)  # citations point at the variant's own articles
            writings.append((vary(base["headline"], names), vary(base["standfirst"], names), writing, story_id))
            for mention in mentions:  # the variant names its own people and places, shared by its neighbours
                name = vary(mention["name"], names)
                entity_rows.append((slugify(name), name, mention["kind"]))
                mention_rows.append((story_id, slugify(name), mention["salience"]))
        db.executemany(
            "INSERT INTO stories (id, created_at, updated_at, topic, centroid, dirty) VALUES (?, ?, ?, ?, ?, 0)",
            story_rows,
        )
        db.executemany(
            """INSERT INTO articles (id, url, outlet, title, text, published, section, content_hash, copy_of, story_id)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            article_rows,
        )
        db.executemany("UPDATE stories SET headline = ?, standfirst = ?, writing = ? WHERE id = ?", writings)
        db.executemany("INSERT OR IGNORE INTO entities (slug, name, kind) VALUES (?, ?, ?)", entity_rows)
        db.executemany(
            "INSERT OR IGNORE INTO story_entities (story_id, entity_slug, salience) VALUES (?, ?, ?)", mention_rows
        )
        db.execute("COMMIT")
        if (start // batch) % 10 == 0:
            print(f"  {start + len(story_rows):,} stories ({time.perf_counter() - started:.0f}s)", flush=True)
    add_related(db, count)
    db.execute("ANALYZE")
    db.close()
    print(f"built {count:,} stories in {time.perf_counter() - started:.0f}s: {path}", flush=True)


def add_related(db: sqlite3.Connection, count: int) -> None:
    """18 related stories each: neighbours in time (variants of other demo stories)."""
    rng = random.Random(11)
    for start in range(0, count, 20_000):
        rows = []
        for number in range(start, min(count, start + 20_000)):
            others = rng.sample(range(max(0, number - 3000), min(count, number + 3000)), 19)
            others = [o for o in others if o != number][:18]
            rows += [
                (f"b{number:011d}", rank, f"b{o:011d}", round(0.9 - rank * 0.02, 3), ("related", "same topic")[o % 2])
                for rank, o in enumerate(others)
            ]
        db.execute("BEGIN")
        db.executemany("INSERT INTO related (story_id, rank, related_id, score, label) VALUES (?, ?, ?, ?, ?)", rows)
        db.execute("COMMIT")


def store_size(path: Path) -> int:
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        try:
            if db.execute("SELECT 1 FROM story_entities LIMIT 1").fetchone() is None:
                return 0  # built before stories named entities: build again
            return int(db.execute("SELECT COUNT(*) FROM stories WHERE headline != ''").fetchone()[0])
        except sqlite3.Error:
            return 0


@dataclass
class Targets:
    """What to request: story paths and search queries sampled from the store."""

    stories: list[str]
    searches: list[str]


def sample_targets(path: Path, n: int = 3000) -> Targets:
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT id, headline FROM stories WHERE headline != '' ORDER BY random() LIMIT ?", (n,)
        ).fetchall()
    rng = random.Random(5)
    stories = [story_url(i, h) for i, h in rows]
    searches = []
    for _, headline in rows[:500]:
        words = [w for w in re.findall(r"[A-Za-z]{4,}", headline)]
        if words:
            picked = rng.sample(words, min(len(words), rng.choice([1, 2])))
            searches.append("/search?" + httpx.QueryParams({"q": " ".join(picked)}).__str__())
    return Targets(stories, searches)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux): the server's cost, whatever else the machine runs."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(path: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "NEWSDESK_RATE_LIMIT_SEARCH": "", "NEWSDESK_RATE_LIMIT_API": ""}
    env["NEWSDESK_CONFIG"] = str(path.parent / "none.toml")
    server = subprocess.Popen(
        [sys.executable, "-m", "newsdesk.cli", "--database", f"sqlite:///{path}", "serve", "--port", str(port)],
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/about", timeout=5).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.3)
    server.terminate()
    raise RuntimeError("the server did not start")


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, path: str) -> int:
    """One GET on a kept-alive connection; returns the status. A bare HTTP/1.1 client (the server always
    sends Content-Length): an HTTP library costs more CPU per request than the server being measured."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: identity\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    found = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
    if found:
        await reader.readexactly(int(found.group(1)))
    return status


async def open_loop(host: str, port: int, paths: list[str], rate: float, seconds: float) -> dict[str, float]:
    """Requests due at a fixed rate over kept-alive connections; latency from due time to the end of the
    reply, so time spent queueing for a free connection counts too (no coordinated omission)."""
    total = int(rate * seconds)
    due: asyncio.Queue[tuple[int, float]] = asyncio.Queue()
    latencies: list[float] = []
    errors = 0

    async def connection() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while True:
                n, when = await due.get()
                if n < 0:
                    return
                try:
                    if await _get(reader, writer, host, paths[n % len(paths)]) != 200:
                        errors += 1
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                latencies.append(time.perf_counter() - when)
        finally:
            writer.close()

    workers = [asyncio.create_task(connection()) for _ in range(64)]
    started = time.perf_counter()
    for n in range(total):
        when = started + n / rate
        await asyncio.sleep(max(0.0, when - time.perf_counter()))
        due.put_nowait((n, when))
    for _ in workers:
        due.put_nowait((-1, 0.0))
    await asyncio.gather(*workers)
    elapsed = time.perf_counter() - started
    ms = np.array(latencies) * 1000
    return {
        "rate_asked": rate,
        "rate_done": round(total / elapsed, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
        "errors": errors,
    }


def closed_loop(base: str, paths: list[str], seconds: float, connections: int = 8) -> float:
    """The most requests per second the server serves (wrk when installed, else this process)."""
    if shutil.which("wrk"):
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            listing = ",".join(json.dumps(p) for p in paths[:2000])
            script.write(
                f"local paths = {{{listing}}}\nlocal n = 0\n"
                "request = function() n = n + 1; return wrk.format('GET', paths[(n % #paths) + 1]) end\n"
            )
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "-s", script.name, base],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        os.unlink(script.name)
        found = re.search(r"Requests/sec:\s+([\d.]+)", out)
        return float(found.group(1)) if found else 0.0

    async def run() -> float:
        done = 0
        stop = time.perf_counter() + seconds
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:

            async def worker(k: int) -> None:
                nonlocal done
                n = k
                while time.perf_counter() < stop:
                    await client.get(paths[n % len(paths)])
                    done += 1
                    n += connections

            await asyncio.gather(*(worker(k) for k in range(connections)))
        return done / seconds

    return asyncio.run(run())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=ROOT / "artifacts" / "bench" / "web.db")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each measured run")
    parser.add_argument("--json", action="store_true", help="print one JSON object at the end")
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    if store_size(args.db) != args.stories:
        print(f"building a store of {args.stories:,} stories...", flush=True)
        build_store(args.db, args.stories)
    targets = sample_targets(args.db)
    port = free_port()
    server = start_server(args.db, port)
    base = f"http://127.0.0.1:{port}"
    results: dict[str, dict[str, float]] = {}
    try:
        pages = {"home": ["/"], "story": targets.stories, "search": targets.searches}
        rates = {"home": 100.0, "story": 200.0, "search": 20.0}
        for name, paths in pages.items():
            closed_loop(base, paths, 5)  # warm-up: the search index loads on first use, the disk cache fills
            cpu = cpu_seconds(server.pid)
            measured = asyncio.run(open_loop("127.0.0.1", port, paths, rates[name], args.seconds))
            requests = measured["rate_done"] * args.seconds
            measured["server_cpu_ms_per_request"] = round((cpu_seconds(server.pid) - cpu) * 1000 / requests, 2)
            measured["max_rps"] = round(closed_loop(base, paths, min(args.seconds, 10)), 1)
            measured["load_average"] = round(os.getloadavg()[0], 2)  # other work on the machine skews the tail
            results[name] = measured
            print(
                f"{name:>6}: {measured['rate_done']:.0f} req/s (asked {rates[name]:.0f}): "
                f"p50 {measured['p50_ms']} ms, p99 {measured['p99_ms']} ms, errors {measured['errors']}; "
                f"server CPU {measured['server_cpu_ms_per_request']} ms/request; max {measured['max_rps']} req/s; "
                f"load average {measured['load_average']}",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=10)
    if args.json:
        print(json.dumps({"stories": args.stories, "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
