"""Where jobs wait: RabbitMQ through Dramatiq for workers on many machines, or an in-process queue.

A job is a name and one id (`refresh_source 12`, `process_article 9f3c...`); what a job does is in
jobs/worker.py. Dramatiq was chosen over Celery and Procrastinate because it acknowledges a message
only after its job has finished (Celery acknowledges on receipt unless told otherwise), declares
durable queues with persistent messages and publisher confirms on RabbitMQ (so a worker killed with
kill -9 or a broker restart loses no job), and is small; Procrastinate would put the queue in the
same PostgreSQL as the store, which the SQLite default could not share.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from typing import Any, Protocol

from newsdesk.errors import SettingsError
from newsdesk.settings import Settings

JOBS = ("refresh_source", "process_article", "rewrite_story", "relink_story")
# relinks are many and can wait: on a queue of their own, so they never hold up stories behind them
SIDE_JOBS = frozenset({"relink_story"})


def queue_names(settings: Settings) -> tuple[str, str]:
    """The RabbitMQ queues: the main one, and the side one for relinks."""
    return settings.queue_name, f"{settings.queue_name}-links"


Key = str | int
Handler = Callable[[str, Key], None]


class Queue(Protocol):
    """Something jobs can be put on."""

    def enqueue(self, job: str, key: Key, delay: float = 0.0) -> None:
        """Queue a job on one id, to run no sooner than `delay` seconds from now."""

    def close(self) -> None:
        """Release the connection."""


class InlineQueue:
    """The embedded default: jobs run in this process, in the order they fall due, with no broker.

    Time is virtual: a delayed job runs after every job queued before its due time, without waiting.
    A job already waiting on the same id is not queued twice."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, str, Key]] = []
        self._waiting: set[tuple[str, Key]] = set()
        self._order = itertools.count()
        self._clock = 0.0

    def enqueue(self, job: str, key: Key, delay: float = 0.0) -> None:
        if job not in JOBS:
            raise ValueError(f"unknown job {job!r}")
        if (job, key) in self._waiting:
            return
        self._waiting.add((job, key))
        heapq.heappush(self._heap, (self._clock + delay, next(self._order), job, key))

    def __len__(self) -> int:
        return len(self._heap)

    def run(self, handler: Handler) -> int:
        """Run jobs until none is left; returns how many ran."""
        ran = 0
        while self._heap:
            self._clock, _, job, key = heapq.heappop(self._heap)
            self._waiting.discard((job, key))
            handler(job, key)
            ran += 1
        return ran

    def close(self) -> None:
        self._heap.clear()
        self._waiting.clear()


class DramatiqQueue:
    """Jobs as Dramatiq messages on a durable RabbitMQ queue; `handler` runs them in a worker."""

    def __init__(self, settings: Settings, handler: Handler | None = None) -> None:
        import dramatiq
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        if not settings.broker_url:
            raise SettingsError("no broker: set broker_url (NEWSDESK_BROKER_URL=amqp://guest:guest@127.0.0.1:5672/)")
        self.settings = settings
        self.broker = RabbitmqBroker(url=settings.broker_url, confirm_delivery=True)
        self._handler = handler
        self.actors: dict[str, Any] = {}
        main, side = queue_names(settings)
        for job in JOBS:
            self.actors[job] = dramatiq.actor(  # type: ignore[call-overload]
                self._runner(job),
                actor_name=job,
                queue_name=side if job in SIDE_JOBS else main,
                broker=self.broker,
                max_retries=settings.job_max_retries,
                min_backoff=1_000,
                max_backoff=60_000,
            )

    def _runner(self, job: str) -> Callable[[Key], None]:
        def run(key: Key) -> None:
            if self._handler is None:
                raise RuntimeError("this queue only sends jobs")
            self._handler(job, key)

        run.__name__ = job
        return run

    def enqueue(self, job: str, key: Key, delay: float = 0.0) -> None:
        from dramatiq.errors import DramatiqError

        try:
            self.actors[job].send_with_options(args=(key,), delay=int(delay * 1000) or None)
        except DramatiqError as exc:
            from newsdesk.errors import NewsdeskError

            raise NewsdeskError(f"cannot queue {job} {key} on {self.settings.queue_name}: {exc}") from None

    def pending(self) -> int:
        """Messages waiting on the queue and its delay queue (not those a worker holds)."""
        total = 0
        for name in queue_names(self.settings):
            counts = self.broker.get_queue_message_counts(name)
            total += int(sum(counts[:-1]))  # the queue and its delay queue; the last is dead letters
        return total

    def delete_queues(self) -> None:
        """Remove this installation's queues from the broker (tests and benchmarks)."""
        for name in queue_names(self.settings):
            for queue_name in (name, f"{name}.DQ", f"{name}.XQ"):
                self.broker.channel.queue_delete(queue_name)

    def close(self) -> None:
        self.broker.close()


def open_queue(settings: Settings, handler: Handler | None = None) -> Queue:
    """The queue the settings name: RabbitMQ when broker_url is set, else in-process."""
    if settings.broker_url:
        return DramatiqQueue(settings, handler)
    return InlineQueue()
