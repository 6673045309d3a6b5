"""`newsdesk scheduler`: queue a refresh for every due source, and sweep up work a crash left behind."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from newsdesk.jobs.queue import InlineQueue, Queue, open_queue
from newsdesk.jobs.worker import JobContext, run_job, waiting_articles
from newsdesk.pipeline import due_sources, now
from newsdesk.settings import Settings
from newsdesk.store import Store, open_store

log = logging.getLogger("newsdesk.jobs")


@dataclass
class Scheduler:
    """Decides what to queue on each tick; remembers what it queued so a backlog is not queued twice."""

    store: Store  # the shared store
    settings: Settings  # polling bounds and queue settings
    queue: Queue  # where jobs go
    queued_at: dict[int, datetime] = field(default_factory=dict)  # source id -> when last queued
    _stuck_articles: set[str] = field(default_factory=set)  # waiting at the last tick
    _stuck_stories: set[str] = field(default_factory=set)  # dirty at the last tick

    def tick(self, at: datetime | None = None) -> int:
        """Queue due sources, and articles and stories that have waited a whole tick; returns jobs queued."""
        at = at or now()
        backlog = timedelta(minutes=self.settings.refresh_min_minutes)
        queued = 0
        for source in due_sources(self.store, self.settings, at):
            last = self.queued_at.get(source.id)
            if last is not None and at - last < backlog:
                continue  # queued already and not yet done: the queue is behind
            self.queue.enqueue("refresh_source", source.id)
            self.queued_at[source.id] = at
            queued += 1
        # a job that died for good (retries used up) or a lost follow-up leaves work behind: queue it again
        waiting = set(waiting_articles(self.store))
        dirty = set(self.store.dirty_stories())
        for article_id in sorted(waiting & self._stuck_articles):
            self.queue.enqueue("process_article", article_id)
            queued += 1
        for story_id in sorted(dirty & self._stuck_stories):
            self.queue.enqueue("rewrite_story", story_id)
            queued += 1
        self._stuck_articles, self._stuck_stories = waiting, dirty
        return queued


def run_scheduler(settings: Settings, once: bool = False, stop: threading.Event | None = None) -> int:
    """Tick every schedule_interval_seconds until stopped; without a broker, run the jobs in-process too.

    Returns the jobs queued by the last tick."""
    store = open_store(settings.resolved_database_url)
    queue = open_queue(settings)
    scheduler = Scheduler(store, settings, queue)
    stop = stop or threading.Event()
    ctx = JobContext(store, settings, queue, settle=0.0)
    queued = 0
    try:
        while True:
            queued = scheduler.tick()
            log.info("scheduler queued %d jobs", queued)
            if isinstance(queue, InlineQueue):  # the embedded default: the same jobs, run here
                queue.run(lambda job, key: run_job(ctx, job, key))
            if once or stop.wait(settings.schedule_interval_seconds):
                return queued
    finally:
        queue.close()
        store.close()
