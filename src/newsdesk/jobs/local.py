"""Worker processes on this machine, for the tests, the benchmark and the scale-out demo.

Production starts `newsdesk worker` under its own supervisor (systemd, a container per worker); this
starts the same command as child processes and tells when all the work they were given is done.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from newsdesk.jobs.queue import DramatiqQueue
from newsdesk.settings import Settings
from newsdesk.store import Store


class LocalWorkers:
    """`newsdesk worker` processes sharing one store and one queue, each logging to a file."""

    def __init__(self, settings: Settings, database_url: str, logs: Path) -> None:
        self.settings = settings
        self.database_url = database_url
        self.logs = logs
        self.processes: list[subprocess.Popen[bytes]] = []
        self._started = 0

    def env(self) -> dict[str, str]:
        """The environment that gives a worker these settings."""
        s = self.settings
        return {
            **os.environ,
            "NEWSDESK_DATABASE_URL": self.database_url,
            "NEWSDESK_BROKER_URL": s.broker_url,
            "NEWSDESK_QUEUE_NAME": s.queue_name,
            "NEWSDESK_ASSIGN_DELAY_SECONDS": str(s.assign_delay_seconds),
            "NEWSDESK_FETCH_CONCURRENCY": str(s.fetch_concurrency),
            "NEWSDESK_ALLOW_PRIVATE_ADDRESSES": str(s.allow_private_addresses),
            "NEWSDESK_CONFIG": str(self.logs / "none.toml"),  # no settings file but these
            "PYTHONHASHSEED": "0",
        }

    def start(self, threads: int = 2, wait: bool = True) -> subprocess.Popen[bytes]:
        """One more worker; by default returns once it has loaded its model and takes jobs."""
        log_path = self.logs / f"worker-{self._started}.log"
        self._started += 1
        command = [sys.executable, "-m", "newsdesk.cli", "worker", "--threads", str(threads), "--verbose"]
        with log_path.open("wb") as log:
            process = subprocess.Popen(command, env=self.env(), stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        deadline = time.monotonic() + 60
        while wait and "worker ready" not in log_path.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start: {self.tail()}")
            time.sleep(0.05)
        return process

    def stop(self) -> None:
        """Stop every worker (SIGTERM, then SIGKILL after 20 s)."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    def tail(self) -> str:
        """The end of every worker's log, for error messages."""
        return " | ".join(p.read_text(errors="replace")[-600:] for p in sorted(self.logs.glob("worker-*.log")))

    def done(self, store: Store, articles: int, queue: DramatiqQueue) -> bool:
        """Every article stored, in a story and written, and nothing waiting on the queue."""
        return (
            store.count_articles() == articles
            and not store.unassigned_articles()
            and not store.dirty_stories()
            and not store.stale_profiles()
            and queue.pending() == 0
        )

    def wait_done(self, store: Store, articles: int, timeout: float = 300, quiet: int = 3) -> float:
        """Wait until done() holds `quiet` times in a row, 0.2 s apart; returns the seconds until it first held."""
        queue = DramatiqQueue(self.settings)
        started = time.monotonic()
        in_a_row = 0
        first = started
        try:
            while in_a_row < quiet:
                if time.monotonic() - started > timeout:
                    raise TimeoutError(f"work not done after {timeout:.0f}s: {self.tail()}")
                for process in self.processes:
                    if process.poll() is not None:
                        raise RuntimeError(f"a worker died: {self.tail()}")
                checked = time.monotonic()
                if self.done(store, articles, queue):
                    first = checked if in_a_row == 0 else first
                    in_a_row += 1
                else:
                    in_a_row = 0
                time.sleep(0.2 if in_a_row else 0.1)
        finally:
            queue.close()
        return first - started
