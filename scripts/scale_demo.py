"""The demo on the scale-out stack: PostgreSQL with pgvector, RabbitMQ and several worker processes.

    .venv/bin/python scripts/scale_demo.py [--workers 2] [--no-serve]

Uses NEWSDESK_DATABASE_URL when it names a PostgreSQL database (else starts a throwaway PostgreSQL 16
+ pgvector from the pgserver wheel) and NEWSDESK_BROKER_URL (else the machine's RabbitMQ as guest).
The demo outlets are published locally, `newsdesk scheduler` queues their feeds, the workers do the
rest, and the stories are compared with the corpus's events like `newsdesk demo` does.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
import uuid
from pathlib import Path

from newsdesk import open_desk
from newsdesk.cli import serve
from newsdesk.demo.check import check_demo
from newsdesk.demo.server import DemoServer
from newsdesk.jobs.local import LocalWorkers
from newsdesk.jobs.queue import DramatiqQueue
from newsdesk.jobs.schedule import Scheduler
from newsdesk.settings import Settings, load_settings
from newsdesk.store.pglocal import LocalPostgres


def _delete_queues(settings: Settings) -> None:
    queue = DramatiqQueue(settings)
    queue.delete_queues()
    queue.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--no-serve", action="store_true", help="build the stories, then exit")
    parser.add_argument("--port", type=int, default=8000, help="port for the site")
    args = parser.parse_args()
    settings = load_settings()
    broker = settings.broker_url or "amqp://guest:guest@127.0.0.1:5672/"
    settings = settings.replace(
        broker_url=broker,
        queue_name=f"newsdesk-demo-{uuid.uuid4().hex[:6]}",
        allow_private_addresses=True,  # the demo outlets are served on 127.0.0.1
    )
    with contextlib.ExitStack() as stack:
        database = settings.database_url
        if not database.startswith(("postgresql://", "postgres://")):
            pg = stack.enter_context(LocalPostgres())
            database = pg.create_database("demo")
            print(f"started PostgreSQL with pgvector at {database}")
        server = stack.enter_context(DemoServer())
        desk = stack.enter_context(open_desk(database, settings))
        for url in server.feed_urls:
            if desk.store.find_source(url) is None:
                desk.add_source(url)
        workers = LocalWorkers(settings.replace(database_url=database), database, Path(tempfile.mkdtemp()))
        stack.callback(workers.stop)
        for _ in range(args.workers):
            workers.start()
        print(f"{args.workers} workers on queue {settings.queue_name} at {broker.split('@')[-1]}")
        stack.callback(_delete_queues, settings)
        started = time.perf_counter()
        queue = DramatiqQueue(settings)
        print(f"scheduler queued {Scheduler(desk.store, settings, queue).tick()} sources")
        queue.close()  # an idle connection would be dropped by the broker's heartbeat while the workers run
        workers.wait_done(desk.store, len(server.articles))
        seconds = time.perf_counter() - started
        print(f"{desk.store.count_articles()} articles in {desk.store.count_stories()} stories in {seconds:.1f}s")
        print(check_demo(desk.store).summary())
        if not args.no_serve:
            serve(desk, "127.0.0.1", args.port)


if __name__ == "__main__":
    main()
