"""When each source is polled next: its own interval, back-off after failures, and when to give up.

Plain functions over times and counts; the refresh pass records their answers on the source.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterable
from datetime import datetime, timedelta

from newsdesk.settings import Settings

MAX_BACKOFF = timedelta(days=1)  # a failing source is still tried at least daily until it is disabled
RECENT_ITEMS = 10  # the publishing rate is read from this many newest items


def observed_gap_minutes(published: Iterable[datetime]) -> float | None:
    """Median minutes between the newest items' publication times; None with fewer than three items."""
    times = sorted(set(published), reverse=True)[:RECENT_ITEMS]
    if len(times) < 3:
        return None
    return statistics.median((a - b).total_seconds() / 60 for a, b in itertools.pairwise(times))


def poll_interval(settings: Settings, hint_minutes: float | None, published: Iterable[datetime]) -> int:
    """A source's polling interval in minutes.

    Half its observed gap between items (so a new item waits on average a quarter of a gap), never more
    often than the publisher's ttl/sy:updatePeriod asks, the configured default when nothing is known,
    and always within the configured floor and ceiling.
    """
    gap = observed_gap_minutes(published)
    minutes = gap / 2 if gap is not None else float(settings.refresh_interval_minutes)
    if hint_minutes is not None:
        minutes = max(minutes, hint_minutes) if gap is not None else hint_minutes
    return int(min(max(minutes, settings.refresh_min_minutes), settings.refresh_max_minutes))


def retry_at(
    settings: Settings, at: datetime, interval_minutes: int | None, failures: int, retry_after: float | None
) -> datetime:
    """When a source that has now failed `failures` times in a row is tried again.

    The interval doubles with each failure in a row, up to a day, and never comes before the server's
    Retry-After.
    """
    base = timedelta(minutes=interval_minutes or settings.refresh_interval_minutes)
    delay = min(base * 2 ** max(0, failures - 1), MAX_BACKOFF)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return at + delay


def should_disable(settings: Settings, failures: int, status: int | None) -> bool:
    """True when a source has failed too often in a row, or its server said it is gone for good (410)."""
    return status == 410 or (settings.disable_after_failures > 0 and failures >= settings.disable_after_failures)
