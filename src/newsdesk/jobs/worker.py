"""What a worker does with each job, and `newsdesk worker`.

Every job carries one id and is idempotent: running it twice, or again after a worker died in the
middle of it (kill -9), leaves the store as running it once would. Each step commits as it goes, and
each job queues the next ones only after its own work is stored, so a job retried after a crash
queues whatever the crash left unqueued.

    refresh_source(source_id)   fetch, extract, dedupe, embed and store (pipeline.poll_sources); queue
                                process_article for each of the source's articles still without a story
    process_article(article_id) put it in a story: one assignment pass over every waiting article in
                                publication order, under a lock all workers share; queue rewrite_story
    rewrite_story(story_id)     write its standfirst and briefing; queue relink_story
    relink_story(story_id)      profile the stories whose articles changed (entities, topic), then
                                recompute its related list and those of the stories close to it
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

from newsdesk.errors import NotFoundError
from newsdesk.ingest.poll import poll_sources
from newsdesk.jobs.queue import DramatiqQueue, Key, Queue
from newsdesk.pipeline import assign_stories, link_stories, now, profile_stories, rewrite_story, store_articles
from newsdesk.settings import Settings
from newsdesk.store import Store, open_store
from newsdesk.stories.embed import Embedder, get_embedder

log = logging.getLogger("newsdesk.jobs")

MAX_WAIT_ROUNDS = 10  # an article waits at most this many assign delays for arrivals to pause
# writing and profiling are CPU-bound (threads gain nothing there) and their NLP libraries are not all
# safe to call from two threads at once: one at a time per process
_WRITER_LOCK = threading.Lock()


@dataclass
class JobContext:
    """What jobs run against: one store, settings, embedder and queue per worker process."""

    store: Store  # the shared store
    settings: Settings  # the settings
    queue: Queue  # where follow-up jobs go
    settle: float  # seconds arrivals must pause before an assignment pass (0: run it at once)
    _embedder: Embedder | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def embedder(self) -> Embedder:
        """The configured embedder, loaded on first use."""
        with self._lock:
            if self._embedder is None:
                self._embedder = get_embedder(self.settings.embedder)
            return self._embedder


def waiting_articles(store: Store, source_id: int | None = None) -> list[str]:
    """Ids of the articles without a story (of one source, when given), oldest first."""
    return [a.id for a in store.unassigned_articles() if source_id is None or a.source_id == source_id]


def refresh_source_job(ctx: JobContext, source_id: int) -> None:
    """Fetch one source and store its new articles, then queue each waiting article of it."""
    try:
        source = ctx.store.get_source(int(source_id))
    except NotFoundError:
        return  # removed since it was queued
    save = lambda new: store_articles(ctx.store, ctx.embedder, new)  # noqa: E731
    for result in poll_sources(ctx.store, ctx.settings, [source], save, log.debug, now()):
        # a failure is recorded on the source, and the scheduler tries again when it is due
        log.info("refresh_source %s: %d new articles (%s)", source.id, result.stored, result.error or "ok")
    # every article of the source still without a story, also those an earlier, killed try stored
    for article_id in waiting_articles(ctx.store, source.id):
        ctx.queue.enqueue("process_article", article_id, delay=ctx.settle)


def _still_arriving(ctx: JobContext) -> bool:
    """Whether articles arrived within the settle time (and none has waited too long for them to stop)."""
    waiting = [a.fetched_at for a in ctx.store.unassigned_articles() if a.fetched_at is not None]
    if not waiting:
        return False
    at = now()
    settle = timedelta(seconds=ctx.settle)
    return at - max(waiting) < settle and at - min(waiting) < settle * MAX_WAIT_ROUNDS


def process_article_job(ctx: JobContext, article_id: str) -> None:
    """Put the article (and every other waiting one, in publication order) into a story."""
    try:
        article = ctx.store.get_article(article_id)
    except NotFoundError:
        return
    touched: set[str] = set()
    if article.story_id is None:
        if ctx.settle and _still_arriving(ctx):
            # stream clustering depends on order: let a burst of arrivals land, then assign it in
            # publication order in one pass (also what makes many workers agree with one)
            ctx.queue.enqueue("process_article", article_id, delay=ctx.settle)
            return
        touched = assign_stories(ctx.store, ctx.settings, ctx.embedder)  # one pass at a time, store-wide
        article = ctx.store.get_article(article_id)
    story_id = ctx.store.resolve_story_id(article.story_id) if article.story_id else None
    if story_id and story_id not in touched and story_id in set(ctx.store.dirty_stories()):
        touched.add(story_id)  # assigned by a pass whose worker died before queueing the rewrite
    for touched_id in sorted(touched):
        ctx.queue.enqueue("rewrite_story", touched_id)


def rewrite_story_job(ctx: JobContext, story_id: str) -> None:
    """Write the story from its current articles; queue its relink."""
    live = ctx.store.resolve_story_id(story_id)
    if live is None:
        return
    with ctx.store.lock(f"story:{live}"):  # one writer per story at a time
        if live not in set(ctx.store.dirty_stories()):
            return  # written since this job was queued, and unchanged since
        written: list[str] = []
        try:
            while True:  # an article that joins while we write is written too: save_writing marked it clean
                members = [a.id for a in ctx.store.articles_of_story(live)]
                if members == written:
                    break
                with _WRITER_LOCK:
                    written = rewrite_story(ctx.store, ctx.settings, ctx.embedder, live)
        except NotFoundError:
            return  # merged into another story meanwhile: that story's own rewrite covers it
    ctx.queue.enqueue("relink_story", live)


def relink_story_job(ctx: JobContext, story_id: str) -> None:
    """Bring every stale link profile up to date, then recompute the related lists of the story and of the
    stories close to it."""
    live = ctx.store.resolve_story_id(story_id)
    if live is None:
        return
    # profiles are made together, as a refresh pass makes them (entity names resolve against the entities
    # known when a pass starts), by one worker at a time; the others find them made
    with ctx.store.lock("profile"), _WRITER_LOCK:
        changed = profile_stories(ctx.store)
    if changed:  # linked as a refresh pass links them: with the stories close to them
        link_stories(ctx.store, ctx.settings, changed)
    if live not in changed:  # profiled and linked by an earlier job: its own list again, cheaply (no neighbours)
        link_stories(ctx.store, ctx.settings, {live}, neighbours=False)


HANDLERS = {
    "refresh_source": refresh_source_job,
    "process_article": process_article_job,
    "rewrite_story": rewrite_story_job,
    "relink_story": relink_story_job,
}


def run_job(ctx: JobContext, job: str, key: Key) -> None:
    """Run one job by name."""
    started = time.perf_counter()
    HANDLERS[job](ctx, key)  # type: ignore[operator]
    log.debug("%s %s took %.3fs", job, key, time.perf_counter() - started)


def run_worker(settings: Settings, threads: int | None = None, stop: threading.Event | None = None) -> None:
    """Take jobs from the broker until SIGTERM/SIGINT (or `stop` is set), `threads` at a time."""
    import dramatiq
    from threadpoolctl import threadpool_limits

    # one BLAS/OpenMP thread per process: worker processes are the unit of parallelism, and numpy's own
    # thread pools in several processes on the same cores slow every one of them down
    threadpool_limits(limits=1)
    store = open_store(settings.resolved_database_url)
    queue = DramatiqQueue(settings, handler=lambda job, key: run_job(ctx, job, key))
    ctx = JobContext(store, settings, queue, settle=settings.assign_delay_seconds)
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    ctx.embedder.embed(["warm up"])  # load the model before taking jobs, not inside the first one
    worker = dramatiq.Worker(queue.broker, worker_threads=threads or settings.worker_threads, worker_timeout=200)
    worker.start()
    log.info("worker ready: taking jobs from %s", settings.queue_name)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        worker.stop(timeout=10_000)
        queue.close()
        store.close()
