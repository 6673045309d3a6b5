"""Workers on a real queue: `newsdesk worker` processes on RabbitMQ over PostgreSQL with pgvector.

Two workers give the stories of one; a worker killed with kill -9 mid-job loses and duplicates
nothing; two workers assigning one event at the same moment make one story; a broker restart loses
no queued job.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pika
import pika.exceptions
import pytest

from newsdesk import Desk
from newsdesk.demo.check import event_of
from newsdesk.demo.server import DemoServer
from newsdesk.jobs.local import LocalWorkers
from newsdesk.jobs.queue import DramatiqQueue
from newsdesk.jobs.schedule import Scheduler
from newsdesk.jobs.worker import JobContext, process_article_job
from newsdesk.pipeline import assign_stories, now, store_articles
from newsdesk.settings import Settings
from newsdesk.store import Store, open_store
from newsdesk.stories.embed import get_embedder, normalise_rows
from newsdesk.stories.terms import article_terms
from newsdesk.types import Article

BROKER = "amqp://guest:guest@127.0.0.1:5672/"


def partition(store: Store) -> set[frozenset[str]]:
    return {frozenset(a.id for a in store.articles_of_story(s.id)) for s in store.list_stories(limit=10_000)}


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="session")
def rabbitmq() -> str:
    """The machine's RabbitMQ (.ci/run starts it; started here too when it is down)."""
    if not _listening(5672):
        subprocess.run(["rabbitmq-server", "-detached"], check=False, capture_output=True)
        deadline = time.monotonic() + 60
        while not _listening(5672) and time.monotonic() < deadline:
            time.sleep(0.5)
    assert _listening(5672), "RabbitMQ is not running on 127.0.0.1:5672 and could not be started"
    return BROKER


class Cluster(LocalWorkers):
    """One store, one queue of its own, and worker processes taking jobs from it."""

    @property
    def url(self) -> str:
        return self.database_url

    def queue(self) -> DramatiqQueue:
        return DramatiqQueue(self.settings)

    def delete_queues(self) -> None:
        queue = self.queue()
        queue.delete_queues()
        queue.close()


@pytest.fixture
def cluster(rabbitmq: str, pg_url: str, tmp_path: Path) -> Iterator[Cluster]:
    name = f"newsdesk-test-{uuid.uuid4().hex[:8]}"
    settings = Settings(
        broker_url=rabbitmq,
        queue_name=name,
        assign_delay_seconds=2.0,
        fetch_concurrency=2,
        allow_private_addresses=True,  # the demo outlets are served on 127.0.0.1
    )
    opened = Cluster(settings, pg_url, tmp_path)
    yield opened
    opened.stop()
    opened.delete_queues()


def run_demo(cluster: Cluster, demo_server: DemoServer, workers: int) -> Store:
    store = open_store(cluster.url)
    for url in demo_server.feed_urls:
        store.add_source(url, now())
    for _ in range(workers):
        cluster.start()
    queue = cluster.queue()
    assert Scheduler(store, cluster.settings, queue).tick() == len(demo_server.feed_urls)
    queue.close()
    cluster.wait_done(store, len(demo_server.articles), timeout=120)
    return store


@dataclass(frozen=True)
class StoryView:
    """What must agree between runs for one story (keyed by its set of articles)."""

    copies: frozenset[tuple[str, str]]  # (copy, original) pairs among its articles
    headline: str  # as written
    standfirst: str  # as written


def stories_of(store: Store) -> dict[frozenset[str], StoryView]:
    found = {}
    for story in store.list_stories(limit=1000):
        articles = store.articles_of_story(story.id)
        copies = frozenset((a.id, a.copy_of) for a in articles if a.copy_of)
        found[frozenset(a.id for a in articles)] = StoryView(copies, story.headline, story.standfirst)
    return found


def assert_same_stories(ours: dict[frozenset[str], StoryView], theirs: dict[frozenset[str], StoryView]) -> None:
    """The same stories; the same writing wherever the same article was taken as the original.

    Which of two wire copies is kept as the original is decided when they are stored, in arrival order,
    and two workers fetch feeds in another order than one does: then that story's writing may differ
    (its sentences are cited to the other copy), but the copies are the same articles."""
    assert set(ours) == set(theirs)
    swapped = [key for key in ours if ours[key].copies != theirs[key].copies]
    assert len(swapped) <= 1  # the demo has one wire story, carried by two outlets
    for key in swapped:
        group = {a for pair in ours[key].copies for a in pair}
        assert group == {a for pair in theirs[key].copies for a in pair} and len(ours[key].copies) == 2
    for key in set(ours) - set(swapped):
        assert ours[key] == theirs[key]


@pytest.fixture(scope="module")
def one_worker_stories(
    rabbitmq: str, pg_server, demo_server: DemoServer, tmp_path_factory: pytest.TempPathFactory
) -> dict[frozenset[str], StoryView]:  # type: ignore[no-untyped-def]
    """The demo through one worker."""
    url = pg_server.create_database("one_worker")
    settings = Settings(
        broker_url=rabbitmq,
        queue_name=f"newsdesk-one-{uuid.uuid4().hex[:8]}",
        fetch_concurrency=2,
        allow_private_addresses=True,
    )
    cluster = Cluster(settings, url, tmp_path_factory.mktemp("one"))
    try:
        return stories_of(run_demo(cluster, demo_server, workers=1))
    finally:
        cluster.stop()
        cluster.delete_queues()


def test_two_workers_give_the_stories_of_one(
    cluster: Cluster, demo_server: DemoServer, one_worker_stories: dict[frozenset[str], StoryView]
) -> None:
    store = run_demo(cluster, demo_server, workers=2)
    stories = stories_of(store)
    assert_same_stories(stories, one_worker_stories)
    assert len(stories) >= 23  # the demo's 25 events, give or take the known split and mix
    for story in store.list_stories(limit=1000):
        ids = [r.story_id for r in story.related]
        assert story.id not in ids and len(ids) == len(set(ids))
    store.close()


def _restart_broker() -> None:
    """Stop and start RabbitMQ (messages it holds only in memory are lost; persistent ones come back)."""
    for action in ("stop_app", "start_app"):
        subprocess.run(["rabbitmqctl", action], check=True, capture_output=True, timeout=120)
    deadline = time.monotonic() + 60
    while True:
        try:
            pika.BlockingConnection(pika.URLParameters(BROKER)).close()
            return
        except pika.exceptions.AMQPError:
            assert time.monotonic() < deadline, "RabbitMQ did not come back"
            time.sleep(0.5)


def _steady_pending(cluster: Cluster) -> int:
    """Jobs waiting on the queue once the broker has taken back a dead worker's unacknowledged ones."""
    queue = cluster.queue()
    try:
        counts = [queue.pending()]
        while len(counts) < 4 or len(set(counts[-4:])) > 1:
            time.sleep(0.25)
            counts.append(queue.pending())
        return counts[-1]
    finally:
        queue.close()


def _mid_run(store: Store, total: int) -> bool:
    """Whether some articles are stored but not all: the worker is in the middle of the work."""
    return 0 < store.count_articles() < total


def test_kill_9_mid_job_then_broker_restart_lose_and_duplicate_nothing(
    cluster: Cluster, demo_server: DemoServer, one_worker_stories: dict[frozenset[str], StoryView]
) -> None:
    store = open_store(cluster.url)
    for url in demo_server.feed_urls:
        store.add_source(url, now())
    victim = cluster.start(threads=1)
    queue = cluster.queue()
    Scheduler(store, cluster.settings, queue).tick()
    queue.close()
    deadline = time.monotonic() + 60
    while not _mid_run(store, len(demo_server.articles)):
        assert time.monotonic() < deadline and victim.poll() is None, cluster.tail()
        time.sleep(0.005)
    victim.kill()  # SIGKILL: no clean-up; its unacknowledged jobs go back to the queue
    victim.wait()
    cluster.processes.remove(victim)
    stored_when_killed = store.count_articles()
    assert 0 < stored_when_killed < len(demo_server.articles)

    waiting = _steady_pending(cluster)
    assert waiting >= len(demo_server.feed_urls) - 1  # the refresh it held, and those it had not started
    probe = pika.BlockingConnection(pika.URLParameters(BROKER))
    channel = probe.channel()
    channel.queue_declare(f"{cluster.settings.queue_name}-probe", durable=True)
    channel.basic_publish("", f"{cluster.settings.queue_name}-probe", b"kept in memory only")  # not persistent
    probe.close()
    _restart_broker()
    assert _steady_pending(cluster) == waiting  # every queued job came back
    probe = pika.BlockingConnection(pika.URLParameters(BROKER))
    channel = probe.channel()
    assert channel.basic_get(f"{cluster.settings.queue_name}-probe", auto_ack=True)[0] is None  # the restart was real
    channel.queue_delete(f"{cluster.settings.queue_name}-probe")
    probe.close()

    cluster.start()
    cluster.wait_done(store, len(demo_server.articles), timeout=120)
    stories = partition(store)
    in_stories = [a for s in stories for a in s]
    assert len(in_stories) == len(set(in_stories)) == len(demo_server.articles)  # each once, none lost
    assert_same_stories(stories_of(store), one_worker_stories)  # and the same stories as a run without failures
    store.close()


def test_workers_assigning_one_event_at_the_same_moment_make_one_story(pg_url: str, demo_desk: Desk) -> None:
    settings = Settings()
    embedder = get_embedder(settings.embedder)
    stored = [a for s in demo_desk.store.list_stories(limit=1000) for a in demo_desk.store.articles_of_story(s.id)]
    everything = sorted(
        (replace(a, source_id=None, story_id=None, copy_of=None) for a in stored), key=lambda a: (a.published, a.id)
    )
    articles = [a for a in everything if event_of(a.url) == "e06-varna-floods"]
    assert len(articles) == 5
    setup = open_store(pg_url)
    # the rest of the corpus is there already (the document frequencies need a stream behind them)
    store_articles(setup, embedder, [a for a in everything if a not in articles])
    assign_stories(setup, settings, embedder)
    before = setup.count_stories()
    barrier = threading.Barrier(len(articles))
    errors: list[BaseException] = []

    def worker(article: Article) -> None:
        own = open_store(pg_url)  # its own connections, as a worker on another machine has
        ctx = JobContext(own, settings, _NoQueue(), settle=0.0)
        try:
            barrier.wait()
            store_articles(own, embedder, [article])  # it arrives ...
            process_article_job(ctx, article.id)  # ... and is put into a story at once, by each worker
        except BaseException as exc:
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=worker, args=(a,)) for a in articles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    floods = {setup.get_article(a.id).story_id for a in articles}
    assert len(floods) == 1 and setup.count_stories() == before + 1  # one new story, all five in it
    state = setup.story_state(floods.pop() or "")
    members = [a for a in setup.articles_of_story(state.story_id) if not a.copy_of]
    vectors = setup.vectors([a.id for a in members])
    # no lost update: the stored state is that of all its articles, each counted once
    assert state.size == len(members) and 0 < len(members) <= len(articles)
    words: set[str] = set()
    for member in members:
        words |= set(article_terms(member.title, member.text))
    assert state.terms and set(state.terms) <= words
    mean = np.mean(normalise_rows(np.array([vectors[a.id] for a in members])), axis=0)
    assert np.allclose(state.centroid, mean, atol=1e-5)
    setup.close()


class _NoQueue:
    """Follow-up jobs are not the point here."""

    def enqueue(self, job: str, key: str | int, delay: float = 0.0) -> None:
        pass

    def close(self) -> None:
        pass
