"""Jobs run in-process (the embedded default): the same jobs a worker runs, with no broker."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from newsdesk import Desk
from newsdesk.cli import main
from newsdesk.demo.server import DemoServer
from newsdesk.jobs.queue import InlineQueue, open_queue
from newsdesk.jobs.schedule import Scheduler
from newsdesk.jobs.worker import JobContext, run_job, waiting_articles
from newsdesk.pipeline import now
from newsdesk.settings import Settings
from newsdesk.store import Store, open_store
from newsdesk.store.base import NewArticle, StoryCandidate
from test_store_contract import article, unit  # the contract's own records

LOCAL = Settings(allow_private_addresses=True)  # the demo outlets are served on 127.0.0.1


def partition(store: Store) -> set[frozenset[str]]:
    return {frozenset(a.id for a in store.articles_of_story(s.id)) for s in store.list_stories(limit=10_000)}


def test_inline_queue_runs_jobs_in_due_order_once_each() -> None:
    queue = InlineQueue()
    ran: list[tuple[str, str | int]] = []
    queue.enqueue("process_article", "a", delay=2)
    queue.enqueue("refresh_source", 1)
    queue.enqueue("refresh_source", 1)  # already waiting: not queued twice
    queue.enqueue("rewrite_story", "s", delay=1)

    def handle(job: str, key: str | int) -> None:
        ran.append((job, key))
        if (job, key) == ("refresh_source", 1):
            queue.enqueue("refresh_source", 2)  # queued by a job: runs before the delayed ones

    assert queue.run(handle) == 4
    assert ran == [("refresh_source", 1), ("refresh_source", 2), ("rewrite_story", "s"), ("process_article", "a")]
    with pytest.raises(ValueError, match="unknown job"):
        queue.enqueue("launch_rocket", 1)


def test_no_broker_means_in_process_jobs() -> None:
    assert isinstance(open_queue(Settings()), InlineQueue)


def test_scheduled_jobs_in_process_give_the_stories_of_one_refresh(
    demo_server: DemoServer, demo_desk: Desk, tmp_path: Path
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'jobs.db'}")
    for url in demo_server.feed_urls:
        store.add_source(url, now())
    queue = InlineQueue()
    scheduler = Scheduler(store, LOCAL, queue)
    ctx = JobContext(store, LOCAL, queue, settle=0.0)
    try:
        assert scheduler.tick() == len(demo_server.feed_urls)
        queue.run(lambda job, key: run_job(ctx, job, key))
        assert partition(store) == partition(demo_desk.store)
        assert store.dirty_stories() == [] and waiting_articles(store) == [] and store.stale_profiles() == []
        ours = {s.id: s for s in store.list_stories(limit=1000)}
        for story in demo_desk.stories(limit=1000):
            assert ours[story.id].standfirst == story.standfirst and ours[story.id].topic == story.topic
            assert ours[story.id].related == story.related
        assert store.same_event_pairs() == demo_desk.store.same_event_pairs()
        assert scheduler.tick() == 0  # nothing is due again yet, and nothing was left behind
        later = now() + timedelta(minutes=LOCAL.refresh_max_minutes + 1)
        assert scheduler.tick(later) == len(demo_server.feed_urls)
        assert queue.run(lambda job, key: run_job(ctx, job, key)) == len(demo_server.feed_urls)  # no new articles
    finally:
        store.close()


def test_scheduler_queues_again_what_a_dead_job_left_behind(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'stuck.db'}")
    queue = InlineQueue()
    scheduler = Scheduler(store, Settings(), queue)
    store.add_article(NewArticle(article(1), unit(1, 0), "m"))
    store.add_article(NewArticle(article(2), unit(0, 1), "m"))
    store.assign_article("art2", "s2", StoryCandidate("s2", unit(0, 1), article(2).published, 1, {}))
    assert scheduler.tick() == 0  # first sight: their jobs may still be on the way
    ran: list[tuple[str, str | int]] = []
    assert scheduler.tick() == 2
    queue.run(lambda job, key: ran.append((job, key)))
    assert ran == [("process_article", "art1"), ("rewrite_story", "s2")]
    store.close()


def test_scheduler_command_without_broker_runs_the_jobs(demo_server: DemoServer, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'cli.db'}"
    config = tmp_path / "newsdesk.toml"
    config.write_text("allow_private_addresses = true\n")
    assert main(["--config", str(config), "--database", database, "sources", "add", demo_server.feed_urls[0]]) == 0
    assert main(["--config", str(config), "--database", database, "scheduler", "--once"]) == 0
    store = open_store(database)
    assert store.count_articles() > 5 and store.count_stories() > 0 and store.dirty_stories() == []
    assert store.stale_profiles() == [] and any(s.related for s in store.list_stories())  # linked too
    store.close()


def test_worker_command_needs_a_broker(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database", f"sqlite:///{tmp_path / 'w.db'}", "worker"]) == 1
    assert "needs a broker" in capsys.readouterr().err
